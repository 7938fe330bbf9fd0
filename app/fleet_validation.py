"""The fleet-level Go/No-Go: judge a fleet as ONE portfolio (``tradefleet validate --fleet``).

A fleet is the bots whose ``[risk] fleet_of`` entry (else their family) names it. The gate:

1. **Replays the fleet** through the real engine and every configured gate, its Thompson
   allocator moving capital between the members (:func:`tradefleet.app.replay.run_replay`),
   on ``[replay]``'s bundled data and window (or ``--from/--to``), into a scratch store
   (the operator's store only receives the verdict).
2. **Judges the combined equity** (the account's daily snapshots): closed trades, win rate,
   annualised Sharpe, deepest drawdown, against ``[validation]``'s thresholds
   (``min_trades``, ``min_win_rate``, ``min_sharpe``, ``max_drawdown``), no member faulted,
   and no member replayed generated (synthetic) quotes.
3. **Out of sample, walking forward**: the replay window is cut into ``wf_folds + 1``
   equal stretches of time; the first is the warm-up in which the allocator, Kelly and the
   regime models learn; each later fold is traded with what was learnt before it only (the
   allocator's posteriors are updated on the simulated clock, never from the future). The
   pooled Sharpe of folds 1..K must exceed ``min_oos_sharpe``. Bot parameters are their
   defaults, not re-fitted per fold: each member's own ``tradefleet validate`` runs the
   per-bot walk-forward re-optimisation, and its latest verdict is shown beside it.
4. **Reports beside it**: each member's contribution (P&L, share, trades, win rate, capital
   budget and use), the members' daily P&L correlation (matrix, mean and most correlated
   pair), capital utilisation (average gross exposure / equity) and size refusals.

Member P&L per day is rebuilt from the stored fills and the bars' closes (an instrument
without bars, e.g. a modelled option, is marked at its last fill).
"""

from __future__ import annotations

import math
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.backtest.records import Check, ValidationRecord, finite_json, open_validation_store
from tradefleet.orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.registry import Registry

NS = 1_000_000_000
YEAR_S = 365.25 * 86_400


@dataclass
class FleetValidation:
    """The verdict on one fleet and everything it rests on."""

    fleet: str
    ts_ns: int
    passed: bool
    window: dict[str, str]
    checks: list[Check]
    metrics: dict[str, Any]
    walk_forward: dict[str, Any]
    members: list[dict[str, Any]]
    correlation: dict[str, Any]
    capital: dict[str, Any]
    equity: list[tuple[int, float]] = field(default_factory=list)
    member_pnl: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]

    def to_dict(self, curves: bool = False) -> dict[str, Any]:
        d = finite_json(asdict(self))
        d["verdict"] = "GO" if self.passed else "NO-GO"
        d["failed"] = self.failed_checks
        if not curves:
            d.pop("equity")
            d.pop("member_pnl")
        return d

    def record(self) -> ValidationRecord:
        """The verdict as a validation record (``bot = "fleet:<name>"``) for the validation store."""
        return ValidationRecord(f"fleet:{self.fleet}", self.ts_ns, self.passed, self.window.get("data", "bundled"),
                                self.checks, metrics={k: v for k, v in self.metrics.items()
                                                      if isinstance(v, int | float) or v is None},
                                walk_forward=self.walk_forward, error=self.error)




# -- members ----------------------------------------------------------------------------
def fleet_of(config: AppConfig, name: str, family: str) -> str:
    """The fleet a bot belongs to: ``[risk] fleet_of``, else its family."""
    return config.risk.fleet_of.get(name) or family or "default"


def fleet_members(config: AppConfig, registry: Registry, fleet: str) -> list[str]:
    """The enabled bots of ``fleet``; bad input (exit 2) naming the known fleets if none."""
    from tradefleet.app.replay import select_bots

    specs = select_bots(registry, config, None)
    fleets: dict[str, list[str]] = defaultdict(list)
    for s in specs:
        fleets[fleet_of(config, s.name, s.family)].append(s.name)
    if fleet not in fleets:
        raise ConfigError(f"validate --fleet: no fleet named {fleet!r} (fleets: {', '.join(sorted(fleets))}; "
                          "a fleet is a bot family or a [risk] fleet_of name)")
    return sorted(fleets[fleet])


