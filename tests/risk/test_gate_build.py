"""The risk gate wired from the kernel's services: what the run mode and the registered bots
decide (live confirmations only when live, each bot's fleet from its family)."""

from __future__ import annotations

from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Direction, Verdict
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.registry import Registry
from tradefleet.orchestrator.services import Services
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.persistence import MemoryRiskStore
from tests.risk.fakes import T0, FakeMarket, FakePortfolio, signal, spec


def _gate(mode: str, risk: dict[str, object], bots: tuple[str, ...] = ()) -> tuple[PortfolioRiskGate, GateContext]:
    cfg = AppConfig.model_validate({"mode": mode, "engine": {"timezone": "UTC"},
                                    "risk": {"var": {"enabled": False}, "hrp": {"enabled": False},
                                             "breakers": {"stale_after_seconds": None}, **risk}})
    clock = SimClock(T0)
    market = FakeMarket({"X": [100.0] * 60})
    pf = FakePortfolio(100_000.0, market)
    registry = Registry()
    for name in bots:
        registry.add_entry("bots", name, f"test:{name}", lambda name=name: spec(name))  # type: ignore[misc]
    services = Services(cfg, clock, MemoryRiskStore(), InProcessBus(), registry, market, pf, market)  # type: ignore[arg-type]
    return PortfolioRiskGate.build(services), GateContext(clock.now_ns(), spec(), market, pf)


def test_only_a_live_run_waits_for_confirmation_of_a_large_order() -> None:
    confirm = {"confirm": {"live_notional_threshold": 1_000.0}}
    gate, ctx = _gate("live", confirm)
    dec, qty = gate.approve(signal("a", "X", Direction.LONG, 100.0), ctx, 1.0)
    assert (dec.reason, qty) == ("awaiting_confirmation", 0)
    for mode in ("paper", "replay"):
        gate, ctx = _gate(mode, confirm)
        dec, qty = gate.approve(signal("a", "X", Direction.LONG, 100.0), ctx, 1.0)
        assert dec.verdict is Verdict.PASS and qty == 100, mode


def test_a_registered_bot_belongs_to_the_fleet_of_its_family() -> None:
    # NullBot's family is "test": that fleet's limits apply to the bot, the default fleet's do not
    gate, ctx = _gate("paper", {"fleets": {"test": {"max_positions": 0}}}, bots=("a",))
    dec, qty = gate.approve(signal("a", "X", Direction.LONG, 100.0), ctx, 1.0)
    assert (dec.reason, qty) == ("max_positions_fleet", 0)
    gate, ctx = _gate("paper", {"fleets": {"default": {"max_positions": 0}}}, bots=("a",))
    assert gate.approve(signal("a", "X", Direction.LONG, 100.0), ctx, 1.0)[1] == 100
