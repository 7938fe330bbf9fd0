"""Resting maker limits of quoted binary contracts fill only against trade prints."""

from __future__ import annotations

from decimal import Decimal

from tradefleet.orchestrator.domain import Order, OrderType, Side, TimeInForce
from tradefleet.orchestrator.execution.fill_model import (FillConfig, OrderState, Status, TradePrint, match_prints,
                                                          queue_ahead)

CFG = FillConfig()


def _limit(cid: str, side: Side, px: str, qty: int = 10, ts: int = 100) -> Order:
    return Order(cid, "mm", "K", side, Decimal(qty), ts, OrderType.LIMIT, Decimal(px), post_only=True)


def _state(order: Order, queue: Decimal | None) -> OrderState:
    return OrderState(order, bars=1, queue=queue)


def test_a_print_through_the_bid_fills_it_at_the_limit_capped_by_the_print_size() -> None:
    s = _state(_limit("b", Side.BUY, "0.45"), None)
    fills, (out,) = match_prints([s], [TradePrint("K", 200, 0.44, 6)], CFG)
    assert [(f.quantity, f.price, f.liquidity) for f in fills] == [(Decimal(6), Decimal("0.45"), "maker")]
    assert out.filled == 6 and out.status is Status.OPEN


def test_no_print_or_a_print_above_the_bid_never_fills() -> None:
    s = _state(_limit("b", Side.BUY, "0.45"), Decimal(0))
    assert match_prints([s], [], CFG)[0] == []
    assert match_prints([s], [TradePrint("K", 200, 0.46, 100)], CFG)[0] == []


def test_a_print_at_a_multiple_of_the_bid_is_above_it_and_never_fills() -> None:
    s = _state(_limit("b", Side.BUY, "0.45"), Decimal(0))  # nothing queued ahead
    assert match_prints([s], [TradePrint("K", 200, 0.90, 100)], CFG)[0] == []


