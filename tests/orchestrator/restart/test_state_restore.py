"""Restart is a test case: each stateful component is built, persisted, rebuilt from the
store, and compared."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradefleet.orchestrator.domain import AssetClass, Bar, Fill, Instrument, Order, Position, Side
from tradefleet.risk.exit_manager import ExitManager
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.store import Store
from tradefleet.risk.config import ExitsConfig

MIN = 60 * 10**9


def _market() -> MarketState:
    m = MarketState()
    for i in range(30):
        m.append(Bar("AAPL", (i + 1) * MIN, 100.0, 100.5, 99.5, 100.0, 1e6, (i + 1) * MIN))
    return m


def test_exit_plans_survive_a_restart_with_targets_hit_breakeven_and_trailing(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/x.db")
    market = _market()
    inst = {"AAPL": Instrument("AAPL", AssetClass.EQUITY)}
    first = ExitManager(ExitsConfig(), market, inst)
    first.persist_to(store, "exits:paper")
    order = Order("c1", "bot-a", "AAPL", Side.BUY, Decimal(100), 0)
    fill = Fill("c1", "paper", "v1", "t1", "AAPL", Side.BUY, Decimal(100), Decimal(100), Decimal(0), 31 * MIN, 31 * MIN)
    after = Position("bot-a", "AAPL", Decimal(100), Decimal(100), Decimal(0))
    first.on_fill(order, fill, None, after)
    up = Bar("AAPL", 32 * MIN, 100.0, 102.0, 100.0, 101.8, 1e6, 32 * MIN)  # 1R hit: a tranche, stop to break-even
    market.append(up)
    exits = first.on_bar(up)
    assert exits and exits[0].reason == "target_1"
    before = first._plans["AAPL"]["bot-a"]
    assert before.targets_hit == 1 and before.stop == 100.0

    second = ExitManager(ExitsConfig(), market, inst)  # a new process
    second.persist_to(store, "exits:paper")
    assert second.restore([after], {("bot-a", "AAPL"): exits[0].quantity}) == 1
    assert second._plans["AAPL"]["bot-a"] == before
    dip = Bar("AAPL", 33 * MIN, 100.2, 100.3, 99.9, 100.0, 1e6, 33 * MIN)  # touches break-even: the rest goes
    market.append(dip)
    out = second.on_bar(dip)
    assert [(o.reason, o.quantity) for o in out] == [("breakeven_stop", Decimal(100) - exits[0].quantity)]
    store.close()


def test_position_without_a_stored_plan_gets_one_on_its_first_bar(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/x.db")
    market = _market()
    manager = ExitManager(ExitsConfig(), market, {"AAPL": Instrument("AAPL", AssetClass.EQUITY)})
    manager.persist_to(store, "exits:paper")
    held = Position("bot-a", "AAPL", Decimal(-10), Decimal(100), Decimal(0))
    assert manager.restore([held], {}) == 0 and manager.open_plans() == 0
    bar = Bar("AAPL", 31 * MIN, 100.0, 100.5, 99.5, 100.0, 1e6, 31 * MIN)
    market.append(bar)
    manager.on_bar(bar)
    plan = manager._plans["AAPL"]["bot-a"]
    assert plan.direction == -1 and plan.open_quantity == 10 and plan.stop > 100.0
    store.close()


def test_fleet_posteriors_survive_a_restart_and_restored_pnl_is_no_outcome(tmp_path: Path) -> None:
    from tradefleet.bots.fleet.config import FleetConfig
    from tradefleet.bots.fleet.gate import FleetGate
    from tradefleet.orchestrator.portfolio import Ledger

    store = Store.open(f"sqlite:///{tmp_path}/f.db")
    book = Ledger(Decimal(10_000), lambda _s: None)
    gate = FleetGate(FleetConfig(), ["a", "b"], book)
    gate._store = store
    gate.restore(book)
    book.apply_fill("a", Fill("c1", "p", "v1", "t1", "X", Side.BUY, Decimal(1), Decimal(100), Decimal(0), 1, 1))
    book.apply_fill("a", Fill("c2", "p", "v2", "t2", "X", Side.SELL, Decimal(1), Decimal(110), Decimal(0), 2, 2))
    gate.observe()
    assert gate.allocator.arms["a"].trades == 1

    restored = Ledger(Decimal(10_000), lambda _s: None)
    restored.restore(book.cash(), book.positions())
    again = FleetGate(FleetConfig(), ["a", "b"], restored)
    again._store = store
    again.restore(restored)
    again.observe()  # the restored realised P&L is not a new trade
    assert again.allocator.arms["a"] == gate.allocator.arms["a"]
    assert again.allocator.arms["a"].trades == 1
    store.close()


def test_a_bar_through_both_targets_sends_both_tranches_in_one_order() -> None:
    # crafted bars: entry 100 with the ATR-default stop below; one bar rallies through 1R and 2R
    market = _market()
    inst = {"AAPL": Instrument("AAPL", AssetClass.EQUITY)}
    mgr = ExitManager(ExitsConfig(), market, inst)
    order = Order("c1", "bot-a", "AAPL", Side.BUY, Decimal(99), 0)
    fill = Fill("c1", "paper", "v1", "t1", "AAPL", Side.BUY, Decimal(99), Decimal(100), Decimal(0), 31 * MIN, 31 * MIN)
    mgr.on_fill(order, fill, None, Position("bot-a", "AAPL", Decimal(99), Decimal(100), Decimal(0)))
    plan = mgr._plans["AAPL"]["bot-a"]
    two_r = plan.target_price(2.0)
    rally = Bar("AAPL", 32 * MIN, 100.0, two_r + 1.0, 100.0, two_r + 0.5, 1e6, 32 * MIN)
    market.append(rally)
    out = mgr.on_bar(rally)
    # both tranches (33 % of 99, down to whole lots, twice) as one limit at the nearer level
    assert [(o.reason, o.trigger, o.quantity) for o in out] == [("target_1+target_2", plan.target_price(1.0),
                                                                 Decimal(64))]
