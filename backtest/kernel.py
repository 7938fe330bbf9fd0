"""The numba simulation kernel: target-position signals to equity, trades and metrics.

It ports the rules of the one fill model (:mod:`tradefleet.orchestrator.execution.fill_model`, version
``MATCH_VERSION``) to arrays; the golden-bar suite (``tests/backtest/test_golden.py``) runs the
same cases through both and requires the same fills.

Fill convention: the signal of bar *t* is known at the close of bar *t*; the order it implies
fills at the **open of bar t+1** (``fill="next-open"``, the default; plus ``delay`` extra bars
when latency is simulated) or at the **close of bar t** (``fill="close"``), adversely slipped
by that bar's slippage fraction. Fees are a fraction of traded notional, charged on entry and
on exit (backtesting.py's ``commission`` convention). A new position is sized to ``size`` x
equity after the previous position is closed, including the entry fee:
``units = size * equity / (price * (1 + fee))``; with a volume cap (``max_volume_share`` > 0
and a volume array) an entry fills at most that share of each bar's volume and the rest at
the next bars' opens while the signal holds.

Worked entries (``P_ALGO`` > 0, an execution spec): a new position is a *parent* of
``size x equity / close`` of the signal bar in whole ``P_LOT`` lots (the risk gate's
sizing), worked into children as the execution layer does
(:mod:`tradefleet.orchestrator.execution.layer`): at every decision bar ``d`` from the signal
bar on, a scheduled algorithm (TWAP) wants ``plan[slice(d)]`` of the parent sent, POV
``participation x`` the volume of the bars after the signal bar; past the horizon the rest
is due; each child is capped at ``participation`` of bar ``d``'s volume and whole lots, and
fills like any market order of bar ``d`` (next open or this close). An exit stops the
parent: at the next open before the child decided with it (replay cancels that child); at
the close after it (replay's child has filled at that close before the bots fire). Every fill of a child is listed in the children array (for transaction-cost
analysis). Takers pay an impact of ``P_IMPACT`` bps per % of the fill bar's volume (at most
``P_MAXIMPACT`` bps) on top of the slippage, as the paper broker does (0: none).

Positions change only when the signal *changes* (target-position semantics): a stop, target
or trailing-stop exit leaves the account flat until the bot's signal changes again.
The protective stop triggers when a bar trades at or through it and fills at the stop, or at
the open when the bar gapped through it, never better, plus slippage. The target is a limit:
it fills only when a bar trades through it (or touches it, with ``limit_touch``) at the
target or a better open, without slippage. When one bar reaches both, a level the bar
opened through fills first, then the adverse one (the stop; ``favourable_first`` reverses
it). The stop and target of a trade entered at an open are live on that bar; of a trade
entered at a close, from the next bar. The trailing stop follows the best high (low for
shorts) seen since entry, including the entry bar, and is checked against it from the next
bar on. An open position at the end is marked to the last close and listed as ``open``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Layout of the float64 ``params`` vector (a vector keeps the njit signature small and fixed).
(P_CASH, P_FEE, P_SIZE, P_SL, P_TP, P_TSL, P_SHORT, P_DELAY, P_FILL_CLOSE, P_TOUCH, P_FAVOUR,
 P_VOLCAP, P_ALGO, P_SLICE_BARS, P_HORIZON_BARS, P_PART, P_LOT, P_IMPACT, P_MAXIMPACT, P_RATE) = range(20)
N_PARAMS = 20
ALGO_NONE, ALGO_SCHEDULE, ALGO_POV = 0, 1, 2

# Columns of the children array (one row per fill of a worked entry's child).
C_TRADE, C_FILL_I, C_DECIDE_I, C_QTY, C_PX, C_FEE, C_START_I, C_PARENT = range(8)
CHILD_COLUMNS = ("trade", "fill_bar", "decision_bar", "quantity", "price", "fee", "parent_bar", "parent_quantity")

# Columns of the trade record array.
T_ENTRY_I, T_EXIT_I, T_DIR, T_UNITS, T_ENTRY_PX, T_EXIT_PX, T_FEES, T_PNL, T_RET, T_REASON = range(10)
TRADE_COLUMNS = ("entry_bar", "exit_bar", "direction", "units", "entry_price", "exit_price",
                 "fees", "pnl", "return", "exit_reason")
EXIT_REASONS = ("signal", "stop", "target", "trailing", "open")
R_SIGNAL, R_STOP, R_TARGET, R_TRAIL, R_OPEN = range(5)

# Order of the metrics vector returned by ``metrics_nb``.
METRIC_NAMES = ("total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown",
                "win_rate", "profit_factor", "expectancy", "trades")


@njit(cache=True, nogil=True)
def _impact(qty, vol, coef, cap):  # type: ignore[no-untyped-def]
    """The paper broker's volume impact as a fraction: ``coef`` bps per % of ``vol``, at most ``cap`` bps."""
    if coef <= 0.0 or vol <= 0.0:
        return 0.0
    return min(coef * qty / vol * 100.0, cap) / 10_000.0


