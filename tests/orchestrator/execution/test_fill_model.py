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


def test_a_day_order_cut_by_the_volume_cap_keeps_its_part_and_rests_like_gtc() -> None:
    """Only fill-or-kill is killed by a short bar: a DAY order (whose value sorts before "fok") is not."""
    cfg = FillConfig(max_volume_share=0.1)
    (f1,), st = run(order(qty="30", time_in_force=TimeInForce.DAY), bar(1, 100, 100, 100, 100, v=200), cfg=cfg)
    assert f1.quantity == D(20) and st.status is Status.OPEN and st.remaining == D(10)


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


# -- mutation-testing follow-ups (issue 25): each pins one rule exactly ------------------------------
def test_describe_and_as_dict_print_every_convention_exactly() -> None:
    cfg = FillConfig(spread_bps=2, slippage_bps=1, impact_bps_per_pct_volume=3, max_impact_bps=20,
                     max_volume_share=0.1, latency_ns=1_500_000_000)
    assert cfg.describe() == (
        "fill model v1: market at next-open (latency 1.5 s); stop at stop or gap open, never better;"
        " limit on through at limit or better open; TP+SL in one bar: adverse first; 10% of bar volume;"
        " takers pay half of 2 bps spread + 1 bps slippage + impact 3 bps per % of volume (max 20 bps)")
    assert "; no volume cap;" in FillConfig().describe() and "(latency 0 s)" in FillConfig().describe()
    assert cfg.as_dict() == {"version": "1", "market_fill": "next-open", "limit_fill": "through", "same_bar": "adverse",
                             "spread_bps": 2, "slippage_bps": 1, "impact_bps_per_pct_volume": 3, "max_impact_bps": 20,
                             "max_volume_share": 0.1, "latency_ns": 1_500_000_000}


def test_only_pending_and_open_orders_are_not_done() -> None:
    assert {s: s.done for s in Status} == {Status.PENDING: False, Status.OPEN: False, Status.FILLED: True,
                                          Status.CANCELED: True, Status.EXPIRED: True, Status.REJECTED: True}


def test_average_price_over_partial_fills_and_none_before_any() -> None:
    cfg = FillConfig(max_volume_share=0.1)
    st = OrderState.new(order(qty="30"))
    assert st.avg_price is None and st.remaining == D(30)
    _, st = run(st, bar(1, 100, 100, 100, 100, v=100), cfg=cfg)  # 10 at 100
    _, st = run(st, bar(2, 103, 103, 103, 103, v=200), cfg=cfg)  # 20 at 103
    assert st.filled == D(30) and st.avg_price == D(102) and st.remaining == 0


def test_impact_grows_with_the_orders_share_of_bar_volume_up_to_its_cap() -> None:
    cfg = FillConfig(spread_bps=2, slippage_bps=1, impact_bps_per_pct_volume=3, max_impact_bps=20)
    (buy,), _ = run(order(Side.BUY, qty="10"), bar(1, 100, 100, 100, 100, v=1000), cfg=cfg)  # 1 %: 3 bps
    (sell,), _ = run(order(Side.SELL, qty="10"), bar(1, 100, 100, 100, 100, v=1000), cfg=cfg)
    assert buy.price == D("100.05") and sell.price == D("99.95")
    (big,), _ = run(order(Side.BUY, qty="100"), bar(1, 100, 100, 100, 100, v=1000), cfg=cfg)  # 30 bps, capped at 20
    assert big.price == D("100.22")
    (novol,), _ = run(order(Side.BUY, qty="100"), bar(1, 100, 100, 100, 100, v=0), cfg=cfg)  # no volume: no impact
    assert novol.price == D("100.02")


def test_volume_cap_rounds_down_to_whole_lots_and_skips_bars_without_volume() -> None:
    cfg = FillConfig(max_volume_share=0.1)
    (f,), st = run(OrderState.new(order(qty="50"), lot=D(5)), bar(1, 100, 100, 100, 100, v=230), cfg=cfg)
    assert f.quantity == D(20) and st.status is Status.OPEN  # 23 of room: 4 lots of 5
    fills, st = run(st, bar(2, 100, 100, 100, 100, v=40), cfg=cfg)  # 4 of room: not one lot
    assert fills == [] and st.status is Status.OPEN and st.filled == D(20)
    (f,), st = run(st, bar(3, 100, 100, 100, 100, v=0), cfg=cfg)
    assert f.quantity == D(30) and st.status is Status.FILLED


def test_stops_trigger_when_the_bar_touches_the_stop() -> None:
    (f,), _ = run(order(Side.SELL, order_type=OrderType.STOP, stop_price=D(95)), bar(1, 100, 101, 95, 96))
    assert f.price == D(95) and f.rule == "stop" and f.liquidity == "taker"
    (f,), _ = run(order(Side.BUY, order_type=OrderType.STOP, stop_price=D(105)), bar(1, 100, 105, 99, 104))
    assert f.price == D(105) and f.rule == "stop"
    fills, st = run(order(Side.BUY, order_type=OrderType.STOP, stop_price=D(105)), bar(1, 100, 104.99, 99, 104))
    assert fills == [] and st.status is Status.OPEN


