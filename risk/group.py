"""A target set, a multi-leg order or a quote pair as ONE risk decision.

:meth:`PortfolioRiskGate.approve_group` delegates here. Given the legs of one intent (each
a signed quantity the bot asked for, a cap), the gate:

1. refuses the whole intent if any leg that adds exposure is blocked (halt, trading
   state, daily loss, shorting, cooldown, contradictory position, trades per day, Greeks);
2. computes the post-trade book once for the whole group: position size, gross exposure
   (global, bot, fleet), positions count, cash, correlated-cluster exposure and
   portfolio VaR/CVaR;
3. finds ONE scale factor for every leg that adds exposure (upstream and sizing factors
   first, then the largest factor at which no limit is breached), keeps the ratios, and
   rounds every leg down to whole lots; reductions are never scaled;
4. when the legs are not atomic at the venue, checks every state the venue can leave
   behind too: each leg filled alone, or, for a staged target set (reductions first),
   the reductions with each single increase; a quote's sides are each checked alone
   (its worst case per side). A breach in such a state refuses the intent unless it
   carries a hedge-on-fill plan (``LegRisk.HEDGE``), in which case only the full state
   must hold;
5. approves all legs or none (a target leg may round to nothing, like any delta under
   one lot), re-checks the rounded state, and books every leg as pending.

A limit counts as breached in a state only if the state is over it AND worse than now,
so an intent that lowers an over-limit exposure is never refused for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from tradefleet.orchestrator.domain import ZERO, Decision, Instrument
from tradefleet.orchestrator.intents import LegRisk
from tradefleet.risk.limits import scope_key
from tradefleet.risk.structure import direction
from tradefleet.risk.state import TradingState
from tradefleet.risk.tickers import underlying

if TYPE_CHECKING:
    from tradefleet.orchestrator.pipeline.gate import GateContext
    from tradefleet.orchestrator.pipeline.group import IntentGroup
    from tradefleet.risk.blockers import Blockers
    from tradefleet.risk.budgets import CapitalBudgets
    from tradefleet.risk.config import PortfolioRiskConfig
    from tradefleet.risk.daily_loss import DailyLossGuard
    from tradefleet.risk.kelly import KellySizer
    from tradefleet.risk.limits import TradeCounter
    from tradefleet.risk.market_model import MarketModel
    from tradefleet.risk.prechecks import Snapshot
    from tradefleet.risk.state import StateBook
    from tradefleet.risk.exposure import ExposureBook
    from tradefleet.risk.limits import ScopedLimits

GATE = "risk"
BISECTION_STEPS = 24  # 6e-8 of the cap: far below one lot


class PortfolioRiskGate(Protocol):
    """What group decisions use of :class:`tradefleet.risk.engine.PortfolioRiskGate` (a protocol, so
    the engine can import this module and this module never imports the engine)."""

    config: PortfolioRiskConfig
    instruments: dict[str, Instrument]
    states: StateBook
    daily: DailyLossGuard
    blockers: Blockers
    trades: TradeCounter
    snap: Snapshot | None
    model: MarketModel
    kelly: KellySizer
    budgets: CapitalBudgets
    _fleet_of: dict[str, str]
    _exits_approved: dict[tuple[str, str], int]

    def learn_timeframe(self, instruments: tuple[str, ...] | list[str], timeframe: str) -> None: ...

    def _snapshot(self, ctx: GateContext) -> Snapshot: ...

    def _scoped(self, bot: str, fleet: str) -> ScopedLimits: ...

    def scopes_of(self, bot: str, instrument: str, fleet: str, asset_class: str | None = None) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Change:
    """One leg as it would change the book: signed quantity at a price."""

    instrument: str
    qty: float
    price: float


def approve_group(gate: PortfolioRiskGate, group: IntentGroup, ctx: GateContext,
                  scale: float) -> tuple[Decision, tuple[Decimal, ...]]:
    """Judge ``group`` as one decision; return it and every leg's signed quantity."""
    n = len(group.legs)
    none = tuple(ZERO for _ in range(n))
    if ctx.spec is not None:
        gate.learn_timeframe(tuple(leg.instrument for leg in group.legs), ctx.spec.timeframe)
    snap = gate._snapshot(ctx)
    book = snap.book
    fleet = str(group.meta.get("fleet") or gate._fleet_of.get(group.bot, "default"))
    if group.reduces_only:
        qtys = tuple(leg.quantity for leg in group.legs)
        _book(gate, group, ctx, fleet, qtys, [leg.price for leg in group.legs])
        return Decision.passed(GATE, "exit", f"{n} reduction(s)"), qtys
    inc = [i for i, leg in enumerate(group.legs) if not leg.reduces]
    why = _blocked(gate, group, ctx, book, fleet, inc)
    if why is not None:
        return Decision.rejected(GATE, why[0], why[1]), none
    equity = book.equity
    prices = _prices(group, ctx)
    if prices is None:
        return Decision.rejected(GATE, "no_quote", ", ".join(leg.instrument for leg in group.legs)), none
    if equity <= 0:
        return Decision.rejected(GATE, "no_equity", f"equity {equity:.2f}"), none
    factors = {
        "regime_scale": _unit(group.meta.get("regime_scale", 1.0)),
        "fleet_weight": _unit(group.meta.get("fleet_weight", 1.0)),
        "loss_streak": gate.blockers.size_multiplier(group.bot),
        "upstream_scale": _unit(scale),
    }
    s0 = math.prod(factors.values())
    limits = gate._scoped(group.bot, fleet)
    budget = gate.budgets.bot_fraction(group.bot, fleet) * equity if gate.budgets.known else None
    check = _Checker(gate, book, limits, group.bot, fleet, ctx, budget)
    desired = [float(leg.quantity) for leg in group.legs]

    def states(s: float, exact: list[float] | None = None) -> list[list[Change]]:
        q = exact if exact is not None else [d * s if i in inc else d for i, d in enumerate(desired)]
        ch = [Change(leg.instrument, q[i], prices[i]) for i, leg in enumerate(group.legs)]
        full = [c for c in ch if c.qty]
        if group.sides:
            return [[c] for c in full]
        out = [full]
        if group.venue_atomic or group.leg_risk is LegRisk.HEDGE or len(full) < 2:
            return out
        if group.staged:
            red = [ch[i] for i in range(n) if i not in inc]
            out += [red] + [red + [ch[k]] for k in inc if ch[k].qty]
        else:
            out += [[c] for c in full]
        return out

    def breach(s: float, exact: list[float] | None = None) -> tuple[str, str] | None:
        for k, st in enumerate(states(s, exact)):
            hit = check.breach(st)
            if hit is not None:
                where = "" if k == 0 else " (one-leg-filled state)" if not group.staged else " (partial state)"
                return hit[0], hit[1] + where
        return None

    binding = "sized" if s0 >= 1.0 else "scaled"
    s = s0
    hit = breach(s)
    if hit is not None:
        binding = hit[0]
        # limits only tighten as the scale grows, so two probes settle the commonest refusals
        # without the bisection (the same decision it would reach; the detail names the probe)
        floor = s0 / 2 ** BISECTION_STEPS  # the least scale the bisection can return
        if floor > 1e-9 and breach(floor) is not None:
            return Decision.rejected(GATE, hit[0], hit[1], {"factors": factors, "states": len(states(s0))}), none
        least = _least_scale(gate, group, ctx, desired, inc) if group.kind != "target" else 0.0
        if floor > 1e-9 and least > 0 and (least >= s0 or breach(least) is not None):
            return Decision.rejected(GATE, "size_below_lot", f"a leg needs scale {least / (1 - 1e-12):.4f} for one "
                                     f"lot; bound by {hit[0]}: {hit[1]}", {"factors": factors}), none
        lo, hi = 0.0, s0
        for _ in range(BISECTION_STEPS):
            mid = (lo + hi) / 2
            if breach(mid) is None:
                lo = mid
            else:
                hi = mid
        s = lo
        if s <= 1e-9:
            return Decision.rejected(GATE, hit[0], hit[1], {"factors": factors, "states": len(states(s0))}), none
    qtys = _round(gate, group, ctx, desired, inc, s)
    if group.kind != "target" and any(q == 0 for q in qtys):
        bound = f"; bound by {hit[0]}: {hit[1]}" if hit is not None else ""
        return Decision.rejected(GATE, "size_below_lot", f"scale {s:.4f} leaves a leg under one lot{bound}",
                                 {"factors": factors}), none
    if all(q == 0 for q in qtys):
        return Decision.rejected(GATE, "size_below_lot", f"scale {s:.4f} leaves nothing to trade"), none
    notional = sum(abs(float(q)) * p * _mult(gate, leg.instrument)
                   for q, p, leg in zip(qtys, prices, group.legs, strict=True))
    if notional < gate.config.min_notional:
        return Decision.rejected(GATE, "size_below_lot", f"{notional:.2f} below min_notional"), none
    final = breach(s, [float(q) for q in qtys])
    if final is not None:  # lot rounding moved a hedged leg: refuse rather than approve a breach
        return Decision.rejected(GATE, final[0], f"after lot rounding: {final[1]}"), none
    _book(gate, group, ctx, fleet, qtys, prices)
    data: dict[str, Any] = {"equity": equity, "factors": factors, "scale": s, "notional": notional,
                            "states": len(states(s)), "legs": [
                                {"instrument": leg.instrument, "wanted": str(leg.quantity), "approved": str(q),
                                 "price": p} for leg, q, p in zip(group.legs, qtys, prices, strict=True)]}
    detail = f"{group.kind} of {n} leg(s) at scale {s:.4f}, {notional:,.2f} notional ({notional / equity:.2%} of equity)"
    if binding == "sized" and s >= 1.0:
        return Decision.passed(GATE, "sized", detail, data), qtys
    return Decision.resized(GATE, min(max(s, 0.0), 1.0), binding, detail, data), qtys


