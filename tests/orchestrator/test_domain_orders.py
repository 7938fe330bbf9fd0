"""The domain Order's types, time in force and links: defaults keep a market order, and a
malformed order cannot be built."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import Order, OrderType, Side, TimeInForce

D = Decimal


def _order(**kw: object) -> Order:
    return Order("tf-1", "bot", "SPX", Side.BUY, D("2"), 1, **kw)  # type: ignore[arg-type]


def test_order_defaults_are_a_plain_market_order() -> None:
    o = _order()
    assert o.order_type is OrderType.MARKET and o.time_in_force is TimeInForce.GTC
    assert (o.stop_price, o.trail_amount, o.trail_percent, o.expire_ns) == (None, None, None, None)
    assert not o.post_only and not o.reduce_only and not o.is_contingent


@pytest.mark.parametrize(("kw", "message"), [
    ({"order_type": OrderType.LIMIT}, "needs a limit price"),
    ({"order_type": OrderType.STOP}, "needs a stop price"),
    ({"order_type": OrderType.STOP_LIMIT, "stop_price": D("9")}, "needs a limit price"),
    ({"order_type": OrderType.STOP_LIMIT, "limit_price": D("9")}, "needs a stop price"),
    ({"order_type": OrderType.TRAILING_STOP}, "exactly one of"),
    ({"order_type": OrderType.TRAILING_STOP, "trail_amount": D("1"), "trail_percent": D("1")}, "exactly one of"),
    ({"order_type": OrderType.LIMIT, "limit_price": D("0")}, "limit_price must be positive"),
    ({"time_in_force": TimeInForce.GTD}, "needs expire_ns"),
    ({"post_only": True}, "post-only applies to limit orders only"),
])
def test_malformed_order_is_refused_naming_the_order(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"order tf-1: .*{message}"):
        _order(**kw)


def test_child_ids_are_deterministic_and_distinct() -> None:
    parent = Order.make_id("sig")
    assert Order.child_id(parent, "stop") == Order.child_id(parent, "stop")
    assert len({Order.child_id(parent, "stop"), Order.child_id(parent, "target"), parent}) == 3
    assert _order(parent_id=parent).is_contingent and _order(oco_id="g").is_contingent