def test_sell_limit_fills_through_or_on_touch_at_the_limit_or_a_better_open() -> None:
    o = order(Side.SELL, order_type=OrderType.LIMIT, limit_price=D(104))
    fills, st = run(o, bar(1, 100, 104, 99, 103))
    assert fills == [] and st.status is Status.OPEN  # touched only
    (f,), _ = run(o, bar(1, 100, 104, 99, 103), cfg=FillConfig(limit_fill=LimitFill.TOUCH))
    assert (f.price, f.rule, f.liquidity) == (D(104), "limit", "maker")
    (f,), _ = run(st, bar(2, 100, 105, 99, 103), cfg=FillConfig(spread_bps=10))
    assert (f.price, f.rule, f.liquidity) == (D(104), "limit", "maker")  # makers pay no spread
    (f,), _ = run(st, bar(2, 106, 107, 105, 106))  # gapped up through it: the better open
    assert (f.price, f.rule) == (D(106), "limit_gap")


def test_buy_limit_rules_at_a_gap_and_at_an_open_equal_to_the_limit() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(96))
    _, st = run(o, bar(1, 100, 101, 97, 99))
    (f,), _ = run(st, bar(2, 94, 95, 93, 94))
    assert (f.price, f.rule, f.liquidity) == (D(94), "limit_gap", "maker")
    (f,), _ = run(st, bar(2, 96, 97, 95, 96))  # opens at the limit, trades through: a plain limit fill
    assert (f.price, f.rule) == (D(96), "limit")
    (f,), _ = run(o, bar(1, 100, 101, 95, 99))
    assert (f.price, f.rule) == (D(96), "limit")


def test_marketable_buy_limit_takes_at_the_open_only_on_arrival() -> None:
    cfg = FillConfig(spread_bps=2, slippage_bps=1)
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(105))
    (f,), _ = run(o, bar(1, 100, 101, 99, 100), cfg=cfg)
    assert (f.price, f.rule, f.liquidity) == (D("100.02"), "limit_open", "taker")
    rested = replace(OrderState.new(o), bars=1)  # already rested a bar: a gap below it is a maker fill
    (f,), _ = run(rested, bar(2, 100, 101, 99, 100), cfg=cfg)
    assert (f.price, f.rule, f.liquidity) == (D(100), "limit_gap", "maker")


def test_post_only_limit_that_rests_fills_as_a_maker() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(96), post_only=True)
    (f,), st = run(o, bar(1, 100, 101, 95, 99))
    assert (f.price, f.liquidity) == (D(96), "maker") and st.status is Status.FILLED


def test_buy_stop_limit_triggers_then_fills_only_at_or_below_its_limit() -> None:
    o = order(Side.BUY, order_type=OrderType.STOP_LIMIT, stop_price=D(105), limit_price=D(106))
    (f,), st = run(o, bar(1, 100, 107, 99, 106))
    assert (f.price, f.rule, f.liquidity) == (D(105), "stop_limit", "maker") and st.triggered
    fills, st = run(o, bar(1, 107, 108, 106.5, 107))  # gapped above the limit: triggered, no fill
    assert fills == [] and st.triggered and st.status is Status.OPEN
    (f,), _ = run(st, bar(2, 107, 108, 105.5, 106))
    assert (f.price, f.rule) == (D(106), "limit")
    fills, st = run(o, bar(1, 100, 104, 99, 103))  # never reached its stop
    assert fills == [] and not st.triggered


def test_trailing_stop_by_percent_from_the_best_high() -> None:
    o = order(Side.SELL, order_type=OrderType.TRAILING_STOP, trail_percent=D(10))
    fills, st = run(o, bar(1, 100, 110, 99, 108), bar(2, 108, 112, 108, 111))
    assert fills == [] and st.trigger == pytest.approx(100.8) and st.watermark == 112
    fills, st = run(st, bar(3, 111, 111, 101, 105))  # a lower high: the trigger holds
    assert fills == [] and st.trigger == pytest.approx(100.8) and st.watermark == 112
    (f,), _ = run(st, bar(4, 105, 106, 100, 101))
    assert (f.price, f.rule) == (D("100.8"), "stop")


def test_buy_trailing_stop_follows_the_lows_then_fills_at_a_gap_open() -> None:
    o = order(Side.BUY, order_type=OrderType.TRAILING_STOP, trail_amount=D(5))
    fills, st = run(o, bar(1, 100, 101, 90, 95), bar(2, 93, 94, 88, 92))
    assert fills == [] and st.trigger == 93.0 and st.watermark == 88
    fills, st = run(st, bar(3, 91, 92.5, 89, 92))  # a higher low: the trigger holds
    assert fills == [] and st.trigger == 93.0
    (f,), _ = run(st, bar(4, 96, 97, 95, 96))
    assert (f.price, f.rule, f.liquidity) == (D(96), "stop_gap", "taker")


def test_trailing_stop_starts_from_its_initial_trigger_when_tighter() -> None:
    o = order(Side.SELL, order_type=OrderType.TRAILING_STOP, trail_amount=D(5), stop_price=D(98))
    fills, st = run(o, bar(1, 100, 101, 99, 100))
    assert fills == [] and st.trigger == 98.0  # 101 - 5 = 96 would be looser
    (f,), _ = run(st, bar(2, 99, 99.5, 97, 98))
    assert f.price == D(98)
    buy = order(Side.BUY, order_type=OrderType.TRAILING_STOP, trail_amount=D(5), stop_price=D(102))
    fills, st = run(buy, bar(1, 100, 101, 99, 100))
    assert fills == [] and st.trigger == 102.0  # 99 + 5 = 104 would be looser
    fills, st = run(order(Side.SELL, order_type=OrderType.TRAILING_STOP, trail_amount=D(5), stop_price=D(90)),
                    bar(1, 100, 101, 99, 100))
    assert st.trigger == 96.0  # the trail is tighter than the initial trigger


