"""The fill model's rules, one by one, on hand-made bars (pure: no broker, no clock)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import Bar, Order, OrderType, Side, TimeInForce
from tradefleet.orchestrator.execution.fill_model import (DAY_NS, FillConfig, LimitFill, MarketFill, OrderState, QuoteTick,
                                             SameBar, Status, at_close, match, match_book)

D = Decimal
T0 = 10 * DAY_NS  # the decision time: orders below arrive at T0
CFG = FillConfig()


def bar(i: int, o: float, h: float, lo: float, c: float, v: float = 1e9) -> Bar:
    """Bar ``i`` after the decision (closes at T0 + i hours)."""
    return Bar("X", T0 + i * 3_600_000_000_000, o, h, lo, c, v)


def order(side: Side = Side.BUY, qty: str = "10", cid: str = "o1", **kw: object) -> Order:
    return Order(cid, "bot", "X", side, D(qty), T0, **kw)  # type: ignore[arg-type]


def run(o: Order | OrderState, *bars: Bar, cfg: FillConfig = CFG) -> tuple[list, OrderState]:  # type: ignore[type-arg]
    st = o if isinstance(o, OrderState) else OrderState.new(o)
    fills = []
    for b in bars:
        f, st = match(st, b, cfg)
        fills += f
    return fills, st


def test_market_fills_at_next_open_never_on_the_decision_bar() -> None:
    decided = Bar("X", T0, 90, 95, 85, 93, 1e9)
    fills, st = run(order(), decided)
    assert fills == [] and st.status is Status.OPEN  # the bar closed before the order arrived
    (f,), st = run(st, bar(1, 100, 110, 99, 105))
    assert f.price == D(100) and f.rule == "market" and f.liquidity == "taker" and st.status is Status.FILLED


def test_market_close_mode_fills_at_the_decision_close() -> None:
    decided = Bar("X", T0, 90, 95, 85, 93, 1e9)
    st = replace(OrderState.new(order()), arrival_ns=T0 - 1)
    (f,), _ = run(st, at_close(decided), cfg=FillConfig(market_fill=MarketFill.CLOSE))
    assert f.price == D(93)


def test_latency_pushes_the_fill_to_a_later_bar() -> None:
    cfg = FillConfig(latency_ns=2 * 3_600_000_000_000)
    fills, _ = run(order(), bar(1, 100, 100, 100, 100), bar(2, 101, 101, 101, 101), bar(3, 102, 102, 102, 102), cfg=cfg)
    assert [f.price for f in fills] == [D(102)]


def test_taker_costs_are_adverse() -> None:
    cfg = FillConfig(spread_bps=2, slippage_bps=1)
    (buy,), _ = run(order(Side.BUY), bar(1, 100, 100, 100, 100), cfg=cfg)
    (sell,), _ = run(order(Side.SELL), bar(1, 100, 100, 100, 100), cfg=cfg)
    assert buy.price == D("100.02") and sell.price == D("99.98")


def test_sell_stop_fills_at_stop_inside_the_bar_never_better() -> None:
    o = order(Side.SELL, order_type=OrderType.STOP, stop_price=D(95))
    (f,), _ = run(o, bar(1, 100, 101, 90, 92))
    assert f.price == D(95) and f.rule == "stop"


def test_sell_stop_gapped_through_fills_at_the_open() -> None:
    o = order(Side.SELL, order_type=OrderType.STOP, stop_price=D(95))
    (f,), _ = run(o, bar(1, 91, 93, 88, 92))
    assert f.price == D(91) and f.rule == "stop_gap"


def test_buy_stop_gapped_through_fills_at_the_open_with_slippage() -> None:
    o = order(Side.BUY, order_type=OrderType.STOP, stop_price=D(105))
    (f,), _ = run(o, bar(1, 108, 110, 107, 109), cfg=FillConfig(slippage_bps=10))
    assert f.price == D("108.108")


def test_stop_not_reached_rests() -> None:
    o = order(Side.SELL, order_type=OrderType.STOP, stop_price=D(95))
    fills, st = run(o, bar(1, 100, 101, 95.01, 96))
    assert fills == [] and st.status is Status.OPEN


def test_limit_touched_does_not_fill_by_default_but_does_on_touch() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(96))
    touched = bar(1, 100, 101, 96, 99)
    fills, st = run(o, touched)
    assert fills == [] and st.status is Status.OPEN
    (f,), _ = run(o, touched, cfg=FillConfig(limit_fill=LimitFill.TOUCH))
    assert f.price == D(96) and f.liquidity == "maker"


def test_limit_traded_through_fills_at_limit_or_better_open() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(96))
    (f,), _ = run(o, bar(1, 100, 101, 95, 99))
    assert f.price == D(96)
    st = OrderState.new(o)
    _, st = run(st, bar(1, 100, 101, 97, 99))  # rests one bar
    (f,), _ = run(st, bar(2, 94, 95, 93, 94))  # gaps down through the limit: the better open
    assert f.price == D(94) and f.liquidity == "maker"


def test_marketable_limit_on_arrival_takes_at_the_open() -> None:
    o = order(Side.SELL, order_type=OrderType.LIMIT, limit_price=D(96))
    (f,), _ = run(o, bar(1, 100, 101, 99, 100))
    assert f.price == D(100) and f.rule == "limit_open" and f.liquidity == "taker"


def test_post_only_limit_that_would_take_is_rejected() -> None:
    o = order(Side.SELL, order_type=OrderType.LIMIT, limit_price=D(96), post_only=True)
    fills, st = run(o, bar(1, 100, 101, 99, 100))
    assert fills == [] and st.status is Status.REJECTED


def test_stop_limit_triggers_then_rests_as_a_limit() -> None:
    o = order(Side.SELL, order_type=OrderType.STOP_LIMIT, stop_price=D(95), limit_price=D(94))
    (f,), _ = run(o, bar(1, 100, 100, 93, 94))
    assert f.price == D(95) and f.rule == "stop_limit"
    fills, st = run(o, bar(1, 93, 94, 92, 93))  # gapped below the limit: triggered, not filled
    assert fills == [] and st.triggered and st.status is Status.OPEN
    (f,), _ = run(st, bar(2, 93, 94.5, 92, 94))
    assert f.price == D(94)


def test_trailing_stop_follows_the_best_price_then_fills() -> None:
    o = order(Side.SELL, order_type=OrderType.TRAILING_STOP, trail_amount=D(5))
    fills, st = run(o, bar(1, 100, 110, 99, 108), bar(2, 108, 112, 108, 111))
    assert fills == [] and st.trigger == 107.0
    (f,), _ = run(st, bar(3, 110, 110, 100, 101))
    assert f.price == D(107)


def test_volume_cap_fills_partly_then_the_rest_next_bar() -> None:
    cfg = FillConfig(max_volume_share=0.1)
    (f1,), st = run(order(qty="30"), bar(1, 100, 100, 100, 100, v=200), cfg=cfg)
    assert f1.quantity == D(20) and st.status is Status.OPEN and st.remaining == D(10)
    (f2,), st = run(st, bar(2, 101, 101, 101, 101, v=200), cfg=cfg)
    assert f2.quantity == D(10) and f2.price == D(101) and st.status is Status.FILLED


def test_fok_without_enough_volume_is_killed_and_ioc_keeps_its_part() -> None:
    cfg = FillConfig(max_volume_share=0.1)
    fills, st = run(order(qty="30", time_in_force=TimeInForce.FOK), bar(1, 100, 100, 100, 100, v=200), cfg=cfg)
    assert fills == [] and st.status is Status.CANCELED
    (f,), st = run(order(qty="30", time_in_force=TimeInForce.IOC), bar(1, 100, 100, 100, 100, v=200), cfg=cfg)
    assert f.quantity == D(20) and st.status is Status.CANCELED


def test_gtd_expires_before_a_bar_closing_after_its_expiry() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90), time_in_force=TimeInForce.GTD,
              expire_ns=T0 + 2 * 3_600_000_000_000)
    fills, st = run(o, bar(1, 100, 100, 95, 96), bar(2, 96, 97, 91, 92), bar(3, 92, 92, 80, 85))
    assert fills == [] and st.status is Status.EXPIRED


def test_day_order_lives_through_its_first_day_only() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90), time_in_force=TimeInForce.DAY)
    fills, st = run(o, bar(1, 100, 100, 95, 96), Bar("X", T0 + DAY_NS + 1, 92, 92, 80, 85, 1e9))
    assert fills == [] and st.status is Status.EXPIRED


def test_quote_fills_buys_at_the_ask_and_sells_at_the_bid() -> None:
    q = QuoteTick("X", T0 + 1, 0.40, 0.45, 100, 100)
    (b,), _ = run(order(Side.BUY), q)  # type: ignore[arg-type]
    (s,), _ = run(order(Side.SELL), q)  # type: ignore[arg-type]
    assert (b.price, s.price) == (D("0.45"), D("0.4"))


def _bracket(side: Side = Side.SELL) -> list[OrderState]:
    entry = Order("e", "bot", "X", Side.BUY, D(10), T0)
    tp = Order("tp", "bot", "X", side, D(10), T0, OrderType.LIMIT, D(110), reduce_only=True, parent_id="e",
               oco_id="g")
    sl = Order("sl", "bot", "X", side, D(10), T0, OrderType.STOP, None, reduce_only=True, stop_price=D(95),
               parent_id="e", oco_id="g")
    return [OrderState.new(o) for o in (entry, tp, sl)]


def test_take_profit_and_stop_in_one_bar_adverse_first() -> None:
    states = _bracket()
    fills, states = match_book(states, bar(1, 100, 101, 99, 100), CFG)
    assert [f.client_order_id for f in fills] == ["e"]
    fills, states = match_book(states, bar(2, 100, 115, 90, 100), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("sl", D(95))]
    assert {s.order.client_order_id: s.status for s in states} == {
        "e": Status.FILLED, "tp": Status.CANCELED, "sl": Status.FILLED}


def test_take_profit_and_stop_in_one_bar_favourable_first_when_chosen() -> None:
    cfg = FillConfig(same_bar=SameBar.FAVOURABLE)
    _, states = match_book(_bracket(), bar(1, 100, 101, 99, 100), cfg)
    fills, states = match_book(states, bar(2, 100, 115, 90, 100), cfg)
    assert [(f.client_order_id, f.price) for f in fills] == [("tp", D(110))]


def test_gap_through_the_target_fills_at_the_open_before_the_stop() -> None:
    _, states = match_book(_bracket(), bar(1, 100, 101, 99, 100), CFG)
    fills, _ = match_book(states, bar(2, 112, 113, 90, 100), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("tp", D(112))]


def test_bracket_children_arm_on_the_entry_bar() -> None:
    fills, states = match_book(_bracket(), bar(1, 100, 101, 94, 96), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("e", D(100)), ("sl", D(95))]


def test_bracket_children_are_canceled_with_an_unfilled_parent() -> None:
    states = _bracket()
    states[0] = replace(states[0], status=Status.EXPIRED)
    _, states = match_book(states, bar(1, 100, 101, 94, 96), CFG)
    assert [s.status for s in states[1:]] == [Status.CANCELED, Status.CANCELED]


def test_describe_prints_every_convention() -> None:
    text = FillConfig(max_volume_share=0.1, slippage_bps=1).describe()
    for word in ("next-open", "through", "adverse", "10% of bar volume", "gap open", "v1"):
        assert word in text


@pytest.mark.parametrize("other", ["Y"])
def test_other_symbols_are_ignored(other: str) -> None:
    fills, st = run(order(), Bar(other, T0 + 5, 1, 1, 1, 1, 1))
    assert fills == [] and st.bars == 0