def _blocked(gate: PortfolioRiskGate, group: IntentGroup, ctx: GateContext, book: ExposureBook, fleet: str,
             inc: list[int]) -> tuple[str, str] | None:
    """The first reason any leg that adds exposure may not be entered now."""
    if ctx.halted:
        return "halted", ctx.halt_reason
    for i in inc:
        leg = group.legs[i]
        asset_class = ctx.spec.asset_class.value if ctx.spec is not None else "equity"
        state, why, scope = gate.states.effective(gate.scopes_of(group.bot, leg.instrument, fleet, asset_class))
        if state is not TradingState.ACTIVE:
            return f"state_{state.label}", f"{scope}: {why}"
    if gate.daily.halted:
        return "daily_loss_halt", gate.daily.reason
    limits = gate._scoped(group.bot, fleet)
    opens = 0
    structure = any(getattr(gate.instruments.get(leg.instrument), "option", None) is not None for leg in group.legs)
    judged: set[str] = set()
    last = getattr(ctx.market, "last_close", None)
    for i in inc:
        leg = group.legs[i]
        if leg.after < 0 and not gate.config.allow_short:
            return "short_not_allowed", leg.instrument
        if leg.held == 0 or (leg.held > 0) != (leg.after > 0):
            opens += 1
            left = gate.blockers.cooldown_left(group.bot, leg.instrument, ctx.now_ns)
            if left > 0:
                return "cooldown", f"{left / 60:.1f} min left on {leg.instrument}"
        if structure:  # the bot's positions on the underlying after this intent are ONE bet
            under = underlying(leg.instrument)
            if under in judged:
                continue
            judged.add(under)
            sign = _structure_sign(gate, group, book, under, _spot(ctx, under))
            holders = [h for h in book.holders(leg.instrument, last) if h[0] != group.bot]
        else:
            sign = (leg.after > 0) - (leg.after < 0)
            holders = book.holders(leg.instrument, last)
        other = gate.blockers.contradiction(group.bot, leg.instrument, sign, holders) if sign else None
        if other is not None:
            return "contradictory_position", f"{other[0]} holds the opposite side of {other[1]}"
    if opens:
        hit = gate.trades.breach(limits, group.bot, fleet, ctx.now_ns)
        if hit is not None:
            return hit, "entries today at the limit"
    if gate.snap is not None and gate.snap.greeks is not None:
        from tradefleet.risk.prechecks import greeks_breach

        g = greeks_breach(gate.config.greeks, gate.snap.greeks)
        if g is not None:
            return g
    return None