def test_gtd_order_still_fills_on_the_bar_closing_at_its_expiry() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90), time_in_force=TimeInForce.GTD,
              expire_ns=T0 + 2 * 3_600_000_000_000)
    (f,), st = run(o, bar(1, 100, 100, 95, 96), bar(2, 96, 97, 89, 92))
    assert f.price == D(90) and st.status is Status.FILLED


def test_day_order_fills_later_on_its_first_day() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90), time_in_force=TimeInForce.DAY)
    fills, st = run(o, bar(1, 100, 100, 95, 96))
    assert st.day == 10 and st.bars == 1
    (f,), st = run(st, Bar("X", T0 + DAY_NS - 1, 92, 92, 80, 85, 1e9))
    assert f.price == D(90) and st.status is Status.FILLED
    fills, st = run(replace(OrderState.new(o), day=10, bars=1), Bar("X", T0 + DAY_NS, 92, 92, 80, 85, 1e9))
    assert fills == [] and st.status is Status.EXPIRED and st.reason == "day expired"


def test_fok_with_enough_volume_fills_and_an_unfilled_ioc_is_canceled() -> None:
    cfg = FillConfig(max_volume_share=0.1)
    (f,), st = run(order(qty="20", time_in_force=TimeInForce.FOK), bar(1, 100, 100, 100, 100, v=200), cfg=cfg)
    assert f.quantity == D(20) and st.status is Status.FILLED
    ioc = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90), time_in_force=TimeInForce.IOC)
    fills, st = run(ioc, bar(1, 100, 100, 95, 96))
    assert fills == [] and st.status is Status.CANCELED and st.reason == "ioc: rest canceled"
    fills, st = run(OrderState.new(order(qty="10", time_in_force=TimeInForce.IOC), lot=D(10)),
                    bar(1, 100, 100, 100, 100, v=50), cfg=cfg)  # 5 of room: no lot fits
    assert fills == [] and st.status is Status.CANCELED


def test_orders_that_are_done_or_not_yet_arrived_are_left_alone() -> None:
    done = replace(OrderState.new(order()), status=Status.FILLED)
    assert run(done, bar(1, 100, 100, 100, 100)) == ([], done)
    pending = OrderState.new(order(parent_id="p"))
    assert pending.status is Status.PENDING and run(pending, bar(1, 100, 100, 100, 100)) == ([], pending)
    late = OrderState.new(order(), arrival_ns=T0 + 3_600_000_000_000)  # arrives as bar 1 closes
    fills, st = run(late, bar(1, 100, 100, 100, 100))
    assert fills == [] and st.bars == 0


def test_at_close_keeps_the_bars_time_and_volume() -> None:
    b = Bar("X", T0, 90, 95, 85, 93, 1234.0, T0 - 7)
    assert at_close(b) == Bar("X", T0, 93, 93, 93, 93, 1234.0, T0 - 7)


def test_quotes_fill_limits_on_a_touch_and_cap_by_the_quoted_size() -> None:
    st = replace(OrderState.new(order(Side.BUY, qty="100", order_type=OrderType.LIMIT, limit_price=D("0.45"))), bars=1)
    (f,), st = run(st, QuoteTick("X", T0 + 1, 0.40, 0.45, 10, 50), cfg=FillConfig(max_volume_share=0.5))  # type: ignore[arg-type]
    assert (f.price, f.quantity, f.liquidity) == (D("0.45"), D(25), "maker")
    sell = replace(OrderState.new(order(Side.SELL, qty="100", order_type=OrderType.LIMIT, limit_price=D("0.40"))), bars=1)
    (f,), _ = run(sell, QuoteTick("X", T0 + 1, 0.40, 0.45, 10, 50), cfg=FillConfig(max_volume_share=0.5))  # type: ignore[arg-type]
    assert (f.price, f.quantity) == (D("0.4"), D(5))


def _short_bracket() -> list[OrderState]:
    entry = Order("e", "bot", "X", Side.SELL, D(10), T0)
    tp = Order("tp", "bot", "X", Side.BUY, D(10), T0, OrderType.LIMIT, D(90), parent_id="e", oco_id="g")
    sl = Order("sl", "bot", "X", Side.BUY, D(10), T0, OrderType.STOP, stop_price=D(105), parent_id="e", oco_id="g")
    return [OrderState.new(o) for o in (entry, tp, sl)]


def test_short_bracket_through_both_exits_takes_the_higher_buy_first_when_adverse() -> None:
    _, states = match_book(_short_bracket(), bar(1, 100, 101, 99, 100), CFG)
    fills, states = match_book(states, bar(2, 100, 110, 85, 100), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("sl", D(105))]
    assert states[1].status is Status.CANCELED and states[1].reason == "oco: sl filled"
    cfg = FillConfig(same_bar=SameBar.FAVOURABLE)
    _, states = match_book(_short_bracket(), bar(1, 100, 101, 99, 100), cfg)
    fills, _ = match_book(states, bar(2, 100, 110, 85, 100), cfg)
    assert [(f.client_order_id, f.price) for f in fills] == [("tp", D(90))]


