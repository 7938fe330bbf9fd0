"""The risk gate wired from the kernel's services: what the run mode and the registered bots
decide (live confirmations only when live, each bot's fleet from its family, a replay's report
once per simulated day and its daily-loss halt on its own simulated account)."""

from __future__ import annotations

from decimal import Decimal

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


def _gate(mode: str, risk: dict[str, object], bots: tuple[str, ...] = (), store: MemoryRiskStore | None = None,
          account: str | None = None) -> tuple[PortfolioRiskGate, GateContext]:
    cfg = AppConfig.model_validate({"mode": mode, "engine": {"timezone": "UTC"},
                                    "risk": {"var": {"enabled": False}, "hrp": {"enabled": False},
                                             "breakers": {"stale_after_seconds": None}, **risk}})
    clock = SimClock(T0)
    market = FakeMarket({"X": [100.0] * 60})
    pf = FakePortfolio(100_000.0, market)
    if account is not None:
        pf.account = account  # type: ignore[attr-defined]  # a replay's simulated account
    registry = Registry()
    for name in bots:
        registry.add_entry("bots", name, f"test:{name}", lambda name=name: spec(name))  # type: ignore[misc]
    services = Services(cfg, clock, store or MemoryRiskStore(), InProcessBus(), registry, market, pf, market)  # type: ignore[arg-type]
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


def test_a_replay_saves_one_report_per_simulated_day_and_paper_one_per_snapshot_period() -> None:
    from tests.risk.test_gate_report import SaveLog

    for mode, every in (("replay", 86_400), ("paper", 60)):
        store = SaveLog()
        gate, ctx = _gate(mode, {"snapshot_seconds": 60}, store=store)
        clock = gate.clock
        t0 = clock.now_ns()
        for step in (0, 60, 3_600, 86_400 - 3_661, 1, 60):  # t0, +1 min, +1 h 1 min, +1 day - 1 s, +1 day, +1 day 1 min
            clock.advance(step)  # type: ignore[attr-defined]
            gate.observe(GateContext(clock.now_ns(), ctx.spec, ctx.market, ctx.portfolio))
        seen = [(t - t0) // 10**9 for t in store.report_saves]
        assert seen == ([0, 86_400] if every == 86_400 else [0, 60, 3_660, 86_399, 86_460]), mode


def test_a_replays_daily_loss_halt_holds_its_own_account_never_the_fleet() -> None:
    for mode, account, scope in (("replay", "r1", "account:r1"), ("replay", None, "fleet"), ("paper", "r1", "fleet")):
        store = MemoryRiskStore()
        gate, ctx = _gate(mode, {}, store=store, account=account)
        gate.approve(signal("a", "X", Direction.LONG, 100.0), ctx, 1.0)
        ctx.portfolio._cash -= Decimal(6_000)  # type: ignore[attr-defined]  # a 6% loss
        gate.clock.advance(60)  # type: ignore[attr-defined]
        gate.observe(GateContext(gate.clock.now_ns(), ctx.spec, ctx.market, ctx.portfolio))
        halted = {s for s in ("fleet", "account:r1") if (row := store.control(s)) is not None and row.halted}
        assert halted == {scope}, (mode, account)