def _spot(ctx: GateContext, under: str) -> float | None:
    """The underlying's last price (None when the market view has none)."""
    last = getattr(ctx.market, "last_close", None)
    px = last(under) if last is not None else None
    return float(px) if px is not None else None


def _structure_sign(gate: PortfolioRiskGate, group: IntentGroup, book: ExposureBook, under: str,
                    spot: float | None) -> int:
    """The direction of the bot's positions on ``under`` once the group is filled."""
    after = {i: h.quantity for (b, i), h in book.holdings.items() if b == group.bot and underlying(i) == under}
    after.update({leg.instrument: float(leg.after) for leg in group.legs if underlying(leg.instrument) == under})
    return direction([(sym, q, _mult(gate, sym)) for sym, q in after.items()], spot)


def _prices(group: IntentGroup, ctx: GateContext) -> list[float] | None:
    """The price each leg would trade at now: the ask for buys, the bid for sells, or the
    leg's own reference price (a limit) when it is worse for us."""
    from tradefleet.orchestrator.binary import is_binary, no_price

    binary = ctx.spec is not None and is_binary(ctx.spec.asset_class)
    out = []
    for leg in group.legs:
        quote = ctx.market.quote(leg.instrument)
        if quote is None and leg.price <= 0:
            return None
        px = (quote[1] if leg.quantity > 0 else quote[0]) if quote is not None else leg.price
        if binary and leg.quantity < 0 and quote is not None:
            px = no_price(quote[0])  # a binary sell buys NO: its capital at risk is 1 - YES bid
        if not px > 0:
            return None
        out.append(px)
    return out