def test_oco_members_that_do_not_fill_keep_their_trigger_and_bar_count() -> None:
    sl = Order("sl", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP_LIMIT, D(94), stop_price=D(95), oco_id="g")
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), oco_id="g")
    fills, states = match_book([OrderState.new(sl), OrderState.new(tp)], bar(1, 93, 94, 92, 93), CFG)
    assert fills == [] and states[0].triggered and [s.bars for s in states] == [1, 1]
    fills, states = match_book(states, bar(2, 93, 94.5, 92, 94), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("sl", D(94))] and states[1].status is Status.CANCELED


def test_bracket_children_wait_for_a_resting_entry_and_say_why_they_are_canceled() -> None:
    entry = Order("e", "bot", "X", Side.BUY, D(10), T0, OrderType.LIMIT, D(90), time_in_force=TimeInForce.GTD,
                  expire_ns=T0 + 3_600_000_000_000)
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), parent_id="e", oco_id="g")
    states = [OrderState.new(entry), OrderState.new(tp)]
    _, states = match_book(states, bar(1, 100, 101, 95, 99), CFG)
    assert [s.status for s in states] == [Status.OPEN, Status.PENDING]
    _, states = match_book(states, bar(2, 100, 101, 95, 99), CFG)
    assert states[0].status is Status.EXPIRED
    assert states[1].status is Status.CANCELED and states[1].reason == "parent e expired"


def test_a_partly_filled_parent_keeps_its_armed_children() -> None:
    entry = Order("e", "bot", "X", Side.BUY, D(30), T0, time_in_force=TimeInForce.IOC)
    tp = Order("tp", "bot", "X", Side.SELL, D(30), T0, OrderType.LIMIT, D(110), parent_id="e")
    fills, states = match_book([OrderState.new(entry), OrderState.new(tp)], bar(1, 100, 101, 99, 100, v=200),
                               FillConfig(max_volume_share=0.1))
    assert [f.quantity for f in fills] == [D(20)]
    assert states[0].status is Status.CANCELED and states[1].status is Status.OPEN


def test_default_conventions_are_next_open_through_adverse_and_free() -> None:
    assert FillConfig().as_dict() == {"version": "1", "market_fill": "next-open", "limit_fill": "through",
                                      "same_bar": "adverse", "spread_bps": 0.0, "slippage_bps": 0.0,
                                      "impact_bps_per_pct_volume": 0.0, "max_impact_bps": 0.0,
                                      "max_volume_share": 0.0, "latency_ns": 0}


def test_a_quote_without_sizes_is_not_volume_capped() -> None:
    cfg = FillConfig(max_volume_share=0.5)
    (b,), _ = run(order(Side.BUY, qty="30"), QuoteTick("X", T0 + 1, 0.40, 0.45), cfg=cfg)  # type: ignore[arg-type]
    (s,), _ = run(order(Side.SELL, qty="30"), QuoteTick("X", T0 + 1, 0.40, 0.45), cfg=cfg)  # type: ignore[arg-type]
    assert (b.quantity, s.quantity) == (D(30), D(30))


def test_an_oco_member_filled_in_part_stays_open_and_cancels_the_others() -> None:
    sl = Order("sl", "bot", "X", Side.SELL, D(30), T0, OrderType.STOP, stop_price=D(95), oco_id="g")
    tp = Order("tp", "bot", "X", Side.SELL, D(30), T0, OrderType.LIMIT, D(110), oco_id="g")
    fills, states = match_book([OrderState.new(sl), OrderState.new(tp)], bar(1, 100, 101, 94, 96, v=200),
                               FillConfig(max_volume_share=0.1))
    assert [(f.client_order_id, f.quantity) for f in fills] == [("sl", D(20))]
    assert [s.status for s in states] == [Status.OPEN, Status.CANCELED]


def test_children_are_found_by_the_value_of_their_parents_id() -> None:
    # ids built at run time, as real ones are: equal strings, distinct objects
    eid = "".join(["entry-", str(7)])
    entry = Order(eid, "bot", "X", Side.BUY, D(10), T0)
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), parent_id="".join(["entry-", "7"]))
    assert entry.client_order_id is not tp.parent_id
    fills, states = match_book([OrderState.new(entry), OrderState.new(tp)], bar(1, 100, 101, 99, 100), CFG)
    assert states[1].status is Status.OPEN and states[1].arrival_ns == T0 + 3_600_000_000_000 - 1


def test_a_pending_child_whose_entry_is_not_in_the_book_stays_pending() -> None:
    tp = OrderState.new(Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), parent_id="elsewhere"))
    fills, (st,) = match_book([tp], bar(1, 100, 120, 99, 100), CFG)
    assert fills == [] and st.status is Status.PENDING


def test_a_day_order_expires_at_utc_midnight() -> None:
    midnight = 11 * 86_400 * 1_000_000_000  # the end of day 10 (T0's day), as a literal
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90), time_in_force=TimeInForce.DAY)
    _, st = run(o, bar(1, 100, 100, 95, 96))
    (f,), _ = run(st, Bar("X", midnight - 1, 92, 92, 80, 85, 1e9))
    assert f.price == D(90)
    fills, st = run(st, Bar("X", midnight, 92, 92, 80, 85, 1e9))
    assert fills == [] and st.status is Status.EXPIRED


