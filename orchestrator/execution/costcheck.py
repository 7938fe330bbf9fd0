"""Pre-trade impact check: the risk gate's quantity must be worth its expected cost.

Wraps the pipeline's risk gate (it stays the single writer of quantities): after the
gate approves a quantity for an entry, the expected cost of trading it (spread, temporary
and permanent impact under :mod:`tradefleet.orchestrator.execution.impact`, over the horizon the
order will be worked in) is compared with the signal's expected edge:

- edge per unit = confidence x |target - entry| when the signal has a target, else
  confidence x |entry - stop| (one R) when it has a stop, else ``default_edge_bps`` of
  the entry price;
- the cost may take at most ``max_cost_share`` of that edge. A larger quantity is shrunk
  to the largest one within the budget (lot-rounded); if even one lot is over it, the
  entry is refused with reason ``impact_exceeds_edge``.

Exits are never held back. The estimate, the edge and the budget are stored with the
risk decision as evidence (``data["impact"]``).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from typing import Any

from tradefleet.orchestrator.domain import ZERO, Decision, Signal, Verdict
from tradefleet.orchestrator.execution.desk import ExecutionDesk
from tradefleet.orchestrator.pipeline.gate import GateContext


def expected_edge(signal: Signal, default_edge_bps: float, spread: float = 0.0) -> tuple[float, str]:
    """Return the signal's expected edge per unit and where it came from.

    A bot that prices its own edge at the touch (``meta["edge"]`` per unit, net of paying the
    spread and the venue's fee, with ``meta["edge_basis"] == "touch"``: the prediction bots)
    is taken at its word; half the spread is added back, since the cost estimate charges it."""
    stated = signal.meta.get("edge")
    if signal.meta.get("edge_basis") == "touch" and isinstance(stated, int | float) and stated > 0:
        return float(stated) + spread / 2, "signal_at_touch"
    conf = max(min(signal.confidence, 1.0), 0.0) or 1.0
    if signal.target is not None and signal.target > 0:
        return conf * abs(signal.target - signal.entry), "target"
    if signal.stop is not None and signal.stop > 0:
        return conf * abs(signal.entry - signal.stop), "stop"
    return conf * signal.entry * default_edge_bps / 1e4, "default_bps"


class CostCheckedRisk:
    """The pipeline's risk gate with the pre-trade impact check after it."""

    def __init__(self, inner: Any, desk: ExecutionDesk) -> None:
        self.inner = inner
        self.desk = desk
        self.name = inner.name

    def __getattr__(self, item: str) -> Any:  # observe, report, state: the inner gate's
        return getattr(self.inner, item)

    def approve(self, signal: Signal, ctx: GateContext, scale: float) -> tuple[Decision, Decimal]:
        decision, qty = self.inner.approve(signal, ctx, scale)
        if decision.verdict is Verdict.REJECT or not qty or signal.direction.sign == 0 or signal.entry <= 0:
            return decision, qty
        cfg = self.desk.config
        view = self.desk.view(signal.instrument)
        if view is None:
            return decision, qty
        spread = max(view.ask - view.bid, 0.0)
        rate, bar_s = view.volume_rate, view.bar_seconds
        worked = self.desk.works_by_default(view, abs(qty))
        horizon = max(cfg.horizon_s, bar_s) if worked else bar_s  # a market order trades within a bar
        edge, source = expected_edge(signal, cfg.default_edge_bps, spread)
        budget = edge * cfg.max_cost_share
        estimate = self.desk.impact_for(signal.instrument).estimate(float(abs(qty)), view.close, spread, rate, horizon)
        evidence: dict[str, Any] = {**estimate.as_data(), "edge_per_unit": round(edge, 6), "edge_source": source,
                                    "budget_per_unit": round(budget, 6), "horizon_s": horizon}
        if estimate.per_unit <= budget:
            return replace(decision, data={**decision.data, "impact": evidence}), qty
        lot = self.desk._lot(signal.instrument)
        cap = Decimal(repr(self.desk.impact_for(signal.instrument).max_quantity(budget, spread, rate, horizon))).quantize(lot, ROUND_DOWN)
        evidence["max_quantity"] = str(cap)
        if cap <= 0:
            detail = (f"expected cost {estimate.per_unit:.6g}/unit ({estimate.bps:.1f} bps) exceeds "
                      f"{cfg.max_cost_share:.0%} of the {source} edge {edge:.6g}/unit")
            return Decision.rejected(decision.gate, "impact_exceeds_edge", detail,
                                     {**decision.data, "impact": evidence}), ZERO
        new_qty = cap if qty > 0 else -cap
        detail = f"shrunk from {abs(qty)} to {cap}: expected cost within {cfg.max_cost_share:.0%} of the edge"
        return Decision(decision.gate, Verdict.RESIZE, "impact_resized", detail,
                        float(cap / abs(qty)) * decision.scale, {**decision.data, "impact": evidence}), new_qty