def _round(gate: PortfolioRiskGate, group: IntentGroup, ctx: GateContext, desired: list[float], inc: list[int],
           s: float) -> tuple[Decimal, ...]:
    """Scale the increases by ``s`` and round every leg towards zero to whole lots (a
    cap is never exceeded: the result is never larger than the leg asked)."""
    out = []
    for i, leg in enumerate(group.legs):
        inst = _instrument(gate, leg.instrument, ctx)
        if i in inc:
            q = inst.round_qty(Decimal(repr(desired[i] * s)))
            if abs(q) > abs(leg.quantity):
                q = leg.quantity
        else:
            q = leg.quantity
        out.append(q)
    return tuple(out)


def _least_scale(gate: PortfolioRiskGate, group: IntentGroup, ctx: GateContext, desired: list[float],
                 inc: list[int]) -> float:
    """A scale below which some increasing leg rounds to no lot (a hair under the exact one,
    so float rounding never lifts a leg to one lot there); 0 when there is no such leg."""
    need = 0.0
    for i in inc:
        leg = group.legs[i]
        inst = _instrument(gate, leg.instrument, ctx)
        if desired[i]:
            need = max(need, float(inst.lot_size) / abs(desired[i]))
    return need * (1 - 1e-12)


def _instrument(gate: PortfolioRiskGate, symbol: str, ctx: GateContext) -> Instrument:
    """The gate's instrument for ``symbol``, else one of the bot's asset class (lot size 1)."""
    return gate.instruments.get(symbol) or Instrument(
        symbol, ctx.spec.asset_class if ctx.spec is not None else _default_class())


def _default_class() -> Any:
    from tradefleet.orchestrator.domain import AssetClass

    return AssetClass.EQUITY


def _book(gate: PortfolioRiskGate, group: IntentGroup, ctx: GateContext, fleet: str, qtys: tuple[Decimal, ...],
          prices: list[float]) -> None:
    snap = gate.snap
    if snap is None:
        return
    for leg, q, px in zip(group.legs, qtys, prices, strict=True):
        if q == 0:
            continue
        snap.book.apply(group.bot, leg.instrument, fleet, float(q), px)
        if leg.reduces:
            if leg.after == 0:
                gate.blockers.on_exit(group.bot, leg.instrument, ctx.now_ns)
                gate._exits_approved[(group.bot, leg.instrument)] = ctx.now_ns
        elif leg.held == 0:
            gate.trades.add(group.bot, fleet, ctx.now_ns)
    snap.probe = None  # the VaR probe no longer matches the book


def _mult(gate: PortfolioRiskGate, instrument: str) -> float:
    from tradefleet.orchestrator.occ import multiplier

    m = multiplier(instrument, gate.instruments)
    return float(m) if m is not None else 1.0