def test_buy_trailing_stop_hit_inside_the_bar_fills_at_its_trigger() -> None:
    o = order(Side.BUY, order_type=OrderType.TRAILING_STOP, trail_amount=D(5))
    _, st = run(o, bar(1, 100, 101, 90, 95))  # trigger 95
    (f,), _ = run(st, bar(2, 94, 96, 93, 95))
    assert (f.price, f.rule) == (D(95), "stop")


def test_orders_after_an_oco_group_that_did_not_fill_are_still_matched() -> None:
    sl = Order("sl", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP, stop_price=D(90), oco_id="g")
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), oco_id="g")
    mkt = Order("m", "bot", "X", Side.BUY, D(5), T0)
    fills, states = match_book([OrderState.new(o) for o in (sl, tp, mkt)], bar(1, 100, 101, 99, 100), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("m", D(100))]
    assert [s.status for s in states] == [Status.OPEN, Status.OPEN, Status.FILLED]


def test_a_filled_bracket_child_stays_filled_when_its_entry_fills_the_rest() -> None:
    entry = Order("e", "bot", "X", Side.BUY, D(30), T0)
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D("100.5"), parent_id="e")
    cfg = FillConfig(max_volume_share=0.1)
    fills, states = match_book([OrderState.new(entry), OrderState.new(tp)], bar(1, 100, 101, 99, 100, v=200), cfg)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("e", D(20)), ("tp", D(10))]
    fills, states = match_book(states, bar(2, 100, 101, 99, 100, v=200), cfg)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("e", D(10))]
    assert [s.status for s in states] == [Status.FILLED, Status.FILLED]


def test_a_sell_limit_above_the_bid_rests_on_a_quote() -> None:
    st = replace(OrderState.new(order(Side.SELL, order_type=OrderType.LIMIT, limit_price=D("0.42"))), bars=1)
    fills, st = run(st, QuoteTick("X", T0 + 1, 0.40, 0.45, 10, 10))  # type: ignore[arg-type]
    assert fills == [] and st.status is Status.OPEN
    fills, _ = run(st, bar(2, 0.40, 0.41, 0.39, 0.40), cfg=FillConfig(limit_fill=LimitFill.TOUCH))
    assert fills == []


def test_only_a_stop_limit_is_ever_marked_triggered() -> None:
    _, st = run(order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90)), bar(1, 100, 101, 95, 99))
    assert st.status is Status.OPEN and not st.triggered
    _, st = run(order(Side.BUY), bar(1, 100, 101, 95, 99))
    assert st.status is Status.FILLED and not st.triggered
    _, st = run(order(Side.SELL, order_type=OrderType.STOP, stop_price=D(90)), bar(1, 100, 101, 95, 99))
    assert st.status is Status.OPEN and not st.triggered


def test_a_buy_limit_at_the_open_on_arrival_takes_at_the_open() -> None:
    (f,), _ = run(order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(100)), bar(1, 100, 101, 99, 100))
    assert (f.price, f.rule, f.liquidity) == (D(100), "limit_open", "taker")


def test_a_stop_opening_exactly_at_its_level_is_no_gap() -> None:
    (f,), _ = run(order(Side.SELL, order_type=OrderType.STOP, stop_price=D(95)), bar(1, 95, 96, 94, 95))
    assert (f.price, f.rule) == (D(95), "stop")
    trail = order(Side.SELL, order_type=OrderType.TRAILING_STOP, trail_amount=D(5))
    _, st = run(trail, bar(1, 100, 110, 99, 108))  # trigger 105
    (f,), _ = run(st, bar(2, 105, 106, 100, 101))
    assert (f.price, f.rule) == (D(105), "stop")


def test_a_stop_limit_with_its_limit_at_the_stop_fills_at_the_stop() -> None:
    (f,), _ = run(order(Side.SELL, order_type=OrderType.STOP_LIMIT, stop_price=D(95), limit_price=D(95)),
                  bar(1, 100, 100, 93, 94))
    assert (f.price, f.rule) == (D(95), "stop_limit")
    (f,), _ = run(order(Side.BUY, order_type=OrderType.STOP_LIMIT, stop_price=D(105), limit_price=D(105)),
                  bar(1, 100, 107, 99, 106))
    assert (f.price, f.rule) == (D(105), "stop_limit")


def test_favourable_first_does_not_depend_on_the_order_of_the_exits() -> None:
    cfg = FillConfig(same_bar=SameBar.FAVOURABLE)
    entry, tp, sl = _bracket()
    _, states = match_book([entry, sl, tp], bar(1, 100, 101, 99, 100), cfg)
    fills, _ = match_book(states, bar(2, 100, 115, 90, 100), cfg)
    assert [(f.client_order_id, f.price) for f in fills] == [("tp", D(110))]
    _, states = match_book([entry, sl, tp], bar(1, 100, 101, 99, 100), CFG)
    fills, _ = match_book(states, bar(2, 100, 115, 90, 100), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("sl", D(95))]


def test_the_matchers_values_are_immutable() -> None:
    from dataclasses import FrozenInstanceError

    from tradefleet.orchestrator.execution.fill_model import MatchFill, TradePrint

    values = [(CFG, "spread_bps", 1.0), (OrderState.new(order()), "filled", D(1)),
              (MatchFill("o", D(1), D(1), "maker", 1, "limit"), "price", D(2)),
              (QuoteTick("X", 1, 0.4, 0.5), "bid", 0.1), (TradePrint("X", 1, 0.4, 1.0), "size", 2.0)]
    for value, field, new in values:
        with pytest.raises(FrozenInstanceError):
            setattr(value, field, new)


