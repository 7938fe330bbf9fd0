"""The order manager and reconciliation against real adapters, fakes and the real store."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.domain import OrderStatus
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import Reconciler, stored_positions
from tests.orchestrator.execution.venues import VenueCase, make_case


class Kit:
    """A venue case wired to an order manager, a reconciler and a store."""

    def __init__(self, case: VenueCase, store: Any) -> None:
        self.case = case
        self.store = store
        self.bus = InProcessBus()
        self.alerts: list[Any] = []
        self.bus.subscribe(Topic.ALERTS, lambda _t, a: self.alerts.append(a))
        self.account = case.broker.account_name
        self.oms = OrderManager(store, {self.account: case.broker}, case.clock, self.bus)
        self.rec = Reconciler(self.oms, store, case.clock, self.bus)

    def kinds(self) -> list[str]:
        return [a.kind for a in self.alerts]


@pytest.fixture
def kit(venue: VenueCase, store: Any) -> Kit:
    return Kit(venue, store)


@pytest.fixture
def alpaca_kit(store: Any) -> Iterator[Kit]:
    case = make_case("alpaca")
    yield Kit(case, store)
    case.server.close()


def test_submit_stores_intent_then_fill_and_position(kit: Kit) -> None:
    order = kit.case.order("tf-o1")
    ack = kit.oms.submit(order)
    assert ack is not None
    rec = kit.store.order("tf-o1")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == kit.case.qty
    assert rec.venue_order_id == ack.venue_order_id
    assert stored_positions(kit.store, kit.account) == kit.case.broker.positions()


def test_unknown_write_is_settled_by_reconciliation_never_resent(kit: Kit) -> None:
    kit.case.server.fault(kit.case.submit_method, kit.case.submit_path, "drop")
    assert kit.oms.submit(kit.case.order("tf-u1")) is None
    assert kit.store.order("tf-u1").status is OrderStatus.UNKNOWN
    report = kit.rec.run(kit.account)
    assert report.halted is None, report
    rec = kit.store.order("tf-u1")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == kit.case.qty
    assert len(kit.case.server.requests(kit.case.submit_method, kit.case.submit_path)) == 1
    assert len(kit.case.book.orders) == 1
    assert stored_positions(kit.store, kit.account) == kit.case.broker.positions()
    assert kit.rec.run(kit.account).changes == 0  # a second run changes nothing


def test_resubmitting_a_stored_intent_sends_nothing(kit: Kit) -> None:
    order = kit.case.order("tf-d1")
    kit.oms.submit(order)
    assert kit.oms.submit(order) is None
    assert len(kit.case.book.orders) == 1
    assert "duplicate_intent" in kit.kinds()


def test_replayed_fill_is_booked_once(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.case.book.behaviour.append("replay")
    k.oms.submit(k.case.order("tf-r1"))
    k.oms.collect_fills()
    assert len(k.store.fills("tf-r1")) == 1
    assert "overfill" not in k.kinds()
    assert stored_positions(k.store, k.account) == {"AAPL": k.case.qty}


def test_overfill_is_a_conflict_and_reconciliation_books_the_venue(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.case.book.behaviour.append("overfill")
    k.oms.submit(k.case.order("tf-of"))
    assert k.store.order("tf-of").filled_quantity == k.case.qty
    assert len(k.store.fills("tf-of")) == 1
    assert "fill_conflict" in k.kinds()
    # the venue holds twice the quantity: reconciliation books the difference (no halt)
    report = k.rec.run(k.account)
    assert report.halted is None
    assert stored_positions(k.store, k.account) == k.case.broker.positions()


def test_partial_then_cancel_keeps_filled_part_with_avg_price(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.case.book.behaviour.append("partial")
    order = k.case.order("tf-pc", qty=Decimal(10), limit=Decimal("101.25"))
    k.oms.submit(order)
    k.case.broker.cancel("tf-pc")
    report = k.rec.run(k.account)
    assert report.halted is None
    rec = k.store.order("tf-pc")
    assert rec.status is OrderStatus.CANCELED
    assert rec.filled_quantity == Decimal(5) and rec.avg_price == Decimal("101.25")
    assert stored_positions(k.store, k.account) == {"AAPL": Decimal(5)}


def test_two_partial_fills_average_price(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.case.book.behaviour.append("rest")
    k.oms.submit(k.case.order("tf-avg", qty=Decimal(10), limit=Decimal(100)))
    o = k.case.book.by_client("tf-avg")
    k.case.book.execute(o, Decimal(4), Decimal(100))
    k.case.book.execute(o, Decimal(6), Decimal(105))
    k.oms.collect_fills()
    rec = k.store.order("tf-avg")
    assert rec.status is OrderStatus.FILLED and rec.avg_price == Decimal(103)


def test_unknown_venue_order_is_adopted_as_external_and_alerted(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.case.book.behaviour.append("rest")
    k.case.book.place("00000000-0000-4000-8000-000000000001", "manual-1", "AAPL", "buy", Decimal(3), Decimal(90))
    report = k.rec.run(k.account)
    assert report.adopted == ["manual-1"] and report.halted is None
    assert k.store.order("manual-1").status is OrderStatus.EXTERNAL
    assert "external_order" in k.kinds()
    assert k.rec.run(k.account).changes == 0


def test_unexplained_position_halts_account_and_blocks_orders(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.case.book.positions["MSFT"] = Decimal(7)  # appeared at the venue without any order
    report = k.rec.run(k.account)
    assert report.halted and "MSFT" in report.halted
    state = k.store.control(f"account:{k.account}")
    assert state.halted and "MSFT" in state.reason
    assert k.oms.submit(k.case.order("tf-blocked")) is None
    assert k.case.book.by_client("tf-blocked") is None
    assert "order_blocked" in k.kinds()
    assert k.rec.run(k.account).changes == 0


def test_intent_that_never_reached_venue_is_closed_not_resent(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.store.record_order_intent(k.case.order("tf-crash"))  # a crash right after the intent was stored
    report = k.rec.run(k.account)
    assert report.settled == [("tf-crash", "intent", "canceled")]
    assert k.case.server.requests("POST", "/v2/orders") == []


def test_auth_failure_on_submit_halts_the_account(alpaca_kit: Kit) -> None:
    from tradefleet.orchestrator.errors import AuthError

    k = alpaca_kit
    k.case.server.fault("POST", "/v2/orders", "status", status=401, body={"code": 40110000, "message": "bad key"})
    with pytest.raises(AuthError):
        k.oms.submit(k.case.order("tf-auth"))
    assert k.store.control(f"account:{k.account}").halted
    assert k.oms.submit(k.case.order("tf-auth2")) is None
    assert len(k.case.server.requests("POST", "/v2/orders")) == 1


def test_reconnect_triggers_reconciliation(alpaca_kit: Kit) -> None:
    k = alpaca_kit
    k.case.server.fault("GET", "/v2/account", "status", status=503)
    k.case.broker.account()  # one failure, then success: a reconnect
    assert [r.account for r in k.rec.after_reconnect()] == [k.account]
    assert k.rec.after_reconnect() == []


def test_a_stored_client_order_id_is_never_sent_again_by_a_fresh_order_manager(kit: Kit) -> None:
    order = kit.case.order("tf-once")
    assert kit.oms.submit(order) is not None
    # a restart: a new order manager (empty memory) on the same store is asked again
    again = OrderManager(kit.store, {kit.account: kit.case.broker}, kit.case.clock, kit.bus)
    assert again.submit(order) is None
    assert len(kit.case.server.requests(kit.case.submit_method, kit.case.submit_path)) == 1
    assert len(kit.case.book.orders) == 1
    assert "duplicate_intent" in kit.kinds()