# -- statistics -------------------------------------------------------------------------
def sharpe(values: list[float], ts_ns: list[int]) -> float:
    """Annualised Sharpe of the returns between consecutive equity marks (periods per year
    from the marks' own spacing, so a 5-day and a 7-day week are both right)."""
    if len(values) < 3 or ts_ns[-1] <= ts_ns[0]:
        return float("nan")
    rets = [b / a - 1.0 for a, b in zip(values, values[1:], strict=False) if a > 0]
    n = len(rets)
    mean = sum(rets) / n
    var = sum((r - mean) ** 2 for r in rets) / (n - 1) if n > 1 else 0.0
    if var <= 0:
        return float("nan")
    per_year = n / ((ts_ns[-1] - ts_ns[0]) / NS / YEAR_S)
    return mean / math.sqrt(var) * math.sqrt(per_year)


def max_drawdown(values: list[float]) -> float:
    """The deepest fall from a running peak, as a fraction of the peak (0 when none)."""
    peak, worst = -math.inf, 0.0
    for v in values:
        peak = max(peak, v)
        if peak > 0:
            worst = max(worst, 1.0 - v / peak)
    return worst


def walk_forward_folds(ts_ns: list[int], values: list[float], folds: int) -> dict[str, Any]:
    """Cut the curve into ``folds + 1`` equal stretches of time; the first is warm-up, the
    rest are out of sample (each traded with only what was learnt before it)."""
    if len(ts_ns) < 2:
        return {"folds": [], "oos_sharpe": float("nan"), "oos_return": float("nan"), "positive_folds": 0}
    lo, hi = ts_ns[0], ts_ns[-1]
    step = (hi - lo) / (folds + 1)
    out = []
    oos_t: list[int] = []
    oos_v: list[float] = []
    for k in range(folds + 1):
        a, b = lo + k * step, lo + (k + 1) * step
        # each fold starts at the last mark of the previous one, so its first return is counted once
        idx = [i for i, t in enumerate(ts_ns) if a <= t < b or (k == folds and t >= a)]
        if idx and idx[0] > 0:
            idx = [idx[0] - 1, *idx]
        t = [ts_ns[i] for i in idx]
        v = [values[i] for i in idx]
        ret = (v[-1] / v[0] - 1.0) if len(v) >= 2 and v[0] > 0 else float("nan")
        out.append({"fold": k, "role": "warm-up" if k == 0 else "out-of-sample",
                    "start_ns": int(a), "end_ns": int(b), "marks": len(v), "return": ret,
                    "sharpe": sharpe(v, t), "max_drawdown": max_drawdown(v)})
        if k > 0:
            if oos_t and t and t[0] == oos_t[-1]:
                t, v = t[1:], v[1:]
            oos_t += t
            oos_v += v
    oos = out[1:]
    return {"folds": out, "oos_sharpe": sharpe(oos_v, oos_t),
            "oos_return": (oos_v[-1] / oos_v[0] - 1.0) if len(oos_v) >= 2 and oos_v[0] > 0 else float("nan"),
            "positive_folds": sum(1 for f in oos if isinstance(f["return"], float) and f["return"] > 0),
            "oos_folds": len(oos)}