# -- mutation-testing follow-ups, second run (issue 25) ----------------------------------------------
def test_only_the_filled_entrys_own_children_are_armed() -> None:
    a = Order("a", "bot", "X", Side.BUY, D(10), T0)  # fills at the open
    b = Order("b", "bot", "X", Side.BUY, D(10), T0, OrderType.LIMIT, D(90))  # rests
    b_tp = Order("b-tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), parent_id="b")
    a_tp = Order("a-tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), parent_id="a")
    fills, states = match_book([OrderState.new(o) for o in (a, b, b_tp, a_tp)], bar(1, 100, 101, 99, 100), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("a", D(100))]
    assert [s.status for s in states] == [Status.FILLED, Status.OPEN, Status.PENDING, Status.OPEN]


def test_a_trailing_stop_that_fills_is_not_marked_triggered() -> None:
    cfg = FillConfig(max_volume_share=0.1)
    o = order(Side.SELL, qty="30", order_type=OrderType.TRAILING_STOP, trail_amount=D(5))
    _, st = run(o, bar(1, 100, 110, 106, 108, v=1000), cfg=cfg)  # trigger 105
    (f,), st = run(st, bar(2, 107, 108, 100, 101, v=200), cfg=cfg)  # 20 of 30 at the trigger
    assert (f.quantity, f.price, f.rule) == (D(20), D(105), "stop")
    assert st.status is Status.OPEN and st.triggered is False and st.trigger == 105.0


def test_only_a_trailing_stop_keeps_a_trigger_and_a_watermark() -> None:
    resting = [order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90)),
               order(Side.SELL, order_type=OrderType.STOP, stop_price=D(90)),
               order(Side.SELL, order_type=OrderType.STOP_LIMIT, stop_price=D(90), limit_price=D(89)),
               order(Side.BUY, order_type=OrderType.STOP_LIMIT, stop_price=D(110), limit_price=D(111))]
    for o in resting:
        fills, st = run(o, bar(1, 100, 101, 95, 99))
        assert fills == [] and st.status is Status.OPEN and st.bars == 1
        assert (st.trigger, st.watermark) == (None, None)


def test_fills_are_listed_in_book_order_an_oco_group_at_its_first_open_member() -> None:
    # bar 1: the post-only take profit would take on arrival (rejected); its stop-loss partner rests
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(99), post_only=True, oco_id="g")
    mkt = Order("m", "bot", "X", Side.BUY, D(5), T0 + 3_600_000_000_000)  # decided on bar 1's close
    sl = Order("sl", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP, stop_price=D(95), oco_id="g")
    fills, states = match_book([OrderState.new(o) for o in (tp, mkt, sl)], bar(1, 100, 101, 99, 100), CFG)
    assert fills == [] and [s.status for s in states] == [Status.REJECTED, Status.OPEN, Status.OPEN]
    fills, states = match_book(states, bar(2, 100, 101, 94, 96), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("m", D(100)), ("sl", D(95))]
    assert [s.status for s in states] == [Status.REJECTED, Status.FILLED, Status.FILLED]


def test_a_child_armed_on_its_entrys_bar_is_matched_once_on_that_bar() -> None:
    entry = Order("e", "bot", "X", Side.BUY, D(10), T0)
    trail = Order("ts", "bot", "X", Side.SELL, D(10), T0, OrderType.TRAILING_STOP, trail_amount=D(5), parent_id="e")
    # the trigger starts at 100 - 5 = 95 and the low (104) never reaches it; only after the bar does
    # the high (110) move it to 105
    fills, states = match_book([OrderState.new(entry), OrderState.new(trail)], bar(1, 100, 110, 104, 108), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("e", D(100))]
    assert (states[1].status, states[1].bars, states[1].trigger) == (Status.OPEN, 1, 105.0)
    sl = Order("sl", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP_LIMIT, D(94), stop_price=D(95), parent_id="e")
    # opens at 93, below the limit: triggered, not filled on this bar (as a lone order is, above)
    fills, states = match_book([OrderState.new(entry), OrderState.new(sl)], bar(1, 93, 94.5, 92, 94), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("e", D(93))]
    assert (states[1].status, states[1].bars, states[1].triggered) == (Status.OPEN, 1, True)


def test_a_sell_limit_at_the_open_on_arrival_takes_at_the_open() -> None:
    (f,), _ = run(order(Side.SELL, order_type=OrderType.LIMIT, limit_price=D(100)), bar(1, 100, 101, 99, 100))
    assert (f.price, f.rule, f.liquidity) == (D(100), "limit_open", "taker")


def test_buy_stops_opening_exactly_at_their_trigger_are_no_gap() -> None:
    (f,), _ = run(order(Side.BUY, order_type=OrderType.STOP, stop_price=D(105)), bar(1, 105, 106, 104, 105))
    assert (f.price, f.rule) == (D(105), "stop")
    trail = order(Side.BUY, order_type=OrderType.TRAILING_STOP, trail_amount=D(5))
    _, st = run(trail, bar(1, 100, 101, 90, 95))  # trigger 90 + 5 = 95
    (f,), _ = run(st, bar(2, 95, 96, 94, 95))
    assert (f.price, f.rule) == (D(95), "stop")


