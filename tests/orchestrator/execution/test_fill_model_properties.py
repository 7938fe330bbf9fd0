"""Properties of the fill model over random generated bars (hypothesis): an OCO group never
fills more than one member, a stop never fills better than its stop, a limit never worse
than its limit, and no order ever fills more than its quantity."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.orchestrator.domain import Bar, Order, OrderType, Side
from tradefleet.orchestrator.execution.fill_model import FillConfig, LimitFill, OrderState, SameBar, match_book

D = Decimal
T0 = 1_700_000_000 * 10**9
HOUR = 3_600 * 10**9


@st.composite
def bars(draw: st.DrawFn) -> list[Bar]:
    out, price = [], 100.0
    for i in range(draw(st.integers(1, 12))):
        o = max(1.0, price + draw(st.floats(-8, 8)))
        c = max(1.0, o + draw(st.floats(-8, 8)))
        h = max(o, c) + draw(st.floats(0, 5))
        lo = max(0.5, min(o, c) - draw(st.floats(0, 5)))
        out.append(Bar("X", T0 + (i + 1) * HOUR, o, h, lo, c, draw(st.sampled_from([0.0, 50.0, 1e9]))))
        price = c
    return out


@settings(max_examples=300, deadline=None)
@given(bars(), st.floats(80, 99), st.floats(101, 120), st.sampled_from(list(SameBar)),
       st.sampled_from(list(LimitFill)), st.sampled_from([0.0, 0.1]))
def test_bracket_never_fills_both_exits_nor_past_its_levels(path: list[Bar], stop: float, target: float,
                                                           same_bar: SameBar, limit_fill: LimitFill,
                                                           share: float) -> None:
    cfg = FillConfig(limit_fill=limit_fill, same_bar=same_bar, max_volume_share=share)
    entry = Order("e", "b", "X", Side.BUY, D(10), T0)
    sl = Order("sl", "b", "X", Side.SELL, D(10), T0, OrderType.STOP, None, reduce_only=True,
               stop_price=D(repr(round(stop, 2))), parent_id="e", oco_id="g")
    tp = Order("tp", "b", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(repr(round(target, 2))), reduce_only=True,
               parent_id="e", oco_id="g")
    states = [OrderState.new(o) for o in (entry, sl, tp)]
    fills = []
    for b in path:
        got, states = match_book(states, b, cfg)
        fills += [(f, b) for f in got]
    exits = {f.client_order_id for f, _ in fills if f.client_order_id != "e"}
    assert len(exits) <= 1  # one-cancels-other: never both legs
    for f, b in fills:
        if f.client_order_id == "sl":
            assert f.price <= sl.stop_price  # type: ignore[operator]  # never better than the stop
        if f.client_order_id == "tp":
            assert f.price >= tp.limit_price  # type: ignore[operator]  # never worse than the limit
        assert b.low - 1e-9 <= float(f.price) <= b.high + 1e-9  # a price the bar traded
    by_order: dict[str, Decimal] = {}
    for f, _ in fills:
        by_order[f.client_order_id] = by_order.get(f.client_order_id, D(0)) + f.quantity
    assert all(q <= D(10) for q in by_order.values())
