from decimal import Decimal
from typing import ClassVar

from tradefleet.orchestrator.domain import Decision, Direction, Signal, Verdict
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.pipeline.runner import GatePipeline


class FixedGate:
    def __init__(self, name: str, decision: Decision) -> None:
        self.name = name
        self.decision = decision
        self.calls = 0

    def evaluate(self, signal: Signal, ctx: GateContext) -> Decision:
        self.calls += 1
        return self.decision


class RecordingRisk:
    name: ClassVar[str] = "risk"

    def __init__(self) -> None:
        self.scales: list[float] = []

    def approve(self, signal: Signal, ctx: GateContext, scale: float) -> tuple[Decision, Decimal]:
        self.scales.append(scale)
        return Decision.passed("risk", "sized"), Decimal(10) * Decimal(repr(scale))


SIG = Signal("b", "X", Direction.LONG, 1.0, 1.0, 1, 1)
EXIT = Signal("b", "X", Direction.FLAT, 1.0, 1.0, 2, 2)


def test_pipeline_multiplies_resizes_in_order() -> None:
    risk = RecordingRisk()
    p = GatePipeline([FixedGate("regime", Decision.resized("regime", 0.5, "bear")),
                      FixedGate("ensemble", Decision.resized("ensemble", 0.5, "weak"))], risk)
    res = p.run(SIG, None)  # type: ignore[arg-type]
    assert risk.scales == [0.25] and res.quantity == Decimal("2.5") and res.outcome == "ordered"
    assert [d.gate for d in res.decisions] == ["regime", "ensemble", "risk"]


def test_pipeline_reject_stops_the_chain() -> None:
    risk = RecordingRisk()
    later = FixedGate("veto", Decision.passed("veto"))
    p = GatePipeline([FixedGate("regime", Decision.rejected("regime", "regime_excluded")), later], risk)
    res = p.run(SIG, None)  # type: ignore[arg-type]
    assert res.quantity == 0 and res.outcome == "rejected:regime:regime_excluded"
    assert later.calls == 0 and risk.scales == []


def test_pipeline_exits_are_never_blocked_before_risk() -> None:
    risk = RecordingRisk()
    p = GatePipeline([FixedGate("veto", Decision.rejected("veto", "llm_says_no"))], risk)
    res = p.run(EXIT, None)  # type: ignore[arg-type]
    assert res.decisions[0].verdict is Verdict.PASS and res.decisions[0].reason == "exit_passes"
    assert risk.scales == [1.0]