def test_children_of_a_rejected_entry_are_canceled_and_say_why() -> None:
    entry = Order("e", "bot", "X", Side.BUY, D(10), T0, OrderType.LIMIT, D(101), post_only=True)  # would take at 100
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), parent_id="e", oco_id="g")
    sl = Order("sl", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP, stop_price=D(95), parent_id="e", oco_id="g")
    fills, states = match_book([OrderState.new(o) for o in (entry, tp, sl)], bar(1, 100, 101, 94, 96), CFG)
    assert fills == [] and [s.status for s in states] == [Status.REJECTED, Status.CANCELED, Status.CANCELED]
    assert states[1].reason == "parent e rejected"


def test_fill_prices_keep_ten_decimals() -> None:
    # 0.123457 * (1 + 1.23 / 10_000) = 0.123472185211: ten decimals kept, the rest rounded off
    (f,), _ = run(order(), bar(1, 0.123457, 0.2, 0.1, 0.15), cfg=FillConfig(slippage_bps=1.23))
    assert f.price == D("0.1234721852")


def test_impact_below_one_bp_per_pct_and_on_fractional_bar_volume() -> None:
    cfg = FillConfig(impact_bps_per_pct_volume=0.5, max_impact_bps=20)
    (f,), _ = run(order(qty="10"), bar(1, 100, 100, 100, 100, v=1000), cfg=cfg)  # 1 % of volume: 0.5 bps
    assert f.price == D("100.005")
    cfg = FillConfig(impact_bps_per_pct_volume=3, max_impact_bps=20)
    (f,), _ = run(order(qty="0.02"), bar(1, 100, 100, 100, 100, v=0.8), cfg=cfg)  # 2.5 % of 0.8: 7.5 bps
    assert f.price == D("100.075")


def test_a_buy_stop_gapped_above_its_trigger_is_marked_a_gap_fill() -> None:
    (f,), _ = run(order(Side.BUY, order_type=OrderType.STOP, stop_price=D(105)), bar(1, 108, 110, 107, 109))
    assert (f.price, f.rule, f.liquidity) == (D(108), "stop_gap", "taker")


def test_a_bar_fills_orders_on_its_symbol_by_value_and_float_zero_volume_has_no_impact() -> None:
    sym = "".join(["X", "Y"])  # built at run time, as a feed's symbols are: equal to the order's, not the same object
    o = Order("o1", "bot", "XY", Side.BUY, D(10), T0)
    assert sym is not o.instrument
    cfg = FillConfig(impact_bps_per_pct_volume=3, max_impact_bps=20, slippage_bps=1)
    (f,), st = run(o, Bar(sym, T0 + 3_600_000_000_000, 100, 100, 100, 100, 0.0), cfg=cfg)
    assert (f.price, f.quantity) == (D("100.01"), D(10)) and st.status is Status.FILLED


def test_only_day_and_gtd_orders_expire() -> None:
    next_day = Bar("X", T0 + DAY_NS + 3_600_000_000_000, 92, 92, 80, 85, 1e9)
    for tif in (TimeInForce.GTC, TimeInForce.GTD):
        o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(90), time_in_force=tif, expire_ns=T0 + 2 * DAY_NS)
        fills, st = run(o, bar(1, 100, 100, 95, 96))
        assert fills == [] and st.status is Status.OPEN and st.day == 10
        (f,), st = run(st, next_day)  # the next UTC day, before the GTD's expiry
        assert f.price == D(90) and st.status is Status.FILLED
    for tif in (TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK):  # an expiry binds a GTD only
        (f,), st = run(order(time_in_force=tif, expire_ns=T0), bar(1, 100, 101, 99, 100))
        assert f.price == D(100) and st.status is Status.FILLED


def test_an_oco_group_with_an_expired_member_fills_at_its_open_members_place() -> None:
    tp = Order("tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(120), time_in_force=TimeInForce.GTD,
               expire_ns=T0 + 1_800_000_000_000, oco_id="g")  # expires before bar 1 closes
    mkt = Order("m", "bot", "X", Side.BUY, D(5), T0 + 3_600_000_000_000)
    sl = Order("sl", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP, stop_price=D(95), oco_id="g")
    fills, states = match_book([OrderState.new(o) for o in (tp, mkt, sl)], bar(1, 100, 101, 99, 100), CFG)
    assert fills == [] and [s.status for s in states] == [Status.EXPIRED, Status.OPEN, Status.OPEN]
    fills, states = match_book(states, bar(2, 100, 101, 94, 96), CFG)
    assert [(f.client_order_id, f.price) for f in fills] == [("m", D(100)), ("sl", D(95))]


def test_a_rejected_bracket_child_stays_rejected_when_its_entry_fills_again() -> None:
    entry = Order("e", "bot", "X", Side.BUY, D(30), T0)
    tp = Order("tp", "bot", "X", Side.SELL, D(30), T0, OrderType.LIMIT, D(99), parent_id="e", post_only=True)
    cfg = FillConfig(max_volume_share=0.1)
    fills, states = match_book([OrderState.new(entry), OrderState.new(tp)], bar(1, 100, 101, 99, 100, v=200), cfg)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("e", D(20))]
    assert states[1].status is Status.REJECTED  # armed at 100 above its 99 limit: it would take
    fills, states = match_book(states, bar(2, 100, 101, 99, 100, v=200), cfg)
    assert [(f.client_order_id, f.quantity) for f in fills] == [("e", D(10))]
    assert [s.status for s in states] == [Status.FILLED, Status.REJECTED] and states[1].bars == 1


