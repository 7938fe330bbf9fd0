from decimal import Decimal

from bots.fleet.config import FleetConfig
from bots.fleet.gate import FleetGate
from orchestrator.domain import Direction, Fill, Side, Signal, Verdict
from orchestrator.portfolio import Ledger

D = Decimal


def _trade(led: Ledger, bot: str, n: int, pnl: str) -> None:
    led.apply_fill(bot, Fill(f"o{n}", "paper", f"v{n}", f"t{n}", "X", Side.BUY, D(1), D(100), D(0), n, n))
    led.apply_fill(bot, Fill(f"c{n}", "paper", f"w{n}", f"u{n}", "X", Side.SELL, D(1), D(100) + D(pnl), D(0), n, n))


def _sig(bot: str) -> Signal:
    return Signal(bot, "X", Direction.LONG, 1.0, 100.0, 1, 1)


def test_fleet_gate_learns_from_realised_pnl_and_resizes_the_laggard() -> None:
    led = Ledger(D("10000"), {"X": 100.0}.get)
    gate = FleetGate(FleetConfig(decay=0.99, floor=0.02, samples=2000, seed=3), ["good", "bad"], led)
    for n in range(40):
        _trade(led, "good", 2 * n, "30")
        gate.observe()
        _trade(led, "bad", 2 * n + 1, "-30")
        gate.observe()
    assert gate.allocator.arms["good"].trades == 40 and gate.allocator.arms["bad"].trades == 40
    good = gate.evaluate(_sig("good"), None)  # type: ignore[arg-type]
    bad = gate.evaluate(_sig("bad"), None)  # type: ignore[arg-type]
    assert good.verdict is Verdict.PASS and good.reason == "fleet_top_allocation"
    assert bad.verdict is Verdict.RESIZE and bad.scale < 0.1
    assert set(bad.data["weights"]) == {"good", "bad"} and bad.data["fleet"] == "fleet"


def test_fleet_gate_passes_non_members() -> None:
    gate = FleetGate(FleetConfig(), ["a"], Ledger(D("1"), {}.get))
    d = gate.evaluate(_sig("outsider"), None)  # type: ignore[arg-type]
    assert d.verdict is Verdict.PASS and d.reason == "not_in_fleet"
