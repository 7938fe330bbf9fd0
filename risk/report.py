"""The risk report: trading state and why, every limit with its use, VaR/CVaR now,
exposure by correlated cluster, cooldowns and size cuts. ``tradefleet risk`` prints it;
the running gate saves it (``risk_report`` key) so the CLI can show it from another
process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from tradefleet.risk.limits import resolve

if TYPE_CHECKING:
    from tradefleet.orchestrator.clock import Clock
    from tradefleet.risk.alerts import AlertSink
    from tradefleet.risk.blockers import Blockers
    from tradefleet.risk.config import PortfolioRiskConfig
    from tradefleet.risk.confirm import ConfirmationBook
    from tradefleet.risk.daily_loss import DailyLossGuard
    from tradefleet.risk.limits import TradeCounter
    from tradefleet.risk.market_model import MarketModel
    from tradefleet.risk.prechecks import Snapshot
    from tradefleet.risk.state import StateBook

KEY = "risk_report"


class ReportedGate(Protocol):
    """What the report reads from a risk gate (:class:`tradefleet.risk.engine.PortfolioRiskGate`).

    A protocol rather than the class, so the engine can import this module and this
    module never imports the engine."""

    config: PortfolioRiskConfig
    clock: Clock
    snap: Snapshot | None
    states: StateBook
    daily: DailyLossGuard
    trades: TradeCounter
    blockers: Blockers
    confirmations: ConfirmationBook
    alerts: AlertSink
    model: MarketModel
    greeks_provider: Callable[[list[Any]], Any] | None
    _fleet_of: dict[str, str]


def _limit(name: str, used: float, limit: float) -> dict[str, Any]:
    return {"limit": name, "used": used, "max": limit, "use": used / limit if limit > 0 else 0.0}


def build_report(gate: ReportedGate) -> dict[str, Any]:
    """Return the report of ``gate`` as JSON-ready data."""
    cfg = gate.config
    now = gate.clock.now_ns()
    snap = gate.snap
    book = snap.book if snap is not None else None
    equity = book.equity if book is not None else 0.0
    state, why, scope = gate.states.effective(["fleet", *[s for s in gate.states.snapshot() if s != "fleet"]])
    if gate.daily.halted and state.label == "active":
        state_label, why, scope = "halted", gate.daily.reason, "fleet"
    else:
        state_label = state.label
    limits: list[dict[str, Any]] = []
    if book is not None:
        limits.append(_limit("gross_exposure", book.gross, cfg.gross_exposure_pct * equity))
        limits.append(_limit("max_positions", book.count, cfg.max_positions))
        largest = max((abs(h.notional) for h in book.holdings.values()), default=0.0)
        limits.append(_limit("max_position", largest, cfg.max_position_pct * equity))
        for bot in sorted(set(cfg.bots) | set(book.count_bot)):
            scoped = resolve(cfg, bot, gate._fleet_of.get(bot, "default"))
            for kind, key, pct in scoped.gross_exposure_pct:
                if kind == "bot":
                    limits.append(_limit(f"gross_exposure bot:{key}", book.gross_bot.get(key, 0.0), pct * equity))
            for kind, key, cap in scoped.max_positions:
                if kind == "bot":
                    limits.append(_limit(f"max_positions bot:{key}", book.count_bot.get(key, 0), cap))
        for fleet, sl in sorted(cfg.fleets.items()):
            if sl.gross_exposure_pct is not None:
                limits.append(_limit(f"gross_exposure fleet:{fleet}", book.gross_fleet.get(fleet, 0.0),
                                     sl.gross_exposure_pct * equity))
    limits.append(_limit("trades_today", gate.trades.today("global", ""), cfg.max_trades_per_day))
    daily = gate.daily.report(equity)
    limits.append(_limit("daily_loss", max(daily["loss"], 0.0), daily["limit"]))
    return {
        "ts_ns": now,
        "state": state_label, "reason": why, "scope": scope or "fleet",
        "states": gate.states.snapshot(),
        "equity": equity,
        "limits": limits,
        "daily_loss": daily,
        "var": _var_now(gate),
        "clusters": _clusters(gate),
        "greeks": _greeks(gate),
        **gate.blockers.report(now),
        "pending_confirmations": [
            {"id": p.id, "bot": p.bot, "instrument": p.instrument, "direction": p.direction,
             "quantity": str(p.quantity), "notional": p.notional, "expires_ns": p.expires_ns}
            for p in gate.confirmations.pending()],
        "alerts": [{"kind": a.kind, "scope": a.scope, "reason": a.reason, "ts_ns": a.ts_ns}
                   for a in gate.alerts.recent[-10:]],
    }


def _var_now(gate: ReportedGate) -> dict[str, Any]:
    pv, snap = gate.model.var, gate.snap
    cfg = gate.config.var
    if pv is None or snap is None:
        return {"measured": False}
    # option legs count through their delta-gamma columns, built at the last check that
    # held them (risk/options/scenarios.py); otherwise they are listed unmeasured
    insts = getattr(gate, "instruments", {}) or {}
    held = {i for (_, i) in snap.book.holdings if getattr(insts.get(i), "option", None) is not None}
    if held:
        pv = next((m for m in getattr(gate, "_var_models", {}).values() if held <= set(m.index)), pv)
    w = pv.weights(snap.book.exposures())
    out: dict[str, Any] = {"measured": True,
                           "unmeasured": gate.model.unmeasured + sorted(held - set(pv.index)),
                           "limits": {"var95": cfg.var95_pct, "var99": cfg.var99_pct,
                                      "cvar95": cfg.cvar95_pct, "cvar99": cfg.cvar99_pct}}
    for method in cfg.methods:
        out[method] = pv.measure(w, method).as_dict()
    return out


def _greeks(gate: ReportedGate) -> dict[str, Any] | str | None:
    if gate.greeks_provider is None:
        return None
    g = gate.snap.greeks if gate.snap is not None else None
    if g is None:
        return "unmeasured"
    return {k: float(getattr(g, k, 0.0)) for k in ("delta", "gamma", "theta", "vega", "rho")}


def _clusters(gate: ReportedGate) -> list[dict[str, Any]]:
    snap = gate.snap
    if snap is None:
        return []
    equity = snap.book.equity or 1.0
    seen: dict[int, dict[str, Any]] = {}
    for sym in snap.book.net_symbol:
        if not snap.book.net_symbol[sym]:
            continue
        members = gate.model.cluster(sym)
        cid = gate.model.cluster_of.get(sym, -1 - len(seen))
        if cid not in seen:
            gross = snap.book.cluster_gross(members)
            seen[cid] = {"members": members, "gross": gross, "pct": gross / equity,
                         "cap_pct": gate.config.correlation.cluster_cap_pct}
    return sorted(seen.values(), key=lambda c: -c["gross"])