def test_volume_cap_on_a_bar_with_less_than_one_unit_of_volume() -> None:
    cfg = FillConfig(max_volume_share=0.5)
    st = OrderState.new(order(qty="1"), lot=D("0.01"))
    (f,), st = run(st, bar(1, 100, 100, 100, 100, v=0.8), cfg=cfg)  # half of 0.8: 0.4
    assert f.quantity == D("0.40") and st.status is Status.OPEN and st.remaining == D("0.60")


def test_a_resting_trailing_stop_is_never_marked_triggered() -> None:
    for side in (Side.BUY, Side.SELL):
        fills, st = run(order(side, order_type=OrderType.TRAILING_STOP, trail_amount=D(20)), bar(1, 100, 101, 99, 100))
        assert fills == [] and st.status is Status.OPEN and st.triggered is False


def test_bars_of_a_lower_sorting_symbol_leave_the_order_alone() -> None:
    fills, st = run(order(), Bar("A", T0 + 5, 1, 1, 1, 1, 1))
    assert fills == [] and st.bars == 0


def test_a_day_order_lives_through_its_day_at_a_real_date() -> None:
    day = 20_000  # 2024-10-04: a day number too big to be a cached small int
    o = Order("d", "bot", "X", Side.BUY, D(10), day * DAY_NS, OrderType.LIMIT, D(90), time_in_force=TimeInForce.DAY)
    fills, st = run(o, Bar("X", day * DAY_NS + 3_600_000_000_000, 100, 100, 95, 96, 1e9))
    assert fills == [] and st.day == day
    (f,), st = run(st, Bar("X", day * DAY_NS + 7_200_000_000_000, 92, 92, 80, 85, 1e9))
    assert f.price == D(90) and st.status is Status.FILLED


def test_a_buy_limit_on_touch_never_fills_above_the_bar() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(96))
    fills, st = run(o, bar(1, 100, 101, 97, 99), cfg=FillConfig(limit_fill=LimitFill.TOUCH))
    assert fills == [] and st.status is Status.OPEN


def test_takers_pay_half_of_an_odd_spread() -> None:
    (f,), _ = run(order(), bar(1, 100, 100, 100, 100), cfg=FillConfig(spread_bps=3))
    assert f.price == D("100.015")


def test_a_sell_trailing_stop_gapped_through_is_marked_a_gap_fill() -> None:
    o = order(Side.SELL, order_type=OrderType.TRAILING_STOP, trail_amount=D(5))
    _, st = run(o, bar(1, 100, 110, 106, 108))  # trigger 105
    (f,), _ = run(st, bar(2, 103, 104, 100, 101))
    assert (f.price, f.rule) == (D(103), "stop_gap")


def test_describe_prints_the_latency_in_seconds_to_six_digits() -> None:
    assert "(latency 1.23456 s)" in FillConfig(latency_ns=1_234_564_999).describe()  # 1.234564999 s
    assert "(latency 1.23457 s)" in FillConfig(latency_ns=1_234_565_001).describe()  # 1.234565001 s


def test_an_order_counts_the_bars_it_has_met() -> None:
    o = order(Side.BUY, order_type=OrderType.LIMIT, limit_price=D(96))
    fills, st = run(o, bar(1, 100, 101, 97, 99), bar(2, 100, 101, 97, 99), bar(3, 100, 101, 97, 99))
    assert fills == [] and st.bars == 3
    (f,), _ = run(st, bar(4, 95, 96, 94, 95))  # gaps below it after resting: a maker fill at the open
    assert (f.price, f.rule, f.liquidity) == (D(95), "limit_gap", "maker")


def test_negative_volume_share_or_impact_settings_mean_none() -> None:
    assert "; no volume cap;" in FillConfig(max_volume_share=-0.1).describe()
    cfg = FillConfig(impact_bps_per_pct_volume=-0.5, max_impact_bps=20)
    (f,), _ = run(order(qty="10"), bar(1, 100, 100, 100, 100, v=1000), cfg=cfg)  # never a better price for a taker
    assert f.price == D(100)
    (f,), _ = run(order(qty="10"), bar(1, 100, 100, 100, 100, v=1000), cfg=FillConfig(max_volume_share=-0.1))
    assert f.quantity == D(10)  # no cap, not a negative one
    cfg = FillConfig(impact_bps_per_pct_volume=0.5, max_impact_bps=20)
    (f,), _ = run(order(qty="10"), bar(1, 100, 100, 100, 100, v=-1000), cfg=cfg)  # a bad bar's negative volume
    assert f.price == D(100)  # no impact, never a better price


def test_a_higher_ids_fill_leaves_a_lower_ids_children_pending() -> None:
    a = Order("a", "bot", "X", Side.BUY, D(10), T0, OrderType.LIMIT, D(90))  # rests
    b = Order("b", "bot", "X", Side.BUY, D(10), T0)  # fills at the open
    a_tp = Order("a-tp", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), parent_id="a")
    fills, states = match_book([OrderState.new(o) for o in (a, b, a_tp)], bar(1, 100, 101, 99, 100), CFG)
    assert [f.client_order_id for f in fills] == ["b"] and states[2].status is Status.PENDING
