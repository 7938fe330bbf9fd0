"""The risk gate wired from the kernel's services: what the run mode and the registered bots
decide (live confirmations only when live, each bot's fleet from its family, a replay's report
once per simulated day, its daily-loss halt and its risk state on its own simulated account;
Greeks read from the market when Greeks limits are set)."""

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


def test_each_replay_account_keeps_its_own_risk_state_in_the_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tradefleet.orchestrator.store import Store

    with Store.open(f"sqlite:///{tmp_path / 'tf.db'}") as store:
        gate, ctx = _gate("replay", {}, store=store, account="r1")  # type: ignore[arg-type]
        assert gate.approve(signal("a", "X", Direction.LONG, 100.0), ctx, 1.0)[1] == 100
        assert gate.trades.today("global", "") == 1
        again = _gate("replay", {}, store=store, account="r1")[0]  # the same simulated account, rebuilt
        other = _gate("replay", {}, store=store, account="r2")[0]
        paper = _gate("paper", {}, store=store, account="r1")[0]  # paper and live share the fleet's state
        counts = [g.trades.today("global", "") for g in (again, other, paper)]
        assert counts == [1, 0, 0]


def test_greeks_limits_make_the_gate_read_greeks_from_the_market() -> None:
    from tradefleet.risk.greeks_hook import MarketGreeksProvider

    assert isinstance(_gate("paper", {"greeks": {"max_abs_delta": 500.0}})[0].greeks_provider, MarketGreeksProvider)
    assert _gate("paper", {})[0].greeks_provider is None


def test_a_gate_not_told_it_is_live_never_waits_for_confirmation() -> None:
    from tests.risk.test_engine import _cfg

    gate = PortfolioRiskGate(_cfg(confirm={"live_notional_threshold": 1_000.0}), SimClock(T0), timezone="UTC")
    market = FakeMarket({"X": [100.0] * 60})
    ctx = GateContext(T0, spec(), market, FakePortfolio(100_000.0, market))
    dec, qty = gate.approve(signal("a", "X", Direction.LONG, 100.0), ctx, 1.0)
    assert (dec.verdict, dec.reason, qty) == (Verdict.PASS, "sized", 100)


def test_a_live_order_at_or_below_the_threshold_needs_no_confirmation() -> None:
    from tests.risk.test_engine import Rig, _cfg

    rig = Rig(_cfg(confirm={"live_notional_threshold": 10_000.0}), live=True)
    dec, qty = rig.go("a", "X", Direction.LONG)  # 100 x 100 = 10,000: not above the threshold
    assert (dec.verdict, dec.reason, qty) == (Verdict.PASS, "sized", 100)
    dec, qty = rig.go("b", "Y", Direction.LONG, fleet_weight=0.5)  # 100 x 50 = 5,000: below it
    assert (dec.verdict, dec.reason, qty) == (Verdict.RESIZE, "scaled", 100)


def test_a_registered_bots_timeframe_sets_its_feeds_stale_limit_before_any_signal() -> None:
    from tradefleet.risk.state import TradingState

    gate, ctx = _gate("paper", {"breakers": {"stale_after_seconds": 3600, "stale_bars": 3}}, bots=("a",))
    ctx.portfolio.fill("a", "X", Decimal(10))  # type: ignore[attr-defined]  # X held, its last bar at T0
    gate.observe(GateContext(T0 + 2 * 3600 * 1_000_000_000, spec(), ctx.market, ctx.portfolio))
    # a's daily bars: two hours without one is not stale (three bars: three days); an unknown bar length would be
    assert gate.states.effective(("instrument:X",))[0] is TradingState.ACTIVE