@njit(cache=True, nogil=True)
def _lots(x, lot):  # type: ignore[no-untyped-def]
    """``x`` rounded down to whole lots (``lot`` <= 0: as is); tolerant of float noise."""
    if lot <= 0.0:
        return max(x, 0.0)
    return max(np.floor(x / lot + 1e-9), 0.0) * lot


def simulate_nb(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan):  # type: ignore[no-untyped-def]
    """Simulate one instrument; return ``(equity[n], trades[m, 10], n_trades, children[c, 8], n_children)``.

    ``signal`` is the target direction per bar (> 0 long, < 0 short, else flat; NaN is
    flat); ``stop_px`` and ``target_px`` are absolute protective levels per signal bar (NaN
    for none); ``slip`` is the adverse fill fraction per bar. Each of those three may also
    have length 1, meaning the same value for every bar (no n-sized allocation).
    ``params`` follows the ``P_*`` layout; ``volume`` (per bar, or empty) is read only with a
    volume cap, an impact or a worked entry; ``plan`` is a scheduled algorithm's cumulative
    fraction per slice (``P_SLICE_BARS`` bars each; empty otherwise).

    The common case (next-open fills, no worked entry, no volume) runs
    :func:`simulate_common_nb`, the loop compiled with those three modes as constants, which
    lets the compiler drop their branches (about half the kernel's time); every other case
    :func:`simulate_general_nb`. The same code, so the same results. Two cached functions
    picked here (not one function holding both copies), so each compiles only when first used.
    """
    if not params[P_FILL_CLOSE] > 0.5 and int(params[P_ALGO]) == ALGO_NONE and volume.shape[0] != close.shape[0]:
        return simulate_common_nb(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan)
    return simulate_general_nb(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan)


@njit(cache=True, nogil=True)
def simulate_common_nb(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan):  # type: ignore[no-untyped-def]
    """:func:`simulate_nb` for next-open fills, no worked entry and no volume (those three as constants)."""
    return _simulate(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan,
                     False, ALGO_NONE, False)


@njit(cache=True, nogil=True)
def simulate_general_nb(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan):  # type: ignore[no-untyped-def]
    """:func:`simulate_nb` for any settings (fill mode, execution algorithm and volume read at run time)."""
    return _simulate(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan,
                     params[P_FILL_CLOSE] > 0.5, int(params[P_ALGO]), volume.shape[0] == close.shape[0])