def test_what_one_order_leaves_of_a_print_goes_to_the_next_best_order() -> None:
    best = _state(_limit("best", Side.BUY, "0.46", qty=3), None)
    next_ = _state(_limit("next", Side.BUY, "0.45"), None)
    fills, _ = match_prints([best, next_], [TradePrint("K", 200, 0.40, 10)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("best", Decimal(3)), ("next", Decimal(7))]


def test_a_print_at_the_price_fills_only_past_the_queue_ahead() -> None:
    s = _state(_limit("a", Side.SELL, "0.55"), Decimal(8))
    fills, (s,) = match_prints([s], [TradePrint("K", 200, 0.55, 5)], CFG)
    assert fills == [] and s.queue == 3  # the print ate into the queue ahead of us
    fills, (s,) = match_prints([s], [TradePrint("K", 300, 0.55, 7)], CFG)
    assert [f.quantity for f in fills] == [Decimal(4)] and s.queue == 0


def test_behind_the_touch_only_a_trade_through_fills() -> None:
    assert queue_ahead(Side.BUY, 0.43, 0.45, 0.47, 100, 100) is None
    assert queue_ahead(Side.BUY, 0.45, 0.45, 0.47, 100, 80) == Decimal(100)
    assert queue_ahead(Side.SELL, 0.46, 0.45, 0.47, 100, 80) == 0
    s = _state(_limit("b", Side.BUY, "0.43"), None)
    assert match_prints([s], [TradePrint("K", 200, 0.43, 50)], CFG)[0] == []
    assert len(match_prints([s], [TradePrint("K", 200, 0.42, 50)], CFG)[0]) == 1


def test_prints_before_the_order_arrived_do_not_count() -> None:
    s = _state(_limit("b", Side.BUY, "0.45", ts=500), None)
    assert match_prints([s], [TradePrint("K", 400, 0.30, 50)], CFG)[0] == []


def test_one_print_is_shared_best_price_first() -> None:
    hi = _state(_limit("hi", Side.BUY, "0.46", qty=4), None)
    lo = _state(_limit("lo", Side.BUY, "0.45", qty=10), None)
    fills, _ = match_prints([lo, hi], [TradePrint("K", 200, 0.40, 6)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("hi", Decimal(4)), ("lo", Decimal(2))]


# -- mutation-testing follow-ups (issue 25) -----------------------------------------------------------
def test_queue_ahead_of_a_sell_at_behind_and_inside_the_touch() -> None:
    assert queue_ahead(Side.SELL, 0.47, 0.45, 0.47, 100, 80) == Decimal(80)  # joins the ask: its size
    assert queue_ahead(Side.SELL, 0.48, 0.45, 0.47, 100, 80) is None  # behind it: unknown
    assert queue_ahead(Side.BUY, 0.46, 0.45, 0.47, 100, 80) == 0  # improves the bid: first in line


def test_a_print_through_the_ask_fills_sells_lowest_first_until_complete() -> None:
    lo = _state(_limit("lo", Side.SELL, "0.55", qty=4), None)
    hi = _state(_limit("hi", Side.SELL, "0.56", qty=10), None)
    fills, (h, lo2) = match_prints([hi, lo], [TradePrint("K", 200, 0.60, 6)], CFG)
    assert [(f.client_order_id, f.quantity, f.price, f.rule) for f in fills] == [
        ("lo", Decimal(4), Decimal("0.55"), "print"), ("hi", Decimal(2), Decimal("0.56"), "print")]
    assert lo2.status is Status.FILLED and lo2.day == 0 and h.status is Status.OPEN and h.filled == 2
    assert match_prints([_state(_limit("x", Side.SELL, "0.55"), None)], [TradePrint("K", 200, 0.55, 6)], CFG)[0] == []


def test_a_print_that_only_empties_the_queue_leaves_nothing_for_orders_behind() -> None:
    first = _state(_limit("a", Side.BUY, "0.45"), Decimal(5))
    behind = _state(_limit("b", Side.BUY, "0.45"), Decimal(0))
    fills, (a, b) = match_prints([first, behind], [TradePrint("K", 200, 0.45, 5)], CFG)
    assert fills == [] and a.queue == 0 and b.filled == 0


def test_print_fills_round_down_to_lots_and_skip_other_markets_and_non_limits() -> None:
    lot = OrderState(_limit("l", Side.BUY, "0.45"), bars=1, lot=Decimal(5))
    fills, (s,) = match_prints([lot], [TradePrint("K", 200, 0.40, 7)], CFG)
    assert [f.quantity for f in fills] == [Decimal(5)] and s.filled == 5
    fills, (s,) = match_prints([lot], [TradePrint("K", 200, 0.40, 3)], CFG)  # less than a lot
    assert fills == [] and s.filled == 0
    other = _state(Order("o", "mm", "OTHER", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.45")), None)
    market = _state(Order("m", "mm", "K", Side.BUY, Decimal(10), 100), None)
    done = OrderState(_limit("d", Side.BUY, "0.45"), status=Status.CANCELED)
    assert match_prints([other, market, done], [TradePrint("K", 200, 0.30, 50)], CFG)[0] == []


def test_a_gtd_limit_expires_on_a_print_after_its_expiry() -> None:
    o = Order("g", "mm", "K", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.45"),
              time_in_force=TimeInForce.GTD, expire_ns=300)
    fills, (s,) = match_prints([_state(o, None)], [TradePrint("K", 300, 0.40, 4)], CFG)  # at its expiry: still live
    assert [f.quantity for f in fills] == [Decimal(4)]
    fills, (s,) = match_prints([s], [TradePrint("K", 301, 0.40, 4)], CFG)
    assert fills == [] and s.status is Status.EXPIRED and s.reason == "gtd expired"


def test_print_fills_accumulate_their_notional_at_the_limit() -> None:
    s = _state(_limit("b", Side.BUY, "0.45"), None)
    fills, (s,) = match_prints([s], [TradePrint("K", 200, 0.40, 4), TradePrint("K", 300, 0.41, 6)], CFG)
    assert [f.quantity for f in fills] == [Decimal(4), Decimal(6)]
    assert s.status is Status.FILLED and s.notional == Decimal("4.50") and s.avg_price == Decimal("0.45")


def test_an_order_not_yet_arrived_does_not_keep_a_print_from_the_orders_behind_it() -> None:
    late = _state(_limit("late", Side.BUY, "0.46", ts=500), None)  # the better price, but not there yet
    here = _state(_limit("here", Side.BUY, "0.45"), None)
    fills, _ = match_prints([late, here], [TradePrint("K", 200, 0.40, 6)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("here", Decimal(6))]


# -- mutation-testing follow-ups, second run (issue 25) ----------------------------------------------
def test_a_sell_resting_behind_the_ask_at_a_multiple_of_it_has_no_known_queue() -> None:
    # 0.50 is exactly twice the 0.25 ask: behind the touch, not at it
    assert queue_ahead(Side.SELL, 0.50, 0.20, 0.25, 100, 80) is None
    assert queue_ahead(Side.SELL, 0.25, 0.20, 0.25, 100, 80) == Decimal(80)


def test_prints_of_one_market_leave_the_orders_of_every_other_market_alone() -> None:
    before = _state(Order("a", "mm", "A", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.45")), None)
    after = _state(Order("z", "mm", "Z", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.45")), None)
    fills, states = match_prints([before, after], [TradePrint("K", 200, 0.30, 50)], CFG)
    assert fills == [] and states == [before, after]


def test_an_order_state_fills_single_units_unless_given_a_lot() -> None:
    s = OrderState(_limit("b", Side.BUY, "0.45"), bars=1)
    assert s.lot == 1
    fills, (s,) = match_prints([s], [TradePrint("K", 200, 0.40, 7)], CFG)
    assert [f.quantity for f in fills] == [Decimal(7)] and s.filled == 7 and s.remaining == 3


def test_a_print_reaches_orders_on_its_symbol_by_value() -> None:
    sym = "".join(["K", "2"])  # built at run time: equal to the order's instrument, not the same object
    s = _state(Order("b", "mm", "K2", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.45")), None)
    assert sym is not s.order.instrument
    fills, (s,) = match_prints([s], [TradePrint(sym, 200, 0.40, 4)], CFG)
    assert [(f.quantity, f.price) for f in fills] == [(Decimal(4), Decimal("0.45"))] and s.filled == 4


def test_a_print_at_the_instant_the_order_arrives_does_not_count() -> None:
    s = _state(_limit("b", Side.BUY, "0.45", ts=500), None)
    assert match_prints([s], [TradePrint("K", 500, 0.30, 50)], CFG)[0] == []
    fills, _ = match_prints([s], [TradePrint("K", 501, 0.30, 50)], CFG)
    assert [f.quantity for f in fills] == [Decimal(10)]


def test_a_print_after_a_gtd_limits_expiry_expires_it_even_when_better_orders_use_the_print_up() -> None:
    """Was a strict xfail: match_prints stopped at the first order that used up a print's size, so a GTD limit
    behind it stayed open past its expiry until a print reached it."""
    best = _state(_limit("best", Side.BUY, "0.46"), None)
    gtd = _state(Order("g", "mm", "K", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.45"),
                       time_in_force=TimeInForce.GTD, expire_ns=300), None)
    fills, (b, g) = match_prints([best, gtd], [TradePrint("K", 400, 0.40, 10)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("best", Decimal(10))]
    assert g.status is Status.EXPIRED and g.reason == "gtd expired"


def test_prints_never_fill_a_pending_bracket_child_or_a_rejected_limit() -> None:
    child = OrderState.new(Order("c", "mm", "K", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.45"),
                                 parent_id="entry"))
    rejected = OrderState(_limit("r", Side.BUY, "0.45"), status=Status.REJECTED, bars=1)
    assert child.status is Status.PENDING
    fills, states = match_prints([child, rejected], [TradePrint("K", 200, 0.30, 50)], CFG)
    assert fills == [] and states == [child, rejected]


def test_a_print_passes_over_orders_it_cannot_fill_to_those_it_can() -> None:
    # a print above the bids and through the ask: the (better-sorted) bid is passed over, the ask fills
    bid = _state(_limit("bid", Side.BUY, "0.45"), None)
    ask = _state(_limit("ask", Side.SELL, "0.55"), None)
    fills, (b, a) = match_prints([bid, ask], [TradePrint("K", 200, 0.60, 4)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("ask", Decimal(4))] and b == bid
    # an expired bid in front: expired, and the print goes on to the bid behind it
    gone = _state(Order("g", "mm", "K", Side.BUY, Decimal(10), 100, OrderType.LIMIT, Decimal("0.46"),
                        time_in_force=TimeInForce.GTD, expire_ns=150), None)
    fills, (g, b) = match_prints([gone, bid], [TradePrint("K", 200, 0.40, 4)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("bid", Decimal(4))] and g.status is Status.EXPIRED
    # a better bid whose lot is bigger than the print: skipped, the single-unit bid behind fills
    big_lot = OrderState(_limit("big", Side.BUY, "0.46"), bars=1, lot=Decimal(5))
    fills, (big, b) = match_prints([big_lot, bid], [TradePrint("K", 200, 0.40, 3)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("bid", Decimal(3))] and big.filled == 0


def test_a_one_unit_print_fills_one_unit_of_the_order_behind_a_filled_one() -> None:
    first = _state(_limit("first", Side.BUY, "0.46", qty=2), None)
    behind = _state(_limit("behind", Side.BUY, "0.45"), None)
    fills, (a, b) = match_prints([first, behind], [TradePrint("K", 200, 0.40, 3)], CFG)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("first", Decimal(2)), ("behind", Decimal(1))]
    assert a.status is Status.FILLED and b.filled == 1


def test_a_print_fill_starts_the_orders_day_on_the_prints_utc_day() -> None:
    day_ns = 86_400 * 1_000_000_000
    ts = 10 * day_ns + 5 * 3_600_000_000_000  # 05:00 UTC on day 10
    s = _state(_limit("b", Side.BUY, "0.45", ts=ts - 1), None)
    fills, (s,) = match_prints([s], [TradePrint("K", ts, 0.40, 4)], CFG)
    assert [f.quantity for f in fills] == [Decimal(4)] and s.day == 10


def test_a_print_smaller_than_the_queue_takes_its_size_off_the_queue() -> None:
    s = _state(_limit("a", Side.SELL, "0.55"), Decimal(10))
    fills, (s,) = match_prints([s], [TradePrint("K", 200, 0.55, 4)], CFG)
    assert fills == [] and s.queue == 6


def test_prints_never_fill_sell_orders_that_are_not_limits() -> None:
    mkt = _state(Order("m", "mm", "K", Side.SELL, Decimal(10), 100), None)
    stop = _state(Order("s", "mm", "K", Side.SELL, Decimal(10), 100, OrderType.STOP, stop_price=Decimal("0.40")), None)
    fills, states = match_prints([mkt, stop], [TradePrint("K", 200, 0.30, 50)], CFG)
    assert fills == [] and states == [mkt, stop]
