"""The paper broker fills through the fill model: next open, stops at the stop or the gap
open, limits on a trade-through, volume-capped partial fills."""

from decimal import Decimal

import pandas as pd
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.errors import OrderRejected
from tradefleet.orchestrator.execution.fill_model import FillConfig, MarketFill
from tradefleet.orchestrator.execution.paper import PaperBroker, PaperCosts, fill_config
from tradefleet.orchestrator.market import MarketState
from tests.orchestrator.helpers import bar_frame, market_with

D = Decimal
NO_COSTS = PaperCosts(slippage_bps=0, fee_bps=0, impact_bps_per_pct_volume=0)


def ohlc_market(rows: list[tuple[float, float, float, float]], volume: float = 1e6, spread_bps: float = 0.0) -> MarketState:
    """A market on generated bars ``rows`` (open, high, low, close), at row 0."""
    idx = pd.date_range("2020-01-01", periods=len(rows), freq="D", tz="UTC", name="ts")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=idx)
    frame["volume"] = volume
    m = MarketState(spread_bps)
    m.load("X", frame)
    m.advance("X", 0)
    return m


def now(m: MarketState) -> int:
    bar = m.last_bar("X")
    assert bar is not None
    return bar.ts_event


def order(cid: str, side: Side, qty: str, ts: int = 0, **kw: object) -> Order:
    return Order(cid, "bot", "X", side, D(qty), ts, **kw)  # type: ignore[arg-type]


def step(b: PaperBroker, m: MarketState, row: int) -> list:  # type: ignore[type-arg]
    b.on_bar(m.advance("X", row))
    return b.poll_fills()


def test_paper_market_buy_fills_at_next_open_plus_half_spread_slippage_and_fee() -> None:
    m = ohlc_market([(99, 101, 98, 100), (104, 106, 103, 105)], spread_bps=2.0)
    b = PaperBroker(m, SimClock(0), D("10000"), PaperCosts(slippage_bps=1.0, fee_bps=10.0, impact_bps_per_pct_volume=0))
    ack = b.submit(order("c1", Side.BUY, "10", now(m)))
    assert ack.status is OrderStatus.ACCEPTED and b.poll_fills() == []  # never at the bar it was decided on
    (f,) = step(b, m, 1)
    assert f.price == D("104.0208")  # the next open, + 1 bp half spread + 1 bp slippage
    assert f.fee == (f.price * 10 * D("0.001")).quantize(D("0.01"))
    assert b.positions() == {"X": D("10")}
    assert b.account().cash == D("10000") - f.price * 10 - f.fee
    assert b.query_order("c1").status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_paper_close_mode_fills_at_the_decision_close() -> None:
    m = ohlc_market([(99, 101, 98, 100), (104, 106, 103, 105)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS, fills=FillConfig(market_fill=MarketFill.CLOSE))
    b.submit(order("c1", Side.BUY, "10", now(m)))
    (f,) = b.poll_fills()
    assert f.price == D(100)


def test_paper_slippage_grows_with_size_relative_to_volume() -> None:
    m = market_with("X", [100.0, 100.0], row=0)
    b = PaperBroker(m, SimClock(0), D("1e9"), PaperCosts(slippage_bps=1.0, fee_bps=0, impact_bps_per_pct_volume=10))
    b.submit(order("small", Side.SELL, "10", now(m)))
    b.submit(order("big", Side.SELL, "1000", now(m)))
    small, big = step(b, m, 1)
    assert big.price < small.price  # a 0.1%-of-volume sell pays ~1 bp more impact


def test_paper_submit_is_idempotent_by_client_id() -> None:
    m = market_with("X", [100.0, 100.0], row=0)
    b = PaperBroker(m, SimClock(0), D("10000"))
    first = b.submit(order("c1", Side.BUY, "1", now(m)))
    again = b.submit(order("c1", Side.BUY, "1", now(m)))
    assert first == again and len(step(b, m, 1)) == 1


def test_paper_limit_touched_rests_traded_through_fills_and_gap_fills_at_the_open() -> None:
    m = ohlc_market([(100, 101, 99, 100), (99, 99.5, 96, 97), (97, 98, 95.5, 96), (94, 95, 93, 94)])
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    ack = b.submit(order("l1", Side.BUY, "5", now(m), order_type=OrderType.LIMIT, limit_price=D("96")))
    ack2 = b.submit(order("l2", Side.BUY, "5", now(m), order_type=OrderType.LIMIT, limit_price=D("95")))
    assert ack.status is ack2.status is OrderStatus.ACCEPTED and len(b.open_orders()) == 2
    assert step(b, m, 1) == []  # low 96 only touches 96
    (f,) = step(b, m, 2)  # low 95.5 trades through 96
    assert (f.client_order_id, f.price) == ("l1", D(96))
    (g,) = step(b, m, 3)  # opens at 94, below the 95 limit: filled at the better open
    assert (g.client_order_id, g.price) == ("l2", D(94))
    assert b.open_orders() == [] and b.query_order("l1").status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_paper_stop_armed_before_the_bar_fills_at_stop_or_gap_open() -> None:
    m = ohlc_market([(100, 101, 99, 100), (100, 100, 94, 95), (100, 101, 99, 100)])
    m.advance("X", 1)
    b = PaperBroker(m, SimClock(0), D("10000"), NO_COSTS)
    armed = now(m) - 1  # set at the previous close: the bar that just closed may trigger it
    b.submit(order("s1", Side.SELL, "1", armed, order_type=OrderType.STOP, stop_price=D("96")))
    b.submit(order("s2", Side.SELL, "1", armed, order_type=OrderType.STOP, stop_price=D("101")))
    fills = {f.client_order_id: f.price for f in b.poll_fills()}
    assert fills == {"s1": D(96), "s2": D(100)}  # inside the bar: the stop; gapped: the open, never better


def test_paper_volume_cap_fills_over_two_bars() -> None:
    m = ohlc_market([(100, 100, 100, 100), (101, 101, 101, 101), (102, 102, 102, 102)], volume=100)
    b = PaperBroker(m, SimClock(0), D("1e6"), NO_COSTS, fills=FillConfig(max_volume_share=0.1))
    b.submit(order("big", Side.BUY, "15", now(m)))
    (f1,) = step(b, m, 1)
    assert f1.quantity == D(10) and b.query_order("big").status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]
    (f2,) = step(b, m, 2)
    assert (f2.quantity, f2.price) == (D(5), D(102)) and f2.trade_id != f1.trade_id
    assert b.query_order("big").status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_paper_rejects_without_market_data_or_bad_size() -> None:
    m = MarketState()
    m.load("X", bar_frame([1.0, 2.0]))
    b = PaperBroker(m, SimClock(0), D("100"))
    with pytest.raises(OrderRejected, match="no market data"):
        b.submit(order("c1", Side.BUY, "1"))
    with pytest.raises(OrderRejected, match="quantity must be positive"):
        b.submit(order("c2", Side.BUY, "0"))


