"""The paper venue beyond the plain fill: option quotes, settlements at a set price, brackets,
the venue's own updates, restore after a restart, FX tick volume, calibrations and latency.
Every market here is generated in the test (named bars and quotes)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import AssetClass, Bar, Fill, Instrument, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.errors import OrderRejected
from tradefleet.orchestrator.execution.fill_model import FillConfig, MarketFill
from tradefleet.orchestrator.execution.paper import PaperBroker, PaperCosts

D = Decimal
NO_COSTS = PaperCosts(slippage_bps=0, fee_bps=0, impact_bps_per_pct_volume=0)
OPT = "AAPL  260116C00150000"  # an OCC option symbol
DAY = 86_400 * 10**9


def ohlc_market(rows: list[tuple[float, float, float, float]], symbol: str = "X", volume: float = 1e6,
                spread_bps: float = 0.0):  # type: ignore[no-untyped-def]
    """A market on generated daily bars ``rows`` (open, high, low, close), at row 0."""
    from tradefleet.orchestrator.market import MarketState

    idx = pd.date_range("2020-01-01", periods=len(rows), freq="D", tz="UTC", name="ts")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=idx)
    frame["volume"] = volume
    m = MarketState(spread_bps)
    m.load(symbol, frame)
    m.advance(symbol, 0)
    return m


def now(m, symbol: str = "X") -> int:  # type: ignore[no-untyped-def]
    return m.last_bar(symbol).ts_event


def order(cid: str, side: Side, qty: str, ts: int = 0, symbol: str = "X", **kw: object) -> Order:
    return Order(cid, "bot", symbol, side, D(qty), ts, **kw)  # type: ignore[arg-type]


def step(b: PaperBroker, m, row: int, symbol: str = "X") -> list[Fill]:  # type: ignore[no-untyped-def]
    b.on_bar(m.advance(symbol, row))
    return b.poll_fills()


# -- options on quotes (generated here; the venue treats them as recorded quotes) ------------
def _option_broker(improvement: float | None, asset: AssetClass = AssetClass.OPTION):  # type: ignore[no-untyped-def]
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.put_quote(OPT, 1_000, 0.25, 0.75)  # a cheap contract's wide quote: bid 0.25, ask 0.75
    inst = {OPT: Instrument(OPT, asset, multiplier=D(100))}
    b = PaperBroker(m, SimClock(5_000), D("100000"), PaperCosts(slippage_bps=50, fee_bps=100), instruments=inst)
    if improvement is not None:  # None: the default
        b.option_improvement = improvement
    return m, b


def test_an_option_fills_at_once_inside_the_spread_by_the_improvement_share() -> None:
    _, b = _option_broker(0.5)
    b.submit(order("ob", Side.BUY, "2", 2_000, symbol=OPT))
    b.submit(order("os", Side.SELL, "3", 2_000, symbol=OPT))
    fills = {f.client_order_id: f for f in b.poll_fills()}
    # half of the 0.25 half-spread given back: buy 0.625, sell 0.375; no slippage on a recorded quote
    assert (fills["ob"].price, fills["os"].price) == (D("0.625"), D("0.375"))
    # per contract, not bps: 0.65 x 2 and 0.65 x 3
    assert (fills["ob"].fee, fills["os"].fee) == (D("1.30"), D("1.95"))
    assert fills["ob"].ts_event == 5_000  # the venue's clock, not the quote's older time


def test_an_option_without_improvement_fills_at_the_touch() -> None:
    _, b = _option_broker(None)
    b.submit(order("ob", Side.BUY, "1", 2_000, symbol=OPT))
    b.submit(order("os", Side.SELL, "1", 2_000, symbol=OPT))
    assert {f.client_order_id: f.price for f in b.poll_fills()} == {"ob": D("0.75"), "os": D("0.25")}


def test_the_improvement_applies_to_options_only() -> None:
    _, b = _option_broker(0.5, asset=AssetClass.EQUITY)
    b.submit(order("eb", Side.BUY, "1", 2_000, symbol=OPT))
    (f,) = b.poll_fills()
    assert f.price == D("0.75") and f.fee == D("0.01")  # the touch, and the 100 bps fee (rounded to the cent)


def test_a_settlement_at_a_set_price_is_booked_at_once_without_fee() -> None:
    m = ohlc_market([(100, 101, 99, 100)])
    clock = SimClock(7_777)
    b = PaperBroker(m, clock, D("10000"), PaperCosts(fee_bps=100), venue="sim")
    b.submit(order("first", Side.BUY, "1", now(m)))
    b.book_at("ex-1", D("150"))
    vo = b.submit(order("ex-1", Side.SELL, "4", now(m)))
    assert (vo.status, vo.filled_quantity, vo.avg_price, vo.venue_order_id) == (OrderStatus.FILLED, D(4), D(150), "sim-2")
    (f,) = b.poll_fills()
    assert (f.venue, f.venue_order_id, f.trade_id, f.price, f.fee, f.quantity, f.side) == (
        "sim", "sim-2", "sim-2-t1", D(150), D(0), D(4), Side.SELL)
    assert (f.ts_event, f.ts_init) == (7_777, 7_777)
    assert b.positions() == {"X": D(-4)} and b.account().cash == D(10000) + D(600)
    assert b.query_order("ex-1") == vo
    # booked once: the same id submitted again is the stored answer, a new id trades normally
    assert b.submit(order("ex-1", Side.SELL, "4", now(m))) == vo and b.poll_fills() == []


def test_a_settled_binary_contract_fills_at_its_outcome_without_fee() -> None:
    m = ohlc_market([(0.4, 0.45, 0.35, 0.4)], symbol="KX")
    inst = {"KX": Instrument("KX", AssetClass.PREDICTION)}
    b = PaperBroker(m, SimClock(0), D("1000"), PaperCosts(slippage_bps=100, fee_bps=100), instruments=inst)
    b.settle("KX", outcome_yes=True)
    b.submit(order("s1", Side.SELL, "10", now(m, "KX"), symbol="KX"))
    (f,) = b.poll_fills()
    assert (f.price, f.fee) == (D(1), D(0))
    b.settle("KX", outcome_yes=False)
    b.submit(order("s2", Side.BUY, "10", now(m, "KX"), symbol="KX"))
    (g,) = b.poll_fills()
    assert (g.price, g.fee) == (D(0), D(0))


# -- rejections ----------------------------------------------------------------------------
def test_a_negative_quantity_is_rejected_with_the_quantity() -> None:
    m = ohlc_market([(100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"))
    with pytest.raises(OrderRejected, match="^order n1: quantity must be positive, got -1$"):
        b.submit(order("n1", Side.BUY, "-1"))
    assert b.open_orders() == [] and not b.has_resting_orders()


def test_cancel_of_an_unknown_order_is_rejected_and_of_a_filled_one_changes_nothing() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    with pytest.raises(OrderRejected, match="cancel nope: unknown order"):
        b.cancel("nope")
    b.submit(order("m1", Side.BUY, "1", now(m)))
    step(b, m, 1)
    assert b.cancel("m1").status is OrderStatus.FILLED


# -- resting orders, brackets and the venue's own updates ----------------------------------------
def test_resting_orders_are_listed_per_instrument_until_they_end() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    m.load("Y", _frame([(50, 51, 49, 50), (50, 51, 49, 50)]))
    m.advance("Y", 0)
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    assert not b.has_resting_orders() and b.open_orders() == []
    b.submit(order("x1", Side.BUY, "1", now(m), order_type=OrderType.LIMIT, limit_price=D(90)))
    b.submit(order("y1", Side.BUY, "1", now(m), symbol="Y", order_type=OrderType.LIMIT, limit_price=D(40)))
    b.submit(order("y2", Side.BUY, "1", now(m), symbol="Y"))
    assert b.has_resting_orders()
    assert sorted(o.client_order_id for o in b.open_orders()) == ["x1", "y1", "y2"]
    assert step(b, m, 1, "Y")[0].client_order_id == "y2"
    b.cancel("x1")
    assert [o.client_order_id for o in b.open_orders()] == ["y1"]
    b.cancel("y1")
    assert not b.has_resting_orders() and b.open_orders() == []


def _frame(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    idx = pd.date_range("2020-01-01", periods=len(rows), freq="D", tz="UTC", name="ts")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=idx)
    frame["volume"] = 1e6
    return frame


def test_canceling_an_entry_takes_its_waiting_bracket_children_as_venue_updates() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    t = now(m)
    b.submit(order("e1", Side.BUY, "1", t, order_type=OrderType.LIMIT, limit_price=D(90)))
    b.submit(order("tp", Side.SELL, "1", t, order_type=OrderType.LIMIT, limit_price=D(120), parent_id="e1"))
    b.submit(order("sl", Side.SELL, "1", t, order_type=OrderType.STOP, stop_price=D(80), parent_id="e1"))
    b.submit(order("other", Side.BUY, "1", t, order_type=OrderType.LIMIT, limit_price=D(91)))
    assert b.poll_updates() == []
    assert b.cancel("e1").status is OrderStatus.CANCELED
    ups = b.poll_updates()
    assert sorted((u.client_order_id, u.status, u.reason) for u in ups) == [
        ("sl", OrderStatus.CANCELED, "parent e1 canceled"), ("tp", OrderStatus.CANCELED, "parent e1 canceled")]
    assert b.poll_updates() == []  # handed out once
    assert [o.client_order_id for o in b.open_orders()] == ["other"]
    # a child sent after its entry ended unfilled is canceled at once
    late = b.submit(order("tp2", Side.SELL, "1", t, order_type=OrderType.LIMIT, limit_price=D(120), parent_id="e1"))
    assert (late.status, late.reason) == (OrderStatus.CANCELED, "parent e1 canceled")


def test_a_child_sent_after_its_entry_filled_is_armed_at_once() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100), (100, 100, 90, 92)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    b.submit(order("e1", Side.BUY, "1", now(m)))
    step(b, m, 1)
    vo = b.submit(order("sl", Side.SELL, "1", now(m), order_type=OrderType.STOP, stop_price=D(95), parent_id="e1"))
    assert vo.status is OrderStatus.ACCEPTED
    (f,) = step(b, m, 2)
    assert (f.client_order_id, f.price) == ("sl", D(95))


def test_an_oco_sibling_canceled_by_a_fill_is_reported_once_as_an_update() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 112, 99, 110)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    t = now(m)
    b.submit(order("tp", Side.SELL, "1", t, order_type=OrderType.LIMIT, limit_price=D(105), oco_id="g"))
    b.submit(order("sl", Side.SELL, "1", t, order_type=OrderType.STOP, stop_price=D(90), oco_id="g"))
    (f,) = step(b, m, 1)
    assert f.client_order_id == "tp"
    [u] = b.poll_updates()
    assert (u.client_order_id, u.status) == ("sl", OrderStatus.CANCELED)
    assert b.query_order("sl").status is OrderStatus.CANCELED and b.query_order("tp").status is OrderStatus.FILLED
    assert not b.has_resting_orders()


def test_positions_sum_the_book_and_leave_out_flat_instruments() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS, venue="sim")
    b.submit(order("b1", Side.BUY, "3", now(m)))
    b.submit(order("s1", Side.SELL, "3", now(m)))
    step(b, m, 1)
    assert b.positions() == {}
    snap = b.account()
    assert (snap.venue, snap.currency, snap.cash, snap.equity) == ("sim", "USD", D(10000), D(10000))


# -- restore after a restart -------------------------------------------------------------------
def _record(cid: str, status: OrderStatus, vid: str | None, filled: str = "0", avg: str | None = None,
            qty: str = "2", **kw: object):  # type: ignore[no-untyped-def]
    from tradefleet.orchestrator.store.records import OrderRecord

    o = order(cid, kw.pop("side", Side.BUY), qty, 0, **kw)  # type: ignore[arg-type]
    return OrderRecord(cid, o.bot, o.instrument, o.account, o.side, o.quantity, o.order_type, o.limit_price, None,
                       False, status, vid, D(filled), D(avg) if avg else None, None, 0, 0, stop_price=o.stop_price,
                       parent_id=o.parent_id)


def test_restore_rebuilds_the_book_rests_open_orders_and_continues_ids() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    fills = [Fill("p1", "paper", "paper-4", "paper-4-t1", "X", Side.BUY, D(1), D(100), D(0), 0, 0),
             Fill("p1", "paper", "paper-4", "paper-4-t2", "X", Side.BUY, D(1), D(102), D(0), 0, 0)]
    records = [
        _record("p1", OrderStatus.PARTIALLY_FILLED, "paper-4", "2", "101", qty="3"),  # one more to fill
        _record("done", OrderStatus.FILLED, "paper-9", "2", "100"),  # ended: not rested
        _record("full", OrderStatus.PARTIALLY_FILLED, "paper-5", "2", "100"),  # nothing remains
        _record("novid", OrderStatus.INTENT, None),  # never reached the venue
        _record("lim", OrderStatus.ACCEPTED, "paper-6", order_type=OrderType.LIMIT, limit_price=D(50)),
        _record("ext", OrderStatus.ACCEPTED, "other-77", order_type=OrderType.LIMIT, limit_price=D(50)),
    ]
    b.restore(fills, records)
    assert b.positions() == {"X": D(2)}
    assert b.account().cash == D(10000) - D(202)
    assert sorted(o.client_order_id for o in b.open_orders()) == ["ext", "lim", "p1"]
    p1 = b.query_order("p1")
    assert (p1.status, p1.filled_quantity, p1.avg_price, p1.venue_order_id) == (
        OrderStatus.PARTIALLY_FILLED, D(2), D(101), "paper-4")
    assert b.query_order("lim").status is OrderStatus.ACCEPTED
    assert b.query_order("done") is None and b.query_order("novid") is None
    (f,) = step(b, m, 1)  # the market order's last unit at the next open, its third trade
    assert (f.client_order_id, f.quantity, f.trade_id) == ("p1", D(1), "paper-4-t3")
    assert b.query_order("p1").status is OrderStatus.FILLED and b.query_order("p1").avg_price == D("100.6666666666666666666666667")
    # ids continue after the highest stored one (paper-9 of the ended order)
    assert b.submit(order("n1", Side.BUY, "1", now(m))).venue_order_id == "paper-10"


def test_restore_continues_after_venue_ids_given_apart_from_the_records() -> None:
    m = ohlc_market([(100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    b.restore([], [_record("lim", OrderStatus.ACCEPTED, "paper-3", order_type=OrderType.LIMIT, limit_price=D(50))],
              venue_ids=["paper-12", "paper-x", "other-99", "paper-7"])
    assert b.submit(order("n1", Side.BUY, "1", now(m))).venue_order_id == "paper-13"
    c = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    c.restore([], [])
    assert c.submit(order("n1", Side.BUY, "1", now(m))).venue_order_id == "paper-1"


def test_restore_keeps_a_child_waiting_for_its_open_entry() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 95, 96), (90, 91, 80, 85)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    b.restore([], [
        _record("e1", OrderStatus.ACCEPTED, "paper-1", qty="1", order_type=OrderType.LIMIT, limit_price=D(50)),
        _record("sl", OrderStatus.ACCEPTED, "paper-2", qty="1", side=Side.SELL, order_type=OrderType.STOP,
                stop_price=D(97), parent_id="e1"),
    ])
    assert step(b, m, 1) == []  # the stop waits for its entry: 95 is through it, but nothing to protect
    assert step(b, m, 2) == []
    assert b.query_order("sl").status is OrderStatus.ACCEPTED


# -- FX tick volume, calibration, latency, same-close fills ----------------------------------------
def test_fx_tick_volume_neither_caps_nor_moves_the_fill() -> None:
    rows = [(1.2, 1.2, 1.2, 1.2), (1.25, 1.25, 1.25, 1.25)]
    costs = PaperCosts(slippage_bps=0, fee_bps=0, impact_bps_per_pct_volume=10, max_impact_bps=50)
    fx = ohlc_market(rows, symbol="EUR/USD", volume=100)
    b = PaperBroker(fx, SimClock(0), D("1e9"), costs, instruments={"EUR/USD": Instrument("EUR/USD", AssetClass.FX)},
                    fills=FillConfig(impact_bps_per_pct_volume=10, max_impact_bps=50, max_volume_share=0.1))
    b.submit(order("f1", Side.BUY, "100000", now(fx, "EUR/USD"), symbol="EUR/USD"))
    (f,) = step(b, fx, 1, "EUR/USD")
    assert (f.quantity, f.price) == (D(100000), D("1.25"))
    eq = ohlc_market(rows, symbol="EQ", volume=100)
    c = PaperBroker(eq, SimClock(0), D("1e9"), costs, instruments={"EQ": Instrument("EQ", AssetClass.EQUITY)},
                    fills=FillConfig(impact_bps_per_pct_volume=10, max_impact_bps=50, max_volume_share=0.1))
    c.submit(order("e1", Side.BUY, "100000", now(eq, "EQ"), symbol="EQ"))
    (g,) = step(c, eq, 1, "EQ")
    assert g.quantity == D(10) and g.price > D("1.25")  # equity volume caps and moves it


def test_a_calibration_replaces_the_slippage_of_its_instrument_only_and_is_recorded() -> None:
    rows = [(100, 100, 100, 100), (100, 100, 100, 100)]
    m = ohlc_market(rows)
    m.load("Y", _frame(rows))
    m.advance("Y", 0)
    b = PaperBroker(m, SimClock(0), D("1e6"), PaperCosts(slippage_bps=1, fee_bps=0, impact_bps_per_pct_volume=0))
    b.calibrate("X", "cal-7", 20)
    assert b.calibrations == {"X": ("cal-7", 20.0)}
    b.submit(order("x1", Side.BUY, "1", now(m)))
    b.submit(order("y1", Side.BUY, "1", now(m), symbol="Y"))
    (fx,) = step(b, m, 1)
    (fy,) = step(b, m, 1, "Y")
    assert (fx.price, fx.model) == (D("100.2"), "cal-7")
    assert (fy.price, fy.model) == (D("100.01"), "")


def test_a_calibration_never_applies_to_a_recorded_quote() -> None:
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.put_quote(OPT, 1_000, 1.0, 1.5)
    b = PaperBroker(m, SimClock(5_000), D("1e6"), NO_COSTS, instruments={OPT: Instrument(OPT, AssetClass.OPTION)})
    b.calibrate(OPT, "cal-1", 100)
    b.submit(order("o1", Side.BUY, "1", 2_000, symbol=OPT))
    (f,) = b.poll_fills()
    assert (f.price, f.model) == (D("1.5"), "")


def test_an_order_armed_before_the_bar_by_more_than_the_latency_is_matched_on_it() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 100, 94, 95)])
    m.advance("X", 1)
    bar_ts = now(m)
    lat = FillConfig(latency_ns=1_000)
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS, fills=lat)
    b.submit(order("early", Side.SELL, "1", bar_ts - 1_001, order_type=OrderType.STOP, stop_price=D(96)))
    b.submit(order("late", Side.SELL, "1", bar_ts - 1_000, order_type=OrderType.STOP, stop_price=D(96)))
    assert [f.client_order_id for f in b.poll_fills()] == ["early"]
    assert [o.client_order_id for o in b.open_orders()] == ["late"]


def test_close_mode_fills_only_orders_decided_on_the_bar_at_its_close() -> None:
    m = ohlc_market([(100, 101, 99, 100), (104, 106, 103, 105)])
    m.advance("X", 1)
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS, fills=FillConfig(market_fill=MarketFill.CLOSE))
    b.submit(order("now", Side.BUY, "1", now(m)))
    b.submit(order("old", Side.BUY, "1", now(m) - 1))  # armed before this bar: at its open, not its close
    b.submit(order("later", Side.BUY, "1", now(m) + 5))  # decided after the bar closed, on it: its close too
    assert sorted((f.client_order_id, f.price) for f in b.poll_fills()) == [
        ("later", D(105)), ("now", D(105)), ("old", D(104))]


def test_a_bar_of_an_instrument_without_resting_orders_changes_nothing() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    b.on_bar(Bar("Z", 1, 1.0, 1.0, 1.0, 1.0, 1.0, 1))
    assert b.poll_fills() == [] and b.poll_updates() == []


def test_default_costs_are_one_bp_slippage_and_fee_and_a_capped_impact() -> None:
    c = PaperCosts()
    assert (c.slippage_bps, c.fee_bps, c.impact_bps_per_pct_volume, c.max_impact_bps) == (1.0, 1.0, 10.0, 50.0)


# -- a binary contract's recorded book: resting limits fill against trade prints -------------------
def _book_market(rows: list[tuple[float, float]], depth: bool = True):  # type: ignore[no-untyped-def]
    """A hand-made (generated, not recorded) quote book of contract KX, served the way the venue
    serves a recorded one: (bid, ask) per day, 100 bid / 80 ask displayed."""
    from tradefleet.orchestrator.market import MarketState

    idx = pd.date_range("2020-01-01", periods=len(rows), freq="D", tz="UTC", name="ts")
    bids, asks = [r[0] for r in rows], [r[1] for r in rows]
    frame = pd.DataFrame({"open": bids, "high": asks, "low": bids, "close": bids, "volume": 0.0}, index=idx)
    if depth:
        frame["bid_size"], frame["ask_size"] = 100.0, 80.0
    m = MarketState(0.0)
    m.load("KX", frame, quoted=True)
    return m, m.advance("KX", 0).ts_event


def test_a_resting_limit_on_a_recorded_book_fills_on_prints_past_its_queue_never_on_the_quote() -> None:
    m, t0 = _book_market([(0.40, 0.45), (0.40, 0.45), (0.38, 0.40), (0.40, 0.45)])
    b = PaperBroker(m, SimClock(t0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)},
                    fills=FillConfig(latency_ns=15))
    vo = b.submit(order("mk", Side.BUY, "10", t0 + 10, symbol="KX", order_type=OrderType.LIMIT, limit_price=D("0.40")))
    assert vo.status is OrderStatus.ACCEPTED and b.poll_fills() == []  # joins the bid behind 100 displayed
    m.add_prints("KX", [(t0 + 5, 0.40, 50.0), (t0 + 20, 0.40, 60.0),  # before it reached the market (t0 + 25)
                        (t0 + 30, 0.40, 60.0),  # eats 60 of the 100 ahead
                        (t0 + 35, 0.40, 45.0),  # the last 40 ahead, then 5 for us
                        (t0 + 40, 0.39, 3.0),  # a trade through the bid: its size, at our limit
                        (t0 + 2 * DAY + 5, 0.40, 4.0)])
    fills = step(b, m, 1, "KX")
    assert [(f.quantity, f.price, f.ts_event) for f in fills] == [(D(5), D("0.4"), t0 + 35), (D(3), D("0.4"), t0 + 40)]
    assert (b.query_order("mk").status, b.query_order("mk").filled_quantity) == (OrderStatus.PARTIALLY_FILLED, D(8))
    assert step(b, m, 2, "KX") == []  # the ask comes down to the limit: a maker order does not take it
    (last,) = step(b, m, 3, "KX")  # prints are matched once each: only the new one counts
    assert (last.quantity, last.ts_event, last.trade_id) == (D(2), t0 + 2 * DAY + 5, "paper-1-t3")
    assert b.query_order("mk").status is OrderStatus.FILLED and not b.has_resting_orders()


def test_without_displayed_sizes_a_limit_joining_the_touch_is_first_in_line() -> None:
    m, t0 = _book_market([(0.40, 0.45), (0.40, 0.45)], depth=False)
    b = PaperBroker(m, SimClock(t0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    b.submit(order("mk", Side.BUY, "10", t0 + 10, symbol="KX", order_type=OrderType.LIMIT, limit_price=D("0.40")))
    b.submit(order("ms", Side.SELL, "10", t0 + 10, symbol="KX", order_type=OrderType.LIMIT, limit_price=D("0.45")))
    m.add_prints("KX", [(t0 + 20, 0.40, 4.0), (t0 + 30, 0.45, 3.0)])
    assert [(f.client_order_id, f.quantity) for f in step(b, m, 1, "KX")] == [("mk", D(4)), ("ms", D(3))]


def test_a_settled_contract_fills_its_resting_limit_on_the_quote_not_on_prints() -> None:
    m, t0 = _book_market([(0.40, 0.45), (0.40, 0.45)])
    b = PaperBroker(m, SimClock(t0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    b.submit(order("mk", Side.BUY, "10", t0 + 10, symbol="KX", order_type=OrderType.LIMIT, limit_price=D("0.40")))
    b.settle("KX", outcome_yes=False)  # it now trades at exactly 0: the resting bid is filled there
    (f,) = step(b, m, 1, "KX")
    assert (f.quantity, f.price, f.fee) == (D(10), D(0), D(0))


def test_the_paper_venue_is_a_valid_broker_plugin_that_holds_every_order_natively() -> None:
    from tradefleet.orchestrator.domain import TimeInForce
    from tradefleet.orchestrator.execution.capability import order_refusal
    from tradefleet.orchestrator.execution.emulator import native
    from tradefleet.orchestrator.registry import _CHECKS

    _CHECKS["brokers"]("paper", PaperBroker)  # name, build() and the plugin API version this tradefleet speaks
    for t in OrderType:
        for tif in TimeInForce:
            assert order_refusal(PaperBroker, t, tif, post_only=(t is OrderType.LIMIT)) is None
    o = Order("c", "bot", "X", Side.BUY, D(1), 0, OrderType.STOP, stop_price=D(1), time_in_force=TimeInForce.IOC)
    assert native(PaperBroker, o) == (True, True, True)  # type, time in force and bracket/OCO links
    assert PaperBroker.matches_bars is True  # exits resting here are matched on the bar they were armed before


def test_the_kernel_builds_the_paper_account_from_its_paper_and_engine_config() -> None:
    from tradefleet.orchestrator.bus import InProcessBus
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.orchestrator.sections import EngineConfig, KernelConfig, PaperConfig
    from tradefleet.orchestrator.services import Services

    m = ohlc_market([(100, 100, 100, 100), (100, 100, 100, 100)], spread_bps=0.0)
    cfg = KernelConfig(engine=EngineConfig(starting_cash=5000.5),
                       paper=PaperConfig(slippage_bps=3, fee_bps=20, fee_per_contract=0.5, option_improvement=0.25,
                                         max_volume_share=0))
    inst = {"X": Instrument("X", AssetClass.EQUITY)}

    def services(market: object) -> Services:
        return Services(config=cfg, clock=SimClock(0), store=None, bus=InProcessBus(), registry=Registry(),  # type: ignore[arg-type]
                        market=market, portfolio=None, data=None, instruments=inst)  # type: ignore[arg-type]

    b = PaperBroker.build(services(m))
    assert b.account().cash == D("5000.5")
    assert (b.fee_per_contract, b.option_improvement) == (D("0.5"), 0.25)
    b.submit(order("c1", Side.BUY, "1", now(m)))
    (f,) = step(b, m, 1)
    # 3 bps slippage, the default impact (10 bps per % of volume: 1 of 1e6 is 0.001 bps), 20 bps fee
    assert f.price == D("100.03001") and f.fee == D("0.20")
    with pytest.raises(TypeError, match="fills from a MarketState"):
        PaperBroker.build(services(object()))


def test_new_and_restored_orders_fill_in_single_units_under_the_volume_cap() -> None:
    m = ohlc_market([(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)], volume=100)
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS, fills=FillConfig(max_volume_share=0.03))
    b.restore([], [_record("r1", OrderStatus.ACCEPTED, "paper-1", qty="5")])
    (f,) = step(b, m, 1)
    assert f.quantity == D(3)  # 3 % of 100: three single units, not rounded to a larger lot
    b.cancel("r1")
    b.submit(order("n1", Side.BUY, "5", now(m)))
    (g,) = step(b, m, 2)
    assert g.quantity == D(3)


def test_each_partial_fill_shows_on_the_venues_order() -> None:
    m = ohlc_market([(100, 100, 100, 100), (100, 100, 100, 100), (102, 102, 102, 102), (104, 104, 104, 104)],
                    volume=100)
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS, fills=FillConfig(max_volume_share=0.03))
    b.submit(order("p", Side.BUY, "9", now(m)))
    seen = []
    for row in (1, 2, 3):
        step(b, m, row)
        vo = b.query_order("p")
        seen.append((vo.status, vo.filled_quantity, vo.avg_price))
    assert seen == [(OrderStatus.PARTIALLY_FILLED, D(3), D(100)), (OrderStatus.PARTIALLY_FILLED, D(6), D(101)),
                    (OrderStatus.FILLED, D(9), D(102))]


def test_canceling_a_partly_filled_entry_keeps_the_exits_protecting_its_filled_part() -> None:
    m = ohlc_market([(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 90, 92)],
                    volume=100)
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS, fills=FillConfig(max_volume_share=0.03))
    t = now(m)
    b.submit(order("e1", Side.BUY, "9", t))
    b.submit(order("sl", Side.SELL, "9", t, order_type=OrderType.STOP, stop_price=D(95), parent_id="e1"))
    step(b, m, 1)  # 3 of 9 filled: the stop is armed
    b.cancel("e1")
    assert b.poll_updates() == [] and [o.client_order_id for o in b.open_orders()] == ["sl"]
    step(b, m, 2)
    fills = step(b, m, 3)
    assert [(f.client_order_id, f.price) for f in fills] == [("sl", D(95))]


def test_a_post_only_limit_that_would_take_is_rejected_and_reported() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    b.submit(order("po", Side.BUY, "1", now(m), order_type=OrderType.LIMIT, limit_price=D(105), post_only=True))
    assert step(b, m, 1) == []
    [u] = b.poll_updates()
    assert (u.client_order_id, u.status) == ("po", OrderStatus.REJECTED) and u.reason
    assert b.query_order("po").status is OrderStatus.REJECTED and not b.has_resting_orders()


def test_a_stop_on_a_recorded_book_triggers_on_the_quote_never_on_prints() -> None:
    m, t0 = _book_market([(0.40, 0.45), (0.40, 0.45), (0.30, 0.33)])
    b = PaperBroker(m, SimClock(t0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    b.submit(order("st", Side.SELL, "10", t0 + 10, symbol="KX", order_type=OrderType.STOP, stop_price=D("0.35")))
    m.add_prints("KX", [(t0 + 20, 0.30, 50.0)])  # a trade below the stop while the quote stays at 0.40
    assert step(b, m, 1, "KX") == [] and b.query_order("st").status is OrderStatus.ACCEPTED
    (f,) = step(b, m, 2, "KX")  # the bid falls through the stop
    assert (f.client_order_id, f.quantity) == ("st", D(10))


def test_a_partly_filled_order_that_expires_shows_canceled_with_its_filled_part() -> None:
    from tradefleet.orchestrator.domain import TimeInForce

    rows = [(100, 100, 100, 100)] * 4
    m = ohlc_market(rows, volume=100)
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS, fills=FillConfig(max_volume_share=0.03))
    t = now(m)
    b.submit(order("gtd", Side.BUY, "9", t, order_type=OrderType.LIMIT, limit_price=D(101),
                   time_in_force=TimeInForce.GTD, expire_ns=t + DAY + DAY // 2))
    step(b, m, 1)  # 3 of 9 filled
    assert step(b, m, 2) == []  # expired before this bar
    vo = b.query_order("gtd")
    assert (vo.status, vo.filled_quantity) == (OrderStatus.CANCELED, D(3))
    [u] = b.poll_updates()
    assert (u.client_order_id, u.status, u.filled_quantity) == ("gtd", OrderStatus.CANCELED, D(3))
    assert not b.has_resting_orders()


def test_a_prediction_contract_without_a_recorded_book_fills_at_once_at_its_quote() -> None:
    m = ohlc_market([(0.30, 0.50, 0.25, 0.40), (0.60, 0.65, 0.55, 0.62)], symbol="KX")  # plain bars, no book
    b = PaperBroker(m, SimClock(0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    b.submit(order("k1", Side.BUY, "10", now(m, "KX"), symbol="KX"))
    (f,) = b.poll_fills()  # now, at the last close (no spread here), not at the next bar
    assert (f.quantity, f.price) == (D(10), D("0.4"))


def test_canceling_one_entry_leaves_the_waiting_children_of_another() -> None:
    m = ohlc_market([(100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    t = now(m)
    for e in ("e1", "e2"):
        b.submit(order(e, Side.BUY, "1", t, order_type=OrderType.LIMIT, limit_price=D(90)))
        b.submit(order(f"{e}-sl", Side.SELL, "1", t, order_type=OrderType.STOP, stop_price=D(80), parent_id=e))
    b.cancel("".join(["e", "1"]))  # an id read back from elsewhere: equal to the child's parent id, not the same object
    assert [u.client_order_id for u in b.poll_updates()] == ["e1-sl"]
    assert sorted(o.client_order_id for o in b.open_orders()) == ["e2", "e2-sl"]


def test_an_option_limit_resting_below_the_ask_fills_when_the_quote_comes_to_it() -> None:
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.put_quote(OPT, 1_000, 0.25, 0.75)
    b = PaperBroker(m, SimClock(5_000), D("1e5"), NO_COSTS, instruments={OPT: Instrument(OPT, AssetClass.OPTION)})
    b.submit(order("ol", Side.BUY, "1", 2_000, symbol=OPT, order_type=OrderType.LIMIT, limit_price=D("0.50")))
    assert b.poll_fills() == []
    b.on_bar(m.put_quote(OPT, 10_000, 0.40, 0.50))  # the ask comes down to the limit
    (f,) = b.poll_fills()
    assert (f.client_order_id, f.price) == ("ol", D("0.5"))


def test_instruments_of_the_paper_venue_pay_the_configured_fee_not_a_schedule() -> None:
    m = ohlc_market([(100, 100, 100, 100), (100, 100, 100, 100)])
    venue = "".join(["pa", "per"])  # as read from a config file: equal to "paper", not the same object
    b = PaperBroker(m, SimClock(0), D("1e6"), PaperCosts(slippage_bps=0, fee_bps=100, impact_bps_per_pct_volume=0),
                    instruments={"X": Instrument("X", AssetClass.EQUITY, venue=venue)})
    b.submit(order("c1", Side.BUY, "10", now(m)))
    (f,) = step(b, m, 1)
    assert f.fee == D("10.00")  # 100 bps of 1000, not the paper schedule's 1 bp


def test_a_limit_crossing_a_recorded_book_takes_the_ask_at_once() -> None:
    m, t0 = _book_market([(0.40, 0.45)])
    b = PaperBroker(m, SimClock(t0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    vo = b.submit(order("x", Side.BUY, "10", t0 + 10, symbol="KX", order_type=OrderType.LIMIT, limit_price=D("0.46")))
    assert (vo.status, vo.avg_price) == (OrderStatus.FILLED, D("0.45")) and not b.has_resting_orders()


# -- mutation survivors of the full run (issue #25): each test below pins one gap -------------------
def test_paper_costs_are_a_frozen_hashable_value() -> None:
    import dataclasses

    c = PaperCosts(slippage_bps=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.fee_bps = 5.0  # type: ignore[misc]
    assert hash(c) == hash(PaperCosts(slippage_bps=2)) and c.fee_bps == 1.0


def test_options_and_indices_traded_on_bars_have_real_volume_capped_unlike_fx() -> None:
    for asset in (AssetClass.OPTION, AssetClass.INDEX):
        m = ohlc_market([(100, 100, 100, 100), (100, 100, 100, 100)], volume=100)
        b = PaperBroker(m, SimClock(0), D("1e9"), NO_COSTS, instruments={"X": Instrument("X", asset)},
                        fills=FillConfig(max_volume_share=0.1))
        b.submit(order("o1", Side.BUY, "1000", now(m)))
        (f,) = step(b, m, 1)
        assert (asset, f.quantity) == (asset, D(10))  # 10 % of 100: units, not FX tick volume


def test_a_polymarket_contract_pays_its_venues_schedule_no_fee_not_the_configured_bps() -> None:
    m = ohlc_market([(0.30, 0.50, 0.25, 0.40)], symbol="KX")
    b = PaperBroker(m, SimClock(0), D(1000), PaperCosts(slippage_bps=0, fee_bps=100, impact_bps_per_pct_volume=0),
                    instruments={"KX": Instrument("KX", AssetClass.PREDICTION, venue="polymarket")})
    b.submit(order("k1", Side.BUY, "10", now(m, "KX"), symbol="KX"))
    (f,) = b.poll_fills()
    assert (f.price, f.fee) == (D("0.4"), D(0))  # 100 bps would be 0.04


def test_an_order_on_a_settled_contract_without_any_bar_is_rejected_for_no_market_data() -> None:
    from tradefleet.orchestrator.market import MarketState

    b = PaperBroker(MarketState(0.0), SimClock(0), D(1000), NO_COSTS,
                    instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    b.settle("KX", outcome_yes=True)  # a quote of (1, 1) now, but no bar was ever seen
    with pytest.raises(OrderRejected, match="^order k1: no market data for KX$"):
        b.submit(order("k1", Side.BUY, "1", 0, symbol="KX"))


def test_prints_before_the_quote_a_late_limit_joins_do_not_fill_it() -> None:
    m, t0 = _book_market([(0.40, 0.45), (0.40, 0.45)])
    b = PaperBroker(m, SimClock(t0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    # decided before the quote it joins (sent late, e.g. after a throttle): it reached the book with that quote
    b.submit(order("late", Side.BUY, "10", t0 - 100, symbol="KX", order_type=OrderType.LIMIT, limit_price=D("0.40")))
    m.add_prints("KX", [(t0 - 1, 0.39, 5.0),  # through its price, but before the quote: not for it
                        (t0 + 20, 0.39, 3.0)])
    assert [(f.quantity, f.ts_event) for f in step(b, m, 1, "KX")] == [(D(3), t0 + 20)]


def test_an_order_decided_on_the_bar_within_the_latency_does_not_match_that_bar_again() -> None:
    m = ohlc_market([(100, 100, 100, 100)] * 3, volume=100)
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS, fills=FillConfig(max_volume_share=0.03, latency_ns=1))
    b.submit(order("r", Side.BUY, "9", now(m)))
    assert [f.quantity for f in step(b, m, 1)] == [D(3)]  # 3 % of the bar's 100
    t1 = now(m)
    b.submit(order("a", Side.BUY, "1", t1 - 1))  # arrives exactly at the bar's close: not before it
    b.submit(order("c", Side.BUY, "1", t1))  # arrives after it
    # the bar already matched "r" once: no second share of its volume, nothing for the newcomers
    assert b.poll_fills() == [] and b.query_order("r").filled_quantity == D(3)
    assert sorted((f.client_order_id, f.quantity) for f in step(b, m, 2)) == [("a", D(1)), ("c", D(1)), ("r", D(3))]


def test_restore_does_not_rest_an_order_filled_beyond_its_quantity() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    b.restore([], [_record("over", OrderStatus.PARTIALLY_FILLED, "paper-1", "3", "100", qty="2")])
    assert b.open_orders() == [] and b.query_order("over") is None and not b.has_resting_orders()


def test_restore_keeps_a_filled_part_priced_at_zero_in_the_average() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 101, 99, 100)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    # its first unit was filled at 0 (a price a settled contract or a worthless option trades at)
    b.restore([], [_record("z", OrderStatus.PARTIALLY_FILLED, "paper-1", "1", "0", qty="2")])
    (f,) = step(b, m, 1)
    assert (f.quantity, f.price) == (D(1), D(100))
    assert (b.query_order("z").status, b.query_order("z").avg_price) == (OrderStatus.FILLED, D(50))


def test_the_improvement_does_not_apply_to_a_prediction_contract() -> None:
    _, b = _option_broker(0.5, asset=AssetClass.PREDICTION)
    b.submit(order("pb", Side.BUY, "1", 2_000, symbol=OPT))
    (f,) = b.poll_fills()
    assert f.price == D("0.75")  # the ask, not 0.625


def test_the_improvement_is_a_share_of_the_half_spread_on_a_one_unit_wide_quote() -> None:
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.put_quote(OPT, 1_000, 0.25, 1.25)  # generated: a spread of 1.0, so its square is not its half
    b = PaperBroker(m, SimClock(5_000), D("1e5"), NO_COSTS, instruments={OPT: Instrument(OPT, AssetClass.OPTION)})
    b.option_improvement = 0.5
    b.submit(order("ob", Side.BUY, "1", 2_000, symbol=OPT))
    b.submit(order("os", Side.SELL, "1", 2_000, symbol=OPT))
    assert {f.client_order_id: f.price for f in b.poll_fills()} == {"ob": D("1"), "os": D("0.5")}


def test_a_stop_on_a_recorded_book_triggers_on_the_next_quote_without_a_latency_model() -> None:
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.put_quote("KX", 1_000, 0.40, 0.45)  # generated quotes of a binary contract's book
    b = PaperBroker(m, SimClock(2_000), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)},
                    fills=FillConfig(latency_ns=50_000))
    b.submit(order("st", Side.SELL, "10", 2_000, symbol="KX", order_type=OrderType.STOP, stop_price=D("0.35")))
    assert b.poll_fills() == []
    # recorded quotes fill with no model on top: the quote at 10 000 ns counts although it comes
    # before 2 000 + 50 000 ns (the latency applies to bars and to a maker limit's prints only)
    b.on_bar(m.put_quote("KX", 10_000, 0.30, 0.33))
    (f,) = b.poll_fills()
    assert (f.client_order_id, f.quantity, f.price) == ("st", D(10), D("0.3"))


def test_a_print_one_nanosecond_after_a_limit_joined_at_time_zero_fills_it() -> None:
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.put_quote("KX", 0, 0.40, 0.45)  # generated book on a clock that starts at 0 ns
    b = PaperBroker(m, SimClock(0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    b.submit(order("mk", Side.BUY, "10", 0, symbol="KX", order_type=OrderType.LIMIT, limit_price=D("0.40")))
    m.add_prints("KX", [(1, 0.39, 5.0)])  # a trade through its price right after it joined
    b.on_bar(m.put_quote("KX", 2, 0.40, 0.45))
    assert [(f.quantity, f.price, f.ts_event) for f in b.poll_fills()] == [(D(5), D("0.4"), 1)]


def test_a_calibration_never_applies_to_a_recorded_quote_even_under_a_zero_cost_touch_config() -> None:
    from tradefleet.orchestrator.execution.fill_model import LimitFill
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.put_quote(OPT, 1_000, 1.0, 1.5)
    # the venue's own conventions equal the at-once touch conventions (no costs, touch limits)
    b = PaperBroker(m, SimClock(5_000), D("1e6"), NO_COSTS, instruments={OPT: Instrument(OPT, AssetClass.OPTION)},
                    fills=FillConfig(limit_fill=LimitFill.TOUCH))
    b.calibrate(OPT, "cal-1", 100)
    b.submit(order("o1", Side.BUY, "1", 2_000, symbol=OPT))
    (f,) = b.poll_fills()
    assert (f.price, f.model) == (D("1.5"), "")


# -- restore semantics and emulated exits: bugs found by issue #25's mutation survivors, fixed -----------
def test_a_limit_restored_onto_a_recorded_book_fills_on_prints_never_on_the_quote() -> None:
    m, t0 = _book_market([(0.40, 0.45), (0.38, 0.40)])
    b = PaperBroker(m, SimClock(t0), D(1000), NO_COSTS, instruments={"KX": Instrument("KX", AssetClass.PREDICTION)})
    b.restore([], [_record("mk", OrderStatus.ACCEPTED, "paper-1", qty="10", symbol="KX", order_type=OrderType.LIMIT,
                           limit_price=D("0.40"))])  # resting at the bid before the restart
    m.add_prints("KX", [(t0 + 10, 0.39, 3.0)])  # one trade through it; then the ask comes down to it
    fills = step(b, m, 1, "KX")
    assert [(f.quantity, f.price, f.ts_event) for f in fills] == [(D(3), D("0.4"), t0 + 10)]
    assert b.query_order("mk").status is OrderStatus.PARTIALLY_FILLED


def test_a_post_only_limit_restored_after_a_restart_fills_at_a_gap_open_as_a_maker() -> None:
    import dataclasses

    m = ohlc_market([(100, 101, 99, 100), (95, 96, 94, 95)])
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS)
    rec = _record("po", OrderStatus.PARTIALLY_FILLED, "paper-1", "1", "100", qty="2", order_type=OrderType.LIMIT,
                  limit_price=D(100))
    b.restore([], [dataclasses.replace(rec, post_only=True)])
    (f,) = step(b, m, 1)
    assert (f.quantity, f.price) == (D(1), D(95)) and b.query_order("po").status is OrderStatus.FILLED


@pytest.mark.parametrize("resting, exit_", [("r", "ex"), ("a", "z")])  # ids sorting either side of the exit's
def test_an_exit_armed_before_the_bar_does_not_match_the_other_resting_orders_on_it_again(resting: str,
                                                                                         exit_: str) -> None:
    m = ohlc_market([(100, 100, 100, 100)] * 2, volume=100)
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS, fills=FillConfig(max_volume_share=0.03))
    b.submit(order(resting, Side.BUY, "9", now(m)))
    assert [f.quantity for f in step(b, m, 1)] == [D(3)]  # 3 % of the bar's 100
    b.submit(order(exit_, Side.SELL, "1", now(m) - 10, order_type=OrderType.STOP, stop_price=D(50)))
    assert b.poll_fills() == [] and b.query_order(resting).filled_quantity == D(3)


def test_close_mode_fills_an_order_decided_on_a_bar_at_time_zero_at_its_close() -> None:
    from tradefleet.orchestrator.market import MarketState

    m = MarketState(0.0)
    m.append(Bar("X", 0, 100.0, 101.0, 99.0, 100.5, 1e6, 0))  # generated bar on a clock that starts at 0 ns
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS, fills=FillConfig(market_fill=MarketFill.CLOSE))
    vo = b.submit(order("c0", Side.BUY, "1", 0))
    (f,) = b.poll_fills()
    assert (f.price, vo.status) == (D("100.5"), OrderStatus.FILLED) and not b.has_resting_orders()
