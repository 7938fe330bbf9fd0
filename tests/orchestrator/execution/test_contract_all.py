"""The fault-free part of the broker contract, over every venue adapter AND the paper broker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.execution.broker import Broker
from tests.orchestrator.execution.venues import VENUES, make_case


@dataclass
class Subject:
    broker: Any
    symbol: str
    qty: Decimal
    rest_price: Decimal
    clock: SimClock

    def order(self, cid: str, limit: Decimal | None = None) -> Order:
        return Order(cid, "bot-a", self.symbol, Side.BUY, self.qty, self.clock.now_ns(),
                     OrderType.LIMIT if limit is not None else OrderType.MARKET, limit)


@pytest.fixture(params=(*VENUES, "paper"))
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    if request.param == "paper":
        from tradefleet.orchestrator.execution.paper import PaperBroker
        from tests.orchestrator.helpers import market_with

        clock = SimClock(0)
        yield Subject(PaperBroker(market_with("SPX", [100.0] * 5), clock, Decimal(100_000)), "SPX", Decimal(5),
                      Decimal(50), clock)
        return
    case = make_case(request.param)
    case.book.behaviour.extend(["fill", "rest"])
    yield Subject(case.broker, case.symbol, case.qty, case.rest_price, case.clock)
    case.server.close()


def test_every_broker_speaks_the_protocol(subject: Subject) -> None:
    assert isinstance(subject.broker, Broker)
    assert type(subject.broker).api_version == 1 and callable(type(subject.broker).build)


def test_market_fill_position_and_fills_once(subject: Subject) -> None:
    b = subject.broker
    ack = b.submit(subject.order("tf-x1"))
    assert ack.client_order_id == "tf-x1" and ack.venue_order_id
    q = b.query_order("tf-x1")
    assert q.status is OrderStatus.FILLED and q.filled_quantity == subject.qty
    assert b.positions() == {subject.symbol: subject.qty}
    fills = b.poll_fills()
    assert sum(f.quantity for f in fills) == subject.qty and {f.venue_order_id for f in fills} == {ack.venue_order_id}
    assert b.poll_fills() == []
    assert b.account().cash > 0


def test_unknown_order_and_resting_limit_cancel(subject: Subject) -> None:
    b = subject.broker
    never = subject.order("tf-x-none")
    if hasattr(b, "prepare"):
        b.prepare(never)
    assert b.query_order("tf-x-none") is None
    b.submit(subject.order("tf-x0"))  # consumes the scripted "fill"
    ack = b.submit(subject.order("tf-x2", limit=subject.rest_price))
    assert [o.venue_order_id for o in b.open_orders()] == [ack.venue_order_id]
    assert b.cancel("tf-x2").status is OrderStatus.CANCELED
    assert b.open_orders() == []
