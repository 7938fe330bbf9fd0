"""Run a signal through the configured gates in order, then the risk gate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradefleet.orchestrator.domain import ZERO, Decision, Signal, Verdict
from tradefleet.orchestrator.errors import PluginError
from tradefleet.orchestrator.pipeline.gate import Gate, GateContext, RiskGate
from tradefleet.orchestrator.registry import Registry


@dataclass(frozen=True)
class PipelineResult:
    """Every decision taken, and the signed quantity to order (zero: nothing to send)."""

    decisions: tuple[Decision, ...]
    quantity: Decimal

    @property
    def outcome(self) -> str:
        last = self.decisions[-1]
        if last.verdict is Verdict.REJECT:
            return f"rejected:{last.gate}:{last.reason}"
        return "ordered" if self.quantity else "noop"


class GatePipeline:
    """regime -> ensemble -> veto -> ... -> risk; a reject stops the chain."""

    def __init__(self, gates: list[Gate], risk: RiskGate) -> None:
        self.gates = gates
        self.risk = risk

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.gates] + [self.risk.name]

    def run(self, signal: Signal, ctx: GateContext) -> PipelineResult:
        decisions: list[Decision] = []
        scale = 1.0
        exiting = signal.direction.sign == 0
        for gate in self.gates:
            d = gate.evaluate(signal, ctx)
            if exiting and d.verdict is not Verdict.PASS:
                # gates judge new exposure; an exit always reaches risk (which may only reduce)
                d = Decision.passed(gate.name, "exit_passes", f"{d.verdict.value}:{d.reason} ignored for an exit", d.data)
            decisions.append(d)
            if d.verdict is Verdict.REJECT:
                return PipelineResult(tuple(decisions), ZERO)
            scale *= d.scale
        d, qty = self.risk.approve(signal, ctx, scale)
        decisions.append(d)
        return PipelineResult(tuple(decisions), ZERO if d.verdict is Verdict.REJECT else qty)


def build_pipeline(stages: list[str], registry: Registry, services: object) -> GatePipeline:
    """Instantiate the configured stages from the ``tradefleet.gates`` registry."""
    built = []
    for name in stages:
        cls = registry.get("gates", name)
        built.append(cls.build(services))
    *gates, risk = built
    if not callable(getattr(risk, "approve", None)):
        raise PluginError(f"pipeline stage {stages[-1]!r} is not a risk gate (it has no approve())")
    for g in gates:
        if not callable(getattr(g, "evaluate", None)):
            raise PluginError(f"pipeline stage {g.name!r} has no evaluate()")
    return GatePipeline(gates, risk)