class _Checker:
    """Evaluate one hypothetical state of the book against every limit."""

    def __init__(self, gate: PortfolioRiskGate, book: ExposureBook, limits: ScopedLimits, bot: str, fleet: str,
                 ctx: GateContext | None = None, budget: float | None = None) -> None:
        self.gate, self.book, self.limits, self.bot, self.fleet = gate, book, limits, bot, fleet
        self.budget = budget  # the bot's capital budget in currency (None: no running bots declared)
        self.cfg = gate.config
        self.equity = max(book.equity, 0.0)
        self._var_before: float | None = None
        self._pv: Any = None
        self._ctx = ctx
        self._options: Any = None  # the option structures (built when a state touches one)

    def _option_view(self, changes: list[Change]) -> Any:
        """The account's option structures, if this state involves one (else None)."""
        insts = self.gate.instruments
        involved = any(getattr(insts.get(c.instrument), "option", None) is not None for c in changes)
        if not involved:
            held = {i for (b, i) in self.book.holdings if b == self.bot}
            if not any(getattr(insts.get(i), "option", None) is not None for i in held):
                return None
        if self._options is None:
            from tradefleet.risk.options.gate import OptionsRule, OptionsView

            market = self._ctx.market if self._ctx is not None else None
            spot = getattr(market, "last_close", None) if market is not None else None
            o = self.cfg.options
            self._options = OptionsView(insts, [(h.bot, h.instrument, h.quantity, h.mark)
                                                for h in self.book.holdings.values()],
                                        spot, OptionsRule(o.allow_naked, o.naked_margin))
        return self._options

    def breach(self, changes: list[Change]) -> tuple[str, str] | None:
        book, eq, bot = self.book, self.equity, self.bot
        d_gross = 0.0
        d_count = 0
        spend_by: dict[str, float] = {}
        net_after: dict[str, float] = {}
        for c in changes:
            old = book.holding(bot, c.instrument)
            oldq = old.quantity if old is not None else 0.0
            mark = old.mark if old is not None else c.price
            m = _mult(self.gate, c.instrument)
            newq = oldq + c.qty
            old_n, new_n = oldq * mark * m, newq * mark * m
            if abs(new_n) > abs(old_n) + 1e-9 and abs(new_n) > self.limits.max_position_pct * eq + 1e-6:
                return "max_position", f"{c.instrument}: {abs(new_n):,.2f} > {self.limits.max_position_pct:.0%} of equity"
            d_gross += abs(new_n) - abs(old_n)
            d_count += int(abs(newq) > 1e-12) - int(abs(oldq) > 1e-12)
            spend_by[c.instrument] = spend_by.get(c.instrument, 0.0) + c.qty * c.price * m
            net_after[c.instrument] = book.net_symbol.get(c.instrument, 0.0) + new_n - old_n
        if d_gross > 1e-9:
            for kind, key, pct in self.limits.gross_exposure_pct:
                scope = scope_key(kind, bot, self.fleet)
                used = book.gross if kind == "global" else \
                    (book.gross_bot if kind == "bot" else book.gross_fleet).get(scope, 0.0)
                if used + d_gross > pct * eq + 1e-6:
                    return f"gross_exposure_{kind}", f"{used + d_gross:,.2f} > {pct:.0%} of equity"
        view = self._option_view(changes)
        reserve = held_reserve = 0.0
        if view is not None:
            reserve, why = view.change(bot, [(c.instrument, c.qty) for c in changes])
            if why is not None:
                return why
            spend = sum(spend_by.values())
            if reserve > 1e-9 and book.cash - view.reserved - spend - reserve < -1e-6:
                return "collateral", (f"needs {reserve:,.2f} of collateral and {spend:,.2f} of cash; cash "
                                      f"{book.cash:,.2f}, {view.reserved:,.2f} already reserved")
            held_reserve = view.reserved_by.get(bot, 0.0)
        if self.budget is not None:  # the bot's capital in use: its gross exposure and its collateral
            before = book.gross_bot.get(bot, 0.0) + held_reserve
            after = before + d_gross + reserve
            if after > self.budget + 1e-6 and after > before + 1e-9:
                return "capital_budget", f"{bot}: {after:,.2f} in use > its budget {self.budget:,.2f}"
        spent: dict[tuple[str, str | None], list[float]] = {}  # net spend per account vs its buying power
        for inst, cost in spend_by.items():
            kind, left = book.spendable(inst)  # the book's cash when no venue reported buying power
            key = (kind, book.account_of(inst) if kind == "buying_power" else None)
            spent.setdefault(key, [0.0, left])[0] += cost
        for (kind, _), (need, left) in spent.items():
            if need > 1e-9 and left - need < -1e-6:
                return kind, f"needs {need:,.2f}, {kind.replace('_', ' ')} {left:,.2f}"
        if d_count > 0:
            for kind, key, cap in self.limits.max_positions:
                scope = scope_key(kind, bot, self.fleet)
                used = book.count if kind == "global" else \
                    (book.count_bot if kind == "bot" else book.count_fleet).get(scope, 0)
                if used + d_count > cap:
                    return f"max_positions_{kind}", f"{used + d_count} > {cap}"
        hit = self._cluster(net_after)
        if hit is not None:
            return hit
        return self._var(net_after)

    def _cluster(self, net_after: dict[str, float]) -> tuple[str, str] | None:
        model, book = self.gate.model, self.book
        cap = self.cfg.correlation.cluster_cap_pct * self.equity
        for sym in net_after:
            members = set(model.cluster(sym)) | {sym}
            before = sum(abs(book.net_symbol.get(m, 0.0)) for m in members)
            after = sum(abs(net_after.get(m, book.net_symbol.get(m, 0.0))) for m in members)
            if after > cap + 1e-6 and after > before + 1e-9:
                return "correlation_cluster", f"{sorted(members)}: {after:,.2f} > {cap:,.2f}"
        return None

    def _var(self, net_after: dict[str, float]) -> tuple[str, str] | None:
        pv = self.gate.model.var
        if pv is None or not self.cfg.var.enabled or self.equity <= 0:
            return None
        if self._ctx is not None:  # option legs measured through their underlying (delta-gamma)
            if self._pv is None or any(s not in self._pv.index and self.gate._is_option(s) for s in net_after):
                seen = set(self._pv.symbols) if self._pv is not None else set()
                self._pv = self.gate.var_model(self._ctx, {i for (_, i) in self.book.holdings} | seen | set(net_after))
                self._var_before = None
            pv = self._pv
        eq = self.equity
        if self._var_before is None:
            # the book as it stands, once per decision: each state then moves only the
            # columns of its legs (O(T x legs) instead of O(T x symbols) per state)
            base = pv.weights(self.book.exposures())
            self._base = base
            self._series = pv.returns @ base
            self._cov_base = pv.cov @ base
            self._var_base = float(base @ self._cov_base)
            self._mu_base = float(pv.mean @ base)
            self._var_before = _use(self.cfg.var, self._series, self._mu_base, self._var_base)
        cols, dw = [], []
        for sym, v in net_after.items():
            j = pv.index.get(sym)
            if j is not None:
                cols.append(j)
                dw.append(v / eq - self._base[j])
        if not cols:
            return None
        d = np.asarray(dw)
        series = self._series + pv.returns[:, cols] @ d
        var = self._var_base + 2.0 * float(d @ self._cov_base[cols]) + float(d @ pv.cov[np.ix_(cols, cols)] @ d)
        use = _use(self.cfg.var, series, self._mu_base + float(pv.mean[cols] @ d), var)
        if use > 1.0 + 1e-9 and use > self._var_before + 1e-12:
            return "var_limit", f"VaR/CVaR at {use:.2f}x the limit"
        return None