@njit(nogil=True, inline="always")
def _simulate(open_, high, low, close, signal, stop_px, target_px, slip, params, volume, plan,  # type: ignore[no-untyped-def]
              at_close, algo, has_vol):
    """The loop of :func:`simulate_nb`, inlined into :func:`simulate_general_nb` with the fill
    mode (``at_close``), the execution algorithm (``algo``) and whether volume is given
    (``has_vol``) as run-time values, and into :func:`simulate_common_nb` as the constants of
    the common case.
    """
    n = close.shape[0]
    per_bar_stop = stop_px.shape[0] == n
    per_bar_tgt = target_px.shape[0] == n
    per_bar_slip = slip.shape[0] == n
    cash = params[P_CASH]
    fee = params[P_FEE]
    size = params[P_SIZE]
    sl_pct = params[P_SL]
    tp_pct = params[P_TP]
    tsl_pct = params[P_TSL]
    allow_short = params[P_SHORT] > 0.5
    delay = int(params[P_DELAY])
    touch = params[P_TOUCH] > 0.5
    favour_first = params[P_FAVOUR] > 0.5
    volcap = params[P_VOLCAP] if has_vol else 0.0
    slice_bars = max(params[P_SLICE_BARS], 1e-12)
    horizon_bars = params[P_HORIZON_BARS]
    part = params[P_PART]       # the participation cap per bar (0: none)
    rate = params[P_RATE]       # POV's target share of the volume
    lot = params[P_LOT]
    imp_coef = params[P_IMPACT] if has_vol else 0.0
    imp_cap = params[P_MAXIMPACT]
    # children are written only by a worked entry: no n x 8 allocation (64 MB at 1M bars) otherwise
    kids = np.full((n + 1 if algo != ALGO_NONE else 0, 8), np.nan)
    nc = 0
    working = False     # a worked entry's parent still has children to send
    parent = 0.0
    sent = 0.0
    astart = 0          # the parent's signal (decision) bar
    vseen = 0.0         # volume of the bars after it (POV)
    # One trade at most per signal change, plus one.
    changes = 1
    for i in range(1, n):
        if signal[i] != signal[i - 1]:
            changes += 1
    trades = np.full((changes + 1, 10), np.nan)
    equity = np.empty(n)
    nt = 0
    pos = 0.0           # signed units
    direction = 0
    entry_px = 0.0
    entry_fee = 0.0
    want = 0.0          # units still to buy/sell for the open trade (volume-capped entries)
    stop_lvl = np.nan   # absolute levels of the open trade
    tgt_lvl = np.nan
    peak = 0.0          # best price since entry (trailing stop)
    entered = -1        # bar of the entry fill
    prev_tgt = 0
    ruined = False
    for i in range(n):
        if ruined:
            equity[i] = 0.0
            continue
        sl = slip[i if per_bar_slip else 0]
        for phase in range(2):
            # next-open: the signal acts at the open, then the bar's exits; close: exits, then the close
            if (phase == 0) != at_close:
                k = i - delay if at_close else i - 1 - delay
                px0 = close[i] if at_close else open_[i]
                tgt = 0
                if k >= 0:
                    s = signal[k]
                    if s > 0:
                        tgt = 1
                    elif s < 0:
                        tgt = -1 if allow_short else 0
                # the child of a worked entry decided at bar k: in close mode it fills at this
                # close before an exit decided at the same close (as in replay, where the
                # execution layer sends it when the bar closes, before the bots fire); at the
                # next open an exit decided at k stops it first (its child is canceled)
                just = False
                for step in range(3):
                    if step == 1:
                        if tgt != prev_tgt:
                            prev_tgt = tgt
                            if direction != 0 and direction != tgt:
                                working = False  # an exit stops a worked entry
                                if pos != 0.0:
                                    vi = volume[i] if has_vol else 0.0
                                    px = px0 * (1.0 - direction * (sl + _impact(abs(pos), vi, imp_coef, imp_cap)))
                                    f = abs(pos) * px * fee
                                    cash += pos * px - f
                                    pnl = pos * (px - entry_px) - entry_fee - f
                                    trades[nt, T_EXIT_I] = i
                                    trades[nt, T_EXIT_PX] = px
                                    trades[nt, T_FEES] = entry_fee + f
                                    trades[nt, T_PNL] = pnl
                                    trades[nt, T_RET] = pnl / (abs(pos) * entry_px)
                                    trades[nt, T_REASON] = R_SIGNAL
                                    nt += 1
                                pos = 0.0
                                direction = 0
                                want = 0.0
                            if tgt != 0 and direction == 0 and algo != ALGO_NONE:
                                # a worked entry: the parent, sized like the risk gate; children below
                                parent = _lots(size * cash / close[k], lot)
                                if parent > 0.0:
                                    working = True
                                    just = True
                                    sent = 0.0
                                    vseen = 0.0
                                    astart = k
                                    direction = tgt
                                    entered = -1
                                    stop_lvl = stop_px[k if per_bar_stop else 0]
                                    tgt_lvl = target_px[k if per_bar_tgt else 0]
                            elif tgt != 0 and direction == 0:
                                px = px0 * (1.0 + tgt * sl)
                                units = size * cash / (px * (1.0 + fee))
                                if volcap > 0.0 and volume[i] > 0.0 and units > volcap * volume[i]:
                                    want = units - volcap * volume[i]
                                    units = volcap * volume[i]
                                if imp_coef > 0.0 and units > 0.0:
                                    px = px0 * (1.0 + tgt * (sl + _impact(units, volume[i], imp_coef, imp_cap)))
                                if units > 0.0:
                                    entry_fee = units * px * fee
                                    pos = tgt * units
                                    cash -= pos * px + entry_fee
                                    direction = tgt
                                    entry_px = px
                                    peak = px
                                    entered = i
                                    trades[nt, T_ENTRY_I] = i
                                    trades[nt, T_DIR] = tgt
                                    trades[nt, T_UNITS] = units
                                    trades[nt, T_ENTRY_PX] = px
                                    stop_lvl = stop_px[k if per_bar_stop else 0]
                                    tgt_lvl = target_px[k if per_bar_tgt else 0]
                                    if sl_pct > 0.0:
                                        lvl = px * (1.0 - tgt * sl_pct)
                                        if np.isnan(stop_lvl) or (lvl - stop_lvl) * tgt > 0:
                                            stop_lvl = lvl
                                    if tp_pct > 0.0:
                                        lvl = px * (1.0 + tgt * tp_pct)
                                        if np.isnan(tgt_lvl) or (tgt_lvl - lvl) * tgt > 0:
                                            tgt_lvl = lvl
                        elif direction != 0 and want > 0.0 and entered < i:
                            # the rest of a volume-capped entry: at this bar's open, at most the cap again
                            add = want
                            if volume[i] > 0.0 and add > volcap * volume[i]:
                                add = volcap * volume[i]
                            px = open_[i] * (1.0 + direction * sl)
                            f = add * px * fee
                            cash -= direction * add * px + f
                            entry_px = (abs(pos) * entry_px + add * px) / (abs(pos) + add)
                            entry_fee += f
                            pos += direction * add
                            want -= add
                            trades[nt, T_UNITS] = abs(pos)
                            trades[nt, T_ENTRY_PX] = entry_px
                        continue
                    if (step == 0 and not at_close) or (step == 2 and at_close and not just):
                        continue
                    if working and k >= astart:
                        # the worked entry's child decided at bar k, filled at px0 of this bar
                        j = k - astart
                        if j > 0 and has_vol:
                            vseen += volume[k]
                        if algo == ALGO_POV:
                            due = min(rate * vseen, parent)
                        else:
                            s_i = min(int(j / slice_bars + 1e-9), plan.shape[0] - 1)
                            due = parent * plan[s_i]
                        q = _lots(due - sent, lot)
                        if j >= horizon_bars - 1e-9:
                            q = parent - sent  # the horizon is over: the rest goes now
                        if part > 0.0 and has_vol and volume[k] > 0.0:
                            q = min(q, _lots(part * volume[k], lot))
                        if q > 0.0:
                            vi = volume[i] if has_vol else 0.0
                            px = px0 * (1.0 + direction * (sl + _impact(q, vi, imp_coef, imp_cap)))
                            f = q * px * fee
                            cash -= direction * q * px + f
                            if pos == 0.0:
                                entry_px = px
                                entry_fee = 0.0
                                peak = px
                                entered = i
                                trades[nt, T_ENTRY_I] = i
                                trades[nt, T_DIR] = direction
                            else:
                                entry_px = (abs(pos) * entry_px + q * px) / (abs(pos) + q)
                            entry_fee += f
                            pos += direction * q
                            sent += q
                            trades[nt, T_UNITS] = abs(pos)
                            trades[nt, T_ENTRY_PX] = entry_px
                            kids[nc, C_TRADE] = nt
                            kids[nc, C_FILL_I] = i
                            kids[nc, C_DECIDE_I] = k
                            kids[nc, C_QTY] = q
                            kids[nc, C_PX] = px
                            kids[nc, C_FEE] = f
                            kids[nc, C_START_I] = astart
                            kids[nc, C_PARENT] = parent
                            nc += 1
                        if sent >= parent:
                            working = False
                continue
            if direction == 0 or pos == 0.0 or (at_close and entered == i):
                continue
            # Effective stop: the tighter of the fixed stop and the trailing stop.
            stop = stop_lvl
            reason = R_STOP
            if tsl_pct > 0.0:
                trail = peak * (1.0 - direction * tsl_pct)
                if np.isnan(stop) or (trail - stop) * direction > 0:
                    stop = trail
                    reason = R_TRAIL
            stop_hit = not np.isnan(stop) and ((direction > 0 and low[i] <= stop) or (direction < 0 and high[i] >= stop))
            tgt_hit = False
            if not np.isnan(tgt_lvl):
                fav = high[i] if direction > 0 else low[i]
                tgt_hit = (fav - tgt_lvl) * direction > 0 or (touch and fav == tgt_lvl)
            stop_gap = stop_hit and (open_[i] - stop) * direction < 0
            tgt_gap = tgt_hit and (open_[i] - tgt_lvl) * direction > 0
            take_stop = stop_hit
            if stop_gap:
                take_stop = True
            elif tgt_gap:
                take_stop = False
            elif stop_hit and tgt_hit:
                take_stop = not favour_first
            exit_px = np.nan
            if take_stop:
                base = open_[i] if stop_gap else stop
                vi = volume[i] if has_vol else 0.0
                exit_px = base * (1.0 - direction * (sl + _impact(abs(pos), vi, imp_coef, imp_cap)))
            elif tgt_hit:
                reason = R_TARGET
                exit_px = open_[i] if tgt_gap else tgt_lvl
            if not np.isnan(exit_px):
                f = abs(pos) * exit_px * fee
                cash += pos * exit_px - f
                pnl = pos * (exit_px - entry_px) - entry_fee - f
                trades[nt, T_EXIT_I] = i
                trades[nt, T_EXIT_PX] = exit_px
                trades[nt, T_FEES] = entry_fee + f
                trades[nt, T_PNL] = pnl
                trades[nt, T_RET] = pnl / (abs(pos) * entry_px)
                trades[nt, T_REASON] = reason
                nt += 1
                pos = 0.0
                direction = 0
                want = 0.0
                working = False
            elif direction > 0:
                peak = max(peak, high[i])
            else:
                peak = min(peak, low[i])
        equity[i] = cash + pos * close[i]
        if equity[i] <= 0.0:
            ruined = True
            equity[i] = 0.0
            if direction != 0:
                # Wiped out: the account is closed at this close; the trade's loss is its
                # mark-to-market (a short can lose more than its notional).
                pnl = pos * (close[i] - entry_px) - entry_fee
                trades[nt, T_EXIT_I] = i
                trades[nt, T_EXIT_PX] = close[i]
                trades[nt, T_FEES] = entry_fee
                trades[nt, T_PNL] = pnl
                trades[nt, T_RET] = pnl / (abs(pos) * entry_px)
                trades[nt, T_REASON] = R_STOP
                nt += 1
                pos = 0.0
                direction = 0
                working = False
    if direction != 0 and pos != 0.0:
        px = close[n - 1]
        pnl = pos * (px - entry_px) - entry_fee
        trades[nt, T_EXIT_I] = n - 1
        trades[nt, T_EXIT_PX] = px
        trades[nt, T_FEES] = entry_fee
        trades[nt, T_PNL] = pnl
        trades[nt, T_RET] = pnl / (abs(pos) * entry_px)
        trades[nt, T_REASON] = R_OPEN
        nt += 1
    return equity, trades, nt, kids, nc


