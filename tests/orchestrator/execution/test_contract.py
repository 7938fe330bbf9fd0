"""One contract suite run against every venue adapter (real client -> loopback fake)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import OrderStatus, Side
from tradefleet.orchestrator.errors import AuthError, OrderRejected, OrderStateUnknown, TransientBrokerError
from tradefleet.orchestrator.execution.broker import Broker
from tests.orchestrator.execution.venues import VenueCase


def _prepare(case: VenueCase, order: object) -> None:
    prep = getattr(case.broker, "prepare", None)
    if prep is not None:
        prep(order)


def test_adapter_satisfies_broker_protocol(venue: VenueCase) -> None:
    assert isinstance(venue.broker, Broker)
    assert type(venue.broker).api_version == 1


def test_market_order_fills_and_client_id_reaches_venue(venue: VenueCase) -> None:
    order = venue.order("tf-c1")
    ack = venue.broker.submit(order)
    at_venue = venue.venue_order_for("tf-c1")
    assert at_venue is not None and at_venue.venue_id == ack.venue_order_id
    q = venue.broker.query_order("tf-c1")
    assert q is not None and q.status is OrderStatus.FILLED and q.filled_quantity == venue.qty
    assert q.client_order_id == "tf-c1"
    assert venue.broker.positions() == {venue.symbol: venue.qty}
    fills = venue.broker.poll_fills()
    assert [(f.venue_order_id, f.quantity, f.side) for f in fills] == [(ack.venue_order_id, venue.qty, Side.BUY)]
    assert fills[0].client_order_id == "tf-c1"
    assert venue.broker.poll_fills() == []


def test_query_of_an_order_the_venue_never_saw_is_none(venue: VenueCase) -> None:
    order = venue.order("tf-never")
    _prepare(venue, order)
    assert venue.broker.query_order("tf-never") is None


def test_limit_order_rests_then_cancels(venue: VenueCase) -> None:
    venue.book.behaviour.append("rest")
    ack = venue.broker.submit(venue.order("tf-lim", limit=venue.rest_price))
    assert ack.status in (OrderStatus.ACCEPTED, OrderStatus.SUBMITTED)
    assert [o.venue_order_id for o in venue.broker.open_orders()] == [ack.venue_order_id]
    done = venue.broker.cancel("tf-lim")
    assert done.status is OrderStatus.CANCELED and done.filled_quantity == 0
    assert venue.broker.open_orders() == []
    assert venue.broker.positions() == {}


def test_definitive_reject_is_final_and_not_retried(venue: VenueCase) -> None:
    venue.book.behaviour.append("reject")
    with pytest.raises(OrderRejected):
        venue.broker.submit(venue.order("tf-rej"))
    assert len(venue.server.requests(venue.submit_method, venue.submit_path)) == 1


def test_accept_then_drop_is_unknown_and_query_settles_it(venue: VenueCase) -> None:
    venue.server.fault(venue.submit_method, venue.submit_path, "drop")
    with pytest.raises(OrderStateUnknown):
        venue.broker.submit(venue.order("tf-drop"))
    assert len(venue.server.requests(venue.submit_method, venue.submit_path)) == 1  # never resent
    assert len(venue.book.orders) == 1
    q = venue.broker.query_order("tf-drop")
    assert q is not None and q.status is OrderStatus.FILLED


@pytest.mark.parametrize("kind", ["5xx", "reset"])
def test_write_failure_before_processing_is_unknown_then_not_found(venue: VenueCase, kind: str) -> None:
    if kind == "5xx":
        venue.server.fault(venue.submit_method, venue.submit_path, "status", status=503)
    else:
        venue.server.fault(venue.submit_method, venue.submit_path, "reset")
    with pytest.raises(OrderStateUnknown):
        venue.broker.submit(venue.order("tf-5xx"))
    assert len(venue.server.requests(venue.submit_method, venue.submit_path)) == 1
    assert venue.book.orders == {}
    assert venue.broker.query_order("tf-5xx") is None


def test_read_429_waits_for_retry_after_then_succeeds(venue: VenueCase) -> None:
    venue.server.fault("GET", venue.read_path, "status", status=429, headers={"Retry-After": "7"})
    before = venue.clock.now_ns()
    snap = venue.broker.account()
    assert snap.cash > 0
    assert venue.broker.retry.waits == [7.0]
    assert venue.clock.now_ns() - before >= 7 * 10**9


def test_read_keeps_failing_gives_transient_after_bounded_attempts(venue: VenueCase) -> None:
    venue.server.fault("GET", venue.read_path, "status", status=500, times=10)
    n = len(venue.server.requests("GET", venue.read_path))
    with pytest.raises(TransientBrokerError):
        venue.broker.account()
    assert len(venue.server.requests("GET", venue.read_path)) - n == venue.broker.retry.attempts


def test_auth_failure_halts_venue_without_retry_storm(venue: VenueCase) -> None:
    venue.server.fault("GET", venue.read_path, "status", status=401, times=5,
                       body={"message": "unauthorized", "error": "unauthorized", "code": 40110000})
    with pytest.raises(AuthError):
        venue.broker.account()
    n = len(venue.server.log)
    with pytest.raises(AuthError):
        venue.broker.submit(venue.order("tf-after-auth"))
    with pytest.raises(AuthError):
        venue.broker.positions()
    assert len(venue.server.log) == n  # nothing more reached the venue


def test_fill_replayed_three_times_is_returned_once(venue: VenueCase) -> None:
    venue.book.behaviour.append("replay")
    venue.broker.submit(venue.order("tf-rep"))
    assert len(venue.book.fills) == 3
    fills = venue.broker.poll_fills() + venue.broker.poll_fills()
    assert len(fills) == 1 and fills[0].quantity == venue.qty


def test_partial_fill_then_cancel_keeps_the_filled_part(venue: VenueCase) -> None:
    venue.book.behaviour.append("partial")
    price = venue.rest_price
    venue.broker.submit(venue.order("tf-part", qty=venue.qty * 2, limit=price))
    done = venue.broker.cancel("tf-part")
    assert done.status is OrderStatus.CANCELED
    if venue.reports_partial:
        assert done.filled_quantity == venue.qty
    fills = venue.broker.poll_fills()
    assert sum(f.quantity for f in fills) == venue.qty
    assert venue.broker.positions() == {venue.symbol: venue.qty}


def test_throttle_keeps_calls_under_the_venue_limit(venue: VenueCase) -> None:
    bucket = venue.broker.bucket
    start = venue.clock.now_ns()
    n = int(bucket.burst) + int(bucket.rate * 2) + 1
    for _ in range(n):
        bucket.acquire()
    elapsed = (venue.clock.now_ns() - start) / 1e9
    assert n <= bucket.burst + bucket.rate * elapsed + 1e-6
    assert elapsed > 0


def test_alpaca_fill_activities_are_paged_past_the_first_hundred() -> None:
    from tests.orchestrator.execution.venues import make_case

    case = make_case("alpaca")
    try:
        case.broker.bucket.rate, case.broker.bucket.burst = 1e6, 1e6
        for i in range(130):
            case.broker.submit(case.order(f"tf-pg{i}", qty=Decimal(1)))
        first = case.broker.poll_fills()
        assert len(first) == 130 and len({f.trade_id for f in first}) == 130
        case.broker.submit(case.order("tf-pg-last", qty=Decimal(1)))
        assert [f.client_order_id for f in case.broker.poll_fills()] == ["tf-pg-last"]
        assert case.server.requests("GET", "/v2/account/activities/FILL")[-1].query["page_token"]
    finally:
        case.server.close()
