"""Warm start through the real engine: ``run_live`` in paper mode against the loopback
Alpaca fake (real alpaca-py), stopped and started again on the same store."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.execution.reconcile import stored_positions
from tradefleet.orchestrator.store import Store
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.fake_http import VenueBook
from tests.orchestrator.restart.harness import T0, PriceFeed, config, registry, run, spec, venue_qty


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlpaca]:
    monkeypatch.setenv("TF_TEST_ALPACA_KEY", "k-test")
    monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "s-test")
    f = FakeAlpaca(VenueBook(cash=Decimal(100_000), prices={"AAPL": Decimal(100), "MSFT": Decimal(100)}))
    yield f
    f.server.close()


def test_position_held_before_a_restart_is_exited_after_it(fake: FakeAlpaca, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ws.db"
    reg = registry(spec("flip-a", "AAPL"))
    cfg = config(fake.base, ["AAPL"])
    clock = SimClock(T0)
    closes = {"AAPL": [101.0] * 6 + [99.0] * 4}
    first = run(cfg, url, reg, ["flip-a"], PriceFeed(closes), clock, 1, 3)
    held = venue_qty(fake.book, "AAPL")
    assert held > 0 and first.kernel.engine.ledger.net_quantity("AAPL") == held
    # restart: the bot still signals long (no new entry), then flat (the held position is sold)
    second = run(cfg, url, reg, ["flip-a"], PriceFeed(closes), clock, 4, 9)
    buys = [o for o in fake.book.orders.values() if o.side == "buy"]
    assert len(buys) == 1, [(o.client_id, o.qty) for o in buys]  # long again after the restart: no stacking
    assert venue_qty(fake.book, "AAPL") == 0  # the exit after the restart sold what was held before it
    report = second.kernel.services.extras["warm_start"]
    assert report.positions == 1 and report.fills == 1
    store = Store.open(url)
    try:
        assert stored_positions(store, "alpaca") == {}
        assert not store.control("account:alpaca").halted
        assert [p.quantity for p in store.positions(account="paper") if p.instrument == "AAPL"] == [Decimal(0)]
    finally:
        store.close()


def test_limits_count_the_restored_exposure(fake: FakeAlpaca, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ws.db"
    reg = registry(spec("flip-a", "AAPL"), spec("flip-b", "MSFT"))
    cfg = config(fake.base, ["AAPL", "MSFT"], max_positions=1)
    clock = SimClock(T0)
    run(cfg, url, reg, ["flip-a", "flip-b"], PriceFeed({"AAPL": [101.0] * 8, "MSFT": [99.0] * 8}), clock, 1, 3)
    assert venue_qty(fake.book, "AAPL") > 0 and venue_qty(fake.book, "MSFT") == 0
    # after the restart (flip-b only) MSFT turns up; one position is already held: no buy
    second = run(cfg, url, reg, ["flip-b"], PriceFeed({"AAPL": [101.0] * 8, "MSFT": [99.0] * 3 + [101.0] * 5}),
                 clock, 4, 7)
    assert venue_qty(fake.book, "MSFT") == 0, "an entry ignored the position restored from the store"
    store = Store.open(url)
    try:
        reasons = [o for o in store.signals(bot="flip-b") if o.outcome.startswith("rejected")]
        assert reasons and all("max_positions" in o.outcome for o in reasons)
    finally:
        store.close()
    assert second.kernel.engine.ledger.open_position_count() == 1


def test_paper_venue_and_book_survive_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process paper venue dies with the process: it is rebuilt from the store, so
    reconciliation agrees (no halt) and new venue order ids never collide with old ones."""
    from tradefleet.app.config import AppConfig

    url = f"sqlite:///{tmp_path}/paper.db"
    reg = registry(spec("flip-a", "AAPL"))
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["risk"]},
                                   "risk": {"exits": {"enabled": False}, "blockers": {"cooldown_minutes": 0}}})
    clock = SimClock(T0)
    closes = {"AAPL": [101.0] * 4 + [99.0] * 3 + [101.0] * 3}
    run(cfg, url, reg, ["flip-a"], PriceFeed(closes), clock, 1, 3)
    second = run(cfg, url, reg, ["flip-a"], PriceFeed(closes), clock, 4, 9)
    store = Store.open(url)
    try:
        assert not store.control("account:paper").halted, store.control("account:paper")
        fills = store.fills()
        assert [f.side.value for f in fills] == ["buy", "sell", "buy"]  # exit then re-entry, all booked
        assert len({(f.venue_order_id, f.trade_id) for f in fills}) == 3
        paper = second.kernel.engine.paper
        assert paper is not None and paper.positions() == stored_positions(store, "paper")
        assert second.kernel.engine.ledger.net_quantity("AAPL") == stored_positions(store, "paper")["AAPL"]
        assert second.kernel.engine.ledger.cash() == paper.account().cash
    finally:
        store.close()


def test_start_up_reconciliation_runs_before_the_first_fire(fake: FakeAlpaca, tmp_path: Path) -> None:
    """A position that appeared at the venue while the process was down (a manual trade, a
    fill the process never heard of) is found by the reconciliation that runs at start-up,
    before any bot fires: the account is halted and nothing is sent on a book that is wrong."""
    url = f"sqlite:///{tmp_path}/ws.db"
    reg = registry(spec("flip-a", "AAPL"))
    cfg = config(fake.base, ["AAPL"])
    clock = SimClock(T0)
    closes = {"AAPL": [101.0] * 6 + [99.0] * 4}
    run(cfg, url, reg, ["flip-a"], PriceFeed(closes), clock, 1, 3)
    held = venue_qty(fake.book, "AAPL")
    assert held > 0
    with fake.book.lock:  # while down: 7 more shares bought outside the engine
        fake.book.positions["AAPL"] = held + 7
        fake.book.cash -= 700
    sent_before = len(fake.book.orders)
    run(cfg, url, reg, ["flip-a"], PriceFeed(closes), clock, 4, 9)
    store = Store.open(url)
    try:
        control = store.control("account:alpaca")
        assert control.halted and "differ" in (control.reason or ""), control
        first_fire = min(s.ts_init for s in store.signals(bot="flip-a") if s.ts_init >= T0 + 4 * 60 * 10**9)
        halts = [e for e in store.control_events() if e.scope == "account:alpaca" and e.halted]
        assert halts and halts[0].ts_ns < first_fire  # halted before the first fire, not at a later poll
    finally:
        store.close()
    assert len(fake.book.orders) == sent_before  # the bot's exit on a wrong book was never sent