def test_paper_cancel_stops_resting() -> None:
    m = market_with("X", [100.0, 101.0], row=0)
    b = PaperBroker(m, SimClock(0), D("10000"))
    b.submit(order("l1", Side.BUY, "1", now(m), order_type=OrderType.LIMIT, limit_price=D("90")))
    assert b.cancel("l1").status is OrderStatus.CANCELED
    assert step(b, m, 1) == [] and b.open_orders() == []


def test_paper_impact_is_capped_so_prices_stay_sane() -> None:
    m = market_with("X", [1.2, 1.2], spread_bps=0.0, row=0)  # volume 1e6 "ticks"
    b = PaperBroker(m, SimClock(0), D("1e9"), PaperCosts(slippage_bps=0, fee_bps=0, max_impact_bps=50))
    b.submit(order("huge", Side.SELL, "1e9", now(m)))
    (f,) = step(b, m, 1)
    assert float(f.price) == pytest.approx(1.2 * (1 - 0.005))


def test_paper_config_builds_the_fill_conventions() -> None:
    from tradefleet.orchestrator.sections import PaperConfig

    cfg = fill_config(PaperCosts(2.0, 1.0), 4.0, PaperConfig(fill="close", limit_fill="touch", max_volume_share=0.2,
                                                             latency_ms=5))
    assert (cfg.market_fill.value, cfg.limit_fill.value, cfg.max_volume_share, cfg.latency_ns) == (
        "close", "touch", 0.2, 5_000_000)
    assert (cfg.spread_bps, cfg.slippage_bps) == (4.0, 2.0)


def test_paper_charges_the_venue_fee_schedule_of_named_venues() -> None:
    from tradefleet.orchestrator.domain import AssetClass, Instrument

    m = market_with("KX", [0.40], spread_bps=0.0)
    inst = {"KX": Instrument("KX", AssetClass.PREDICTION, venue="kalshi", tick_size=D("0.01"))}
    b = PaperBroker(m, SimClock(0), D("1000"), PaperCosts(slippage_bps=0, fee_bps=50, impact_bps_per_pct_volume=0), instruments=inst)
    b.submit(Order("k1", "bot", "KX", Side.BUY, D("100"), 0))
    (f,) = b.poll_fills()  # a recorded touch fills at once
    assert f.fee == D("1.68")  # Kalshi: ceil(0.07 x 100 x 0.40 x 0.60) to the cent, not 50 bps