def _use(cfg: Any, series: np.ndarray, mu: float, variance: float) -> float:
    """The worst of the configured measures over its limit (> 1: breached)."""
    from tradefleet.risk.var import _historical, _parametric

    worst = 0.0
    limits = (cfg.var95_pct, cfg.var99_pct, cfg.cvar95_pct, cfg.cvar99_pct)
    for method in cfg.methods:
        m = _historical(series) if method == "historical" else _parametric(mu, math.sqrt(max(variance, 0.0)))
        for value, lim in zip((m.var95, m.var99, m.cvar95, m.cvar99), limits, strict=True):
            worst = max(worst, value / lim)
    return worst


def _unit(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 1.0
    return 0.0 if not v > 0 else min(v, 1.0)


def conviction_weight(gate: PortfolioRiskGate, bot: str, instrument: str, conviction: float) -> float:
    """The signed equity fraction the gate would commit to ``conviction`` in
    ``instrument`` for ``bot``: conviction x the bot's capital budget x the strongest of
    the Kelly and HRP cuts (the same sizing a signal gets, :mod:`tradefleet.risk.budgets`)."""
    kelly = gate.kelly.relative(bot, instrument)
    hrp = min(gate.model.hrp_multiplier(instrument), 1.0) if gate.config.hrp.enabled else 1.0
    return conviction * gate.budgets.bot_fraction(bot, gate._fleet_of.get(bot, "default")) * min(kelly, hrp)