def correlation(series: dict[str, list[float]]) -> dict[str, Any]:
    """Pearson correlation of the members' daily P&L changes (members that never moved are left out)."""
    import numpy as np

    names = [n for n, s in series.items() if len(s) > 2 and float(np.std(np.diff(s))) > 0]
    if len(names) < 2:
        return {"members": names, "matrix": [], "mean_pairwise": None, "max_pair": None,
                "note": "fewer than two members moved: no correlation"}
    diffs = np.array([np.diff(series[n]) for n in names])
    m = np.corrcoef(diffs)
    pairs = [(float(m[i, j]), names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    top = max(pairs)
    return {"members": names, "matrix": [[round(float(x), 4) for x in row] for row in m],
            "mean_pairwise": round(sum(p[0] for p in pairs) / len(pairs), 4),
            "max_pair": {"a": top[1], "b": top[2], "rho": round(top[0], 4)}}


def member_pnl(store: Any, account: str, marks_ts: list[int], closes: dict[str, tuple[list[int], list[float]]],
               members: list[str]) -> dict[str, list[float]]:
    """Each member's cumulative P&L (realised + marked, after fees) at each equity mark,
    rebuilt from the stored orders and fills."""
    import bisect

    bot_of = {o.client_order_id: o.bot for o in store.orders() if o.account == account}
    fills = sorted((f for f in store.fills() if f.client_order_id in bot_of), key=lambda f: f.ts_init)
    cash: dict[str, float] = defaultdict(float)
    qty: dict[tuple[str, str], float] = defaultdict(float)
    last_fill: dict[str, float] = {}
    out: dict[str, list[float]] = {m: [] for m in members}
    k = 0
    for ts in marks_ts:
        while k < len(fills) and fills[k].ts_init <= ts:
            f = fills[k]
            bot, q = bot_of[f.client_order_id], float(f.signed_qty)
            cash[bot] -= q * float(f.price) + float(f.fee)
            qty[(bot, f.instrument)] += q
            last_fill[f.instrument] = float(f.price)
            k += 1
        value: dict[str, float] = defaultdict(float)
        for (bot, inst), q in qty.items():
            if abs(q) < 1e-12:
                continue
            px = last_fill.get(inst, 0.0)
            if inst in closes:
                t, c = closes[inst]
                i = bisect.bisect_right(t, ts) - 1
                if i >= 0:
                    px = c[i]
            value[bot] += q * px
        for m in members:
            out[m].append(cash[m] + value[m])
    return out


# -- the gate ---------------------------------------------------------------------------
def validate_fleet(config: AppConfig, fleet: str, *, start: str | None = None, end: str | None = None,
                   registry: Registry | None = None, validations: Any = None, now_ns: int | None = None,
                   replay_store: str | None = None) -> FleetValidation:
    """Replay ``fleet`` with its allocator through every gate and judge it as one portfolio."""
    from tradefleet.app.replay import resolve_frames, run_replay
    from tradefleet.orchestrator.clock import LiveClock, ns_to_dt
    from tradefleet.orchestrator.registry import Registry as _Registry
    from tradefleet.orchestrator.store import Store

    reg = registry or _Registry.discover()
    members = fleet_members(config, reg, fleet)
    now = now_ns if now_ns is not None else LiveClock().now_ns()
    v = config.validation
    with tempfile.TemporaryDirectory(prefix="tradefleet-fleet-") as tmp:
        url = replay_store or f"sqlite:///{Path(tmp) / 'fleet.db'}"
        summary = run_replay(config, bots=members, start=start, end=end, store_url=url)
        store = Store.open(url)
        try:
            curve = [(p.ts_ns, float(p.equity)) for p in store.equity_curve(summary.account)]
            ts = [t for t, _ in curve]
            eq = [e for _, e in curve]
            ran = [b.name for b in summary.bots]
            symbols = sorted({i for b in summary.bots for i in b.instruments})
            try:
                frames, _ = resolve_frames(config, symbols, None, end)
            except Exception:  # noqa: BLE001 - a quoted (event) instrument has no bar file: marked at fills
                frames = {}
            closes = {s: (f.index.as_unit("ns").asi8.tolist(), f["close"].astype(float).tolist())
                      for s, f in frames.items()}
            pnl = member_pnl(store, summary.account, ts, closes, ran)
        finally:
            store.close()

    closed = sum(b.closed_trades for b in summary.bots)
    wins = sum(round((b.win_rate or 0.0) * b.closed_trades) for b in summary.bots)
    win_rate = wins / closed if closed else float("nan")
    sh = sharpe(eq, ts)
    dd = max_drawdown(eq)
    wf = walk_forward_folds(ts, eq, v.wf_folds)
    years = (ts[-1] - ts[0]) / NS / YEAR_S if len(ts) > 1 else 0.0
    ret = summary.total_return_pct / 100.0
    metrics = {"return": ret, "cagr": ((1 + ret) ** (1 / years) - 1) if years > 0 and ret > -1 else float("nan"),
               "sharpe": sh, "max_drawdown": dd, "trades": closed, "win_rate": win_rate, "fills": summary.fills,
               "equity": summary.equity, "starting_cash": summary.starting_cash, "years": years,
               "members": len(members), "members_run": len(ran),
               "capital_utilisation": summary.capital.get("account_avg_gross_of_equity"),
               "size_refusal_pct": summary.capital.get("size_refusal_pct")}
    faulted = [b.name for b in summary.bots if b.status == "faulted"]
    synthetic = _synthetic_members(config, reg, ran)

    def ge(x: float, t: float) -> bool:
        return isinstance(x, int | float) and math.isfinite(x) and x >= t

    checks = [
        Check("trades", closed, f">= {v.min_trades}", closed >= v.min_trades),
        Check("win_rate", _num(win_rate), f">= {v.min_win_rate:g}", ge(win_rate, v.min_win_rate)),
        Check("sharpe", _num(sh), f">= {v.min_sharpe:g}", ge(sh, v.min_sharpe)),
        Check("max_drawdown", round(dd, 6), f"<= {v.max_drawdown:g}", dd <= v.max_drawdown),
        Check("wf_oos_sharpe", _num(wf["oos_sharpe"]), f"> {v.min_oos_sharpe:g}",
              math.isfinite(wf["oos_sharpe"]) and wf["oos_sharpe"] > v.min_oos_sharpe),
        Check("members_healthy", len(faulted) == 0, "no member faulted", not faulted),
        # a result on generated quotes is reported, never a GO (as for each bot's quote replay)
        Check("recorded_data", not synthetic, "no member on generated data", not synthetic),
    ]
    vstore = validations
    total_pnl = sum(s[-1] for s in pnl.values() if s) if pnl else 0.0
    cap_bots = summary.capital.get("bots", {})
    rows = []
    by_name = {b.name: b for b in summary.bots}
    for name in members:
        b = by_name.get(name)
        latest = vstore.latest(name) if vstore is not None else None
        gate = ("GO" if latest.passed else "NO-GO") if latest is not None else "not validated"
        row: dict[str, Any] = {"bot": name, "status": "skipped" if b is None else b.status,
                               "note": summary.skipped_bots.get(name, "") or (b.error if b is not None else ""),
                               "gate": gate, "gate_failed": (latest.failed_checks or ([latest.error] if latest.error
                                                                                      else [])) if latest else [],
                               "gate_ts_ns": latest.ts_ns if latest else None}
        if b is not None:
            p = pnl.get(name, [0.0])[-1] if pnl.get(name) else 0.0
            row.update({"instruments": b.instruments, "fills": b.fills, "trades": b.closed_trades,
                        "win_rate": b.win_rate, "pnl": round(p, 2),
                        "share_of_pnl": round(p / total_pnl, 4) if total_pnl else None,
                        "budget_of_equity": cap_bots.get(name, {}).get("budget_of_equity"),
                        "avg_gross_of_equity": cap_bots.get(name, {}).get("avg_gross_of_equity"),
                        "size_refusals": cap_bots.get(name, {}).get("size_refusals", 0)})
        rows.append(row)
    notes = ["out-of-sample: fold 0 is warm-up; folds 1..K are traded with what the allocator, Kelly and "
             "the regime models learnt before each (bot parameters are their defaults, not re-fitted)"]
    if synthetic:
        notes.append(f"generated data: {', '.join(synthetic)} replay the {config.replay.snapshots!r} session "
                     "(synthetic, not recorded): the fleet cannot pass on it")
    if summary.skipped_bots:
        notes.append("skipped (no data in the window): " + "; ".join(f"{k}: {x}" for k, x in summary.skipped_bots.items()))
    if not ts:
        notes.append("no equity marks: nothing was replayed in the window")
    elif len(ts) < 5 * (v.wf_folds + 1):
        notes.append(f"only {len(ts)} equity marks for {v.wf_folds + 1} folds: the walk-forward figures rest on "
                     "too few returns to mean much")
    return FleetValidation(
        fleet=fleet, ts_ns=now, passed=all(c.passed for c in checks),
        window={"start": summary.start, "end": summary.end, "data": "bundled" if not config.replay.data else "configured",
                "from": ns_to_dt(ts[0]).date().isoformat() if ts else "", "to": ns_to_dt(ts[-1]).date().isoformat() if ts else ""},
        checks=checks, metrics=metrics, walk_forward=wf, members=rows, correlation=correlation(pnl),
        capital={"account_avg_gross_of_equity": summary.capital.get("account_avg_gross_of_equity"),
                 "fleets": summary.capital.get("fleets", {}), "entry_signals": summary.capital.get("entry_signals"),
                 "size_refusals": summary.capital.get("size_refusals"),
                 "size_refusal_pct": summary.capital.get("size_refusal_pct")},
        equity=curve, member_pnl=pnl, notes=notes)


def _synthetic_members(config: AppConfig, registry: Registry, members: list[str]) -> list[str]:
    """The members whose replay ran on generated quotes (their tick source is not recorded)."""
    out = []
    for name in members:
        bot = registry.bot(name).bot
        if not (bot.event_driven and getattr(bot, "tick_source", None)):
            continue
        try:
            source = registry.get("providers", bot.tick_source).from_config(config)
            kind = dict(getattr(source, "provenance", {}) or {}).get("kind")
        except Exception:  # noqa: BLE001 - a source that cannot say is not recorded
            kind = None
        if kind != "recorded":
            out.append(name)
    return out


def _num(x: float) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def save(result: FleetValidation, target: Any) -> None:
    """Store the verdict as ``fleet:<name>`` in the validation store (store URL or folder)."""
    open_validation_store(target).save(result.record())
