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
from tradefleet.orchestrator.execution.algos.base import ExecSpec
from tradefleet.orchestrator.execution.desk import ExecutionDesk
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.pipeline.group import IntentGroup


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
        checked = self._check(signal, abs(qty), None)
        if checked is None:
            return decision, qty
        evidence, cap = checked
        cfg = self.desk.config
        if cap is None:
            return replace(decision, data={**decision.data, "impact": evidence}), qty
        if cap <= 0:
            return Decision.rejected(decision.gate, "impact_exceeds_edge", _refusal(evidence, cfg.max_cost_share),
                                     {**decision.data, "impact": evidence}), ZERO
        new_qty = cap if qty > 0 else -cap
        detail = f"shrunk from {abs(qty)} to {cap}: expected cost within {cfg.max_cost_share:.0%} of the edge"
        return Decision(decision.gate, Verdict.RESIZE, "impact_resized", detail,
                        float(cap / abs(qty)) * decision.scale, {**decision.data, "impact": evidence}), new_qty

    @property
    def approve_group(self) -> Any:
        """The group decision (:mod:`tradefleet.orchestrator.pipeline.group`) with the impact
        check, when the inner gate judges groups at all (None otherwise, as the inner gate)."""
        return self._approve_group if getattr(self.inner, "approve_group", None) is not None else None

    def _approve_group(self, group: IntentGroup, ctx: GateContext, scale: float) -> tuple[Decision, tuple[Decimal, ...]]:
        """The inner gate's group decision, then the impact check on every leg that opens
        exposure (targets and orders; a quote rests as a maker): one factor for the whole
        intent, the smallest any leg's budget allows, or a refusal of all of it."""
        decision, qtys = self.inner.approve_group(group, ctx, scale)
        if decision.verdict is Verdict.REJECT or group.kind == "quote" or not any(qtys):
            return decision, qtys
        raw = group.meta.get("execution")
        own = ExecSpec.from_data(raw) if isinstance(raw, dict) else None
        factor, evidence, opening = 1.0, {}, []
        for i, (leg, q) in enumerate(zip(group.legs, qtys, strict=True)):
            close = _closing(leg.held, q)
            open_qty = q - close
            if not open_qty or leg.price <= 0:
                opening.append((close, ZERO))
                continue
            checked = self._check(group.leg_signal(i, "", ctx.now_ns), abs(open_qty), own)
            opening.append((close, open_qty))
            if checked is None:
                continue
            ev, cap = checked
            evidence[leg.instrument] = ev
            if cap is not None:
                factor = min(factor, float(cap / abs(open_qty)))
        if not evidence:
            return decision, qtys
        data = {**decision.data, "impact": evidence}
        cfg = self.desk.config
        if factor >= 1.0:
            return replace(decision, data=data), qtys
        new = []
        for leg, (close, open_qty) in zip(group.legs, opening, strict=True):
            lot = self.desk._lot(leg.instrument)
            part = (abs(open_qty) * Decimal(repr(factor))).quantize(lot, ROUND_DOWN)
            new.append(close + (part if open_qty > 0 else -part))
        if factor <= 0 or all(n == c for n, (c, o) in zip(new, opening, strict=True) if o):
            worst = min((e for e in evidence.values() if "max_quantity" in e), key=lambda e: float(e["max_quantity"]))
            return Decision.rejected(decision.gate, "impact_exceeds_edge", _refusal(worst, cfg.max_cost_share), data), \
                tuple(ZERO for _ in qtys)
        detail = f"every opening leg x{factor:.4g}: expected cost within {cfg.max_cost_share:.0%} of the edge"
        return Decision(decision.gate, Verdict.RESIZE, "impact_resized", detail, factor * decision.scale, data), \
            tuple(new)

    def _check(self, signal: Signal, qty: Decimal, own: ExecSpec | None) -> tuple[dict[str, Any], Decimal | None] | None:
        """The expected cost of trading ``qty`` of ``signal``'s instrument against its edge:
        (evidence, None) within the budget, (evidence, the largest quantity within it)
        over it; None without a market to judge by."""
        cfg = self.desk.config
        if getattr(self.desk.instruments.get(signal.instrument), "option", None) is not None:
            # a listed option fills at its chain's touch: its spread is in the quote the bot priced,
            # not an impact to weigh against a bps edge (a premium's spread is several % of it)
            return None
        view = self.desk.view(signal.instrument)
        if view is None:
            return None
        spread = max(view.ask - view.bid, 0.0)
        rate, bar_s = view.volume_rate, view.bar_seconds
        if own is not None:  # the intent's own spec: worked over its horizon
            horizon = max(own.horizon_s, bar_s)
        else:
            worked = self.desk.works_by_default(view, qty)
            horizon = max(cfg.horizon_s, bar_s) if worked else bar_s  # a market order trades within a bar
        edge, source = expected_edge(signal, cfg.default_edge_bps, spread)
        budget = edge * cfg.max_cost_share
        model = self.desk.impact_for(signal.instrument)
        estimate = model.estimate(float(qty), view.close, spread, rate, horizon)
        evidence: dict[str, Any] = {**estimate.as_data(), "edge_per_unit": round(edge, 6), "edge_source": source,
                                    "budget_per_unit": round(budget, 6), "horizon_s": horizon}
        if estimate.per_unit <= budget:
            return evidence, None
        lot = self.desk._lot(signal.instrument)
        cap = Decimal(repr(model.max_quantity(budget, spread, rate, horizon))).quantize(lot, ROUND_DOWN)
        evidence["max_quantity"] = str(cap)
        return evidence, cap


def _refusal(evidence: dict[str, Any], share: float) -> str:
    per_unit = evidence["total"] / evidence["quantity"] if evidence.get("quantity") else 0.0
    return (f"expected cost {per_unit:.6g}/unit ({evidence.get('bps', 0.0):.1f} bps) exceeds {share:.0%} of the "
            f"{evidence['edge_source']} edge {evidence['edge_per_unit']:.6g}/unit")


def _closing(held: Decimal, q: Decimal) -> Decimal:
    """The part of a leg's quantity ``q`` that closes the position ``held`` (never held back)."""
    if not held or not q or (held > 0) == (q > 0):
        return ZERO
    return -held if abs(q) >= abs(held) else q
