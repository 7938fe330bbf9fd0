"""What ``tradefleet markets`` and the dashboard's prediction page show: every configured
live market with its touch, the edge engine's fair value and best edge after fees, and
every input's age (one snapshot, built as paper and live trading build it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradefleet.bots.prediction.edge import best_edge, fair_value

if TYPE_CHECKING:
    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.sections import KernelConfig


def markets_view(app: KernelConfig, clock: Clock, source: Any = None) -> dict[str, Any]:
    """Rows (one per configured market) plus the notes of inputs left out."""
    from tradefleet.bots.prediction.live import LiveSnapshotSource

    symbols = sorted(app.prediction.markets)
    if not symbols:
        return {"ts_ns": clock.now_ns(), "markets": [], "notes": {},
                "hint": "no [prediction.markets] configured (see README: Prediction markets)"}
    src = source or LiveSnapshotSource.from_app(app, clock)
    snap = src.build(symbols, clock.now_ns())
    rows = []
    for sym in symbols:
        m = app.prediction.markets[sym]
        q = snap.quotes.get(sym)
        t = snap.terms.get(sym)
        fcs = snap.forecasts.get(t.variable, ()) if t is not None else ()
        ages = {k.split(":", 1)[0]: round(v, 1) for k, v in snap.ages.items()
                if k == f"{m.venue}:{sym}" or k == f"odds:{sym}" or (t is not None and k.endswith(f":{t.variable}"))}
        row: dict[str, Any] = {"market": sym, "venue": m.venue, "domain": m.domain, "variable": m.variable or None,
                               "bid": q.yes_bid if q else None, "ask": q.yes_ask if q else None,
                               "fair": None, "basis": "", "side": None, "edge": None, "ages_s": ages,
                               "note": snap.notes.get(f"{m.venue}:{sym}", ""),
                               "whale_flow": snap.flow.get(sym)}
        if q is not None:
            fair, basis = fair_value(t, q, fcs, snap.odds.get(sym, ()))
            row.update(fair=None if fair is None else round(fair, 4), basis=basis)
            if fair is not None:
                e = best_edge(fair, q, min_edge=-1.0)
                row.update(side={1: "YES", -1: "NO"}.get(e.side), edge=round(e.edge, 4))
        rows.append(row)
    return {"ts_ns": snap.ts_ns, "markets": rows, "notes": dict(snap.notes)}
