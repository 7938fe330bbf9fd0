"""Every fill lands on its own order, and fill reports that contradict the order or the
venue are conflicts (stored, alerted, entries held) instead of fills: the order manager
and reconciliation against the loopback Alpaca fake through alpaca-py and the real store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.domain import OrderStatus, Side
from tradefleet.orchestrator.execution.conflicts import ConflictBook
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import Reconciler, stored_positions
from tradefleet.orchestrator.store import Store
from tests.orchestrator.execution.venues import VenueCase, make_case


class Process:
    """One orchestrator process: an order manager and a reconciler over a store and a venue."""

    def __init__(self, case: VenueCase, url: str) -> None:
        self.case = case
        self.store = Store.open(url)
        self.bus = InProcessBus()
        self.alerts: list[Any] = []
        self.bus.subscribe(Topic.ALERTS, lambda _t, a: self.alerts.append(a))
        self.oms = OrderManager(self.store, {"acct": case.broker}, case.clock, self.bus)
        self.rec = Reconciler(self.oms, self.store, case.clock, self.bus)

    def kinds(self) -> list[str]:
        return [a.kind for a in self.alerts]

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def case() -> Iterator[VenueCase]:
    c = make_case("alpaca")
    yield c
    c.server.close()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fi.db'}"


def test_lost_reply_fill_lands_on_its_own_order(case: VenueCase, url: str) -> None:
    p = Process(case, url)
    case.server.fault("POST", r"/v2/orders", "drop")  # accepted and filled, the answer never arrives
    assert p.oms.submit(case.order("tf-lost")) is None
    assert p.store.order("tf-lost").status is OrderStatus.UNKNOWN
    booked = p.oms.collect_fills("acct")
    assert [f.client_order_id for f in booked] == ["tf-lost"]
    rec = p.store.order("tf-lost")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == case.qty and rec.venue_order_id
    assert not [o for o in p.store.orders() if o.bot == "external"]
    assert "external_fill" not in p.kinds()
    report = p.rec.run("acct")
    assert report.halted is None and report.changes == 0
    p.close()


def test_lost_reply_matched_after_a_restart(case: VenueCase, url: str) -> None:
    first = Process(case, url)
    case.server.fault("POST", r"/v2/orders", "drop")
    first.oms.submit(case.order("tf-lost2"))
    first.close()
    case.broker._seen_trades.clear()  # a new process: the adapter's memory is gone
    case.broker._cids.clear()
    case.broker._fill_cursor = None
    second = Process(case, url)
    report = second.rec.run("acct")
    assert report.halted is None, report.halted
    rec = second.store.order("tf-lost2")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == case.qty
    assert [f.client_order_id for f in second.store.fills()] == ["tf-lost2"]
    second.close()


def test_fill_replayed_under_a_new_id_is_a_conflict_not_a_fill(case: VenueCase, url: str) -> None:
    p = Process(case, url)
    case.book.behaviour.append("replay_new_id")  # 2 of 4 filled, then that fill again under a new id
    p.oms.submit(case.order("tf-r1"))
    p.oms.collect_fills("acct")
    assert p.store.order("tf-r1").filled_quantity == 2
    assert stored_positions(p.store, "acct") == {case.symbol: Decimal(2)} == case.broker.positions()
    conflicts = ConflictBook(p.store).conflicts("acct")
    assert len(conflicts) == 1 and conflicts[0].holds and "cumulative" in conflicts[0].reason
    assert "fill_conflict" in p.kinds()
    assert p.oms.submit(case.order("tf-r2")) is None  # entries in that instrument are held
    assert p.store.order("tf-r2") is None and case.venue_order_for("tf-r2") is None
    report = p.rec.run("acct")  # the venue's position decides: it agrees with the store
    assert report.halted is None
    assert ConflictBook(p.store).conflicts("acct", open_only=True) == []
    assert p.oms.submit(case.order("tf-r3")) is not None  # the hold is lifted
    p.close()


def test_real_overfill_is_booked_by_reconciliation_so_the_book_equals_the_venue(case: VenueCase, url: str) -> None:
    p = Process(case, url)
    case.book.behaviour.append("overfill")  # the venue really executed twice the order
    p.oms.submit(case.order("tf-o1"))
    p.oms.collect_fills("acct")
    assert stored_positions(p.store, "acct") == {case.symbol: case.qty}
    assert ConflictBook(p.store).holds("acct") == {case.symbol}
    report = p.rec.run("acct")
    assert report.halted is None
    assert stored_positions(p.store, "acct") == case.broker.positions() == {case.symbol: 2 * case.qty}
    assert ConflictBook(p.store).holds("acct") == set()
    p.close()


def test_same_fill_id_with_a_new_quantity_is_a_conflict_first_kept(case: VenueCase, url: str,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    p = Process(case, url)
    case.book.behaviour.append("changed")
    with caplog.at_level(logging.WARNING):
        p.oms.submit(case.order("tf-c1"))
        p.oms.collect_fills("acct")
    fills = p.store.fills("tf-c1")
    assert [f.quantity for f in fills] == [case.qty]  # the first report is kept
    conflicts = ConflictBook(p.store).conflicts("acct")
    assert len(conflicts) == 1 and conflicts[0].fill.quantity == 2 * case.qty and not conflicts[0].holds
    assert "fill_conflict" in p.kinds()
    assert any("fill conflict" in r.getMessage() for r in caplog.records)
    p.close()


def test_partial_fill_then_cancel_across_a_restart(case: VenueCase, url: str) -> None:
    from tradefleet.orchestrator.clock import SimClock  # noqa: F401  (the case's clock drives both processes)

    first = Process(case, url)
    case.book.behaviour.append("partial")  # 2 of 4 filled, the rest rests
    first.oms.submit(case.order("tf-p1"))
    assert first.store.order("tf-p1").status is OrderStatus.PARTIALLY_FILLED
    first.close()  # the process dies; meanwhile one more lot fills and the venue cancels the rest
    order = case.book.by_client("tf-p1")
    case.book.execute(order, Decimal(1))
    case.book.cancel(order.venue_id)
    second = Process(case, url)
    report = second.rec.run("acct")
    assert report.halted is None, report.halted
    rec = second.store.order("tf-p1")
    assert rec.status is OrderStatus.CANCELED and rec.filled_quantity == 3
    assert stored_positions(second.store, "acct") == case.broker.positions() == {case.symbol: Decimal(3)}
    assert sum(f.signed_qty for f in second.store.fills("tf-p1")) == 3 and Side.BUY
    second.close()