@njit(cache=True, nogil=True)
def metrics_nb(equity, trades, n_trades, init_cash, years):  # type: ignore[no-untyped-def]
    """Return the ``METRIC_NAMES`` vector for one equity curve and its trade records.

    Sharpe and Sortino are annualised with the observed bars per year
    (``(n - 1) / years``), risk-free rate 0, sample std (ddof=1); Sortino's downside
    deviation is the root mean square of the negative bar returns over all bars.
    Trade statistics use closed trades only (an ``open`` trade at the end is excluded).
    """
    out = np.full(10, np.nan)
    n = equity.shape[0]
    final = equity[n - 1]
    out[0] = final / init_cash - 1.0
    if years > 0.0 and final > 0.0:
        out[1] = (final / init_cash) ** (1.0 / years) - 1.0
    elif final <= 0.0:
        out[1] = -1.0
    # Bar returns (first bar against the initial cash), drawdown.
    s = 0.0
    ss = 0.0
    down = 0.0
    prev = init_cash
    peak = init_cash
    mdd = 0.0
    # The drawdown e / peak - 1 is monotone in e under one peak (division and subtraction
    # round monotonically), so its minimum under a peak is that of the lowest equity: one
    # division per peak instead of per bar. Each (lowest, peak) pair whose peak was just
    # passed is written to a small buffer without a branch and divided in batches.
    low = init_cash     # the lowest equity under the current peak
    lows = np.empty(512)
    peaks = np.empty(512)
    g = 0
    for i in range(n):
        # Branch-free body: the branches mispredict on noisy returns and dominate the cost.
        e = equity[i]
        r = e / prev - 1.0 if prev > 0.0 else 0.0
        prev = e
        s += r
        ss += r * r
        neg = min(r, 0.0)
        down += neg * neg
        up = e > peak
        lows[g] = low
        peaks[g] = peak
        g += up
        if g == 512:
            for j in range(512):
                mdd = min(mdd, lows[j] / peaks[j] - 1.0)
            g = 0
        low = e if up else min(low, e)
        peak = max(peak, e)
    for j in range(g):
        mdd = min(mdd, lows[j] / peaks[j] - 1.0)
    mdd = min(mdd, low / peak - 1.0)
    mean = s / n
    ppy = (n - 1) / years if years > 0.0 else 252.0
    if n > 1:
        var = (ss - n * mean * mean) / (n - 1)
        if var > 0.0:
            out[2] = mean / np.sqrt(var) * np.sqrt(ppy)
        if down > 0.0:
            out[3] = mean / np.sqrt(down / n) * np.sqrt(ppy)
    out[5] = mdd
    if mdd < 0.0 and not np.isnan(out[1]):
        out[4] = out[1] / -mdd
    wins = 0
    closed = 0
    gp = 0.0
    gl = 0.0
    tot = 0.0
    for t in range(n_trades):
        if trades[t, T_REASON] == R_OPEN:
            continue
        closed += 1
        p = trades[t, T_PNL]
        tot += p
        if p > 0.0:
            wins += 1
            gp += p
        else:
            gl -= p
    out[9] = closed
    if closed > 0:
        out[6] = wins / closed
        out[8] = tot / closed
        out[7] = gp / gl if gl > 0.0 else np.inf
    return out


def make_params(*, init_cash: float, fee: float, size: float, sl_pct: float = 0.0, tp_pct: float = 0.0,
                tsl_pct: float = 0.0, allow_short: bool = True, delay: int = 0, fill_close: bool = False,
                limit_touch: bool = False, favourable_first: bool = False,
                max_volume_share: float = 0.0, algo: int = ALGO_NONE, slice_bars: float = 1.0,
                horizon_bars: float = 0.0, participation: float = 0.0, lot: float = 0.0,
                impact_bps_per_pct_volume: float = 0.0, max_impact_bps: float = 0.0,
                pov_rate: float = 0.0) -> np.ndarray:
    """Pack simulation settings into the kernel's ``params`` vector."""
    p = np.zeros(N_PARAMS)
    p[P_CASH], p[P_FEE], p[P_SIZE] = init_cash, fee, size
    p[P_SL], p[P_TP], p[P_TSL] = sl_pct, tp_pct, tsl_pct
    p[P_SHORT], p[P_DELAY] = float(allow_short), float(delay)
    p[P_FILL_CLOSE], p[P_TOUCH], p[P_FAVOUR] = float(fill_close), float(limit_touch), float(favourable_first)
    p[P_VOLCAP] = max_volume_share
    p[P_ALGO], p[P_SLICE_BARS], p[P_HORIZON_BARS] = float(algo), slice_bars, horizon_bars
    p[P_PART], p[P_LOT] = participation, lot
    p[P_IMPACT], p[P_MAXIMPACT], p[P_RATE] = impact_bps_per_pct_volume, max_impact_bps, pov_rate
    return p
