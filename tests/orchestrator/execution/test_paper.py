from decimal import Decimal

import pytest

from orchestrator.clock import SimClock
from orchestrator.domain import Order, OrderStatus, OrderType, Side
from orchestrator.errors import OrderRejected
from orchestrator.execution.paper import PaperBroker, PaperCosts
from tests.orchestrator.helpers import bar_frame, market_with

D = Decimal


def order(cid: str, side: Side, qty: str, **kw: object) -> Order:
    return Order(cid, "bot", "X", side, D(qty), 0, **kw)  # type: ignore[arg-type]


def test_paper_market_buy_fills_at_ask_plus_slippage_and_fee() -> None:
    m = market_with("X", [100.0], spread_bps=2.0)
    b = PaperBroker(m, SimClock(0), D("10000"), PaperCosts(slippage_bps=1.0, fee_bps=10.0, impact_bps_per_pct_volume=0))
    ack = b.submit(order("c1", Side.BUY, "10"))
    assert ack.status is OrderStatus.FILLED
    (f,) = b.poll_fills()
    assert float(f.price) == pytest.approx(100.0 * 1.0001 * 1.0001)
    assert f.fee == (f.price * 10 * D("0.001")).quantize(D("0.01"))
    assert b.positions() == {"X": D("10")}
    assert b.account().cash == D("10000") - f.price * 10 - f.fee
    assert b.poll_fills() == []


def test_paper_slippage_grows_with_size_relative_to_volume() -> None:
    m = market_with("X", [100.0])
    b = PaperBroker(m, SimClock(0), D("1e9"), PaperCosts(slippage_bps=1.0, fee_bps=0, impact_bps_per_pct_volume=10))
    b.submit(order("small", Side.SELL, "10"))
    b.submit(order("big", Side.SELL, "1000"))
    small, big = b.poll_fills()
    assert big.price < small.price  # a 0.1%-of-volume sell pays ~1 bp more impact


def test_paper_submit_is_idempotent_by_client_id() -> None:
    b = PaperBroker(market_with("X", [100.0]), SimClock(0), D("10000"))
    first = b.submit(order("c1", Side.BUY, "1"))
    again = b.submit(order("c1", Side.BUY, "1"))
    assert first == again and len(b.poll_fills()) == 1


def test_paper_limit_order_rests_until_crossed() -> None:
    m = market_with("X", [100.0, 99.0, 95.0], row=0)
    b = PaperBroker(m, SimClock(0), D("10000"))
    ack = b.submit(order("l1", Side.BUY, "5", order_type=OrderType.LIMIT, limit_price=D("96")))
    assert ack.status is OrderStatus.ACCEPTED and len(b.open_orders()) == 1
    b.on_bar(m.advance("X", 1))
    assert b.poll_fills() == []
    b.on_bar(m.advance("X", 2))
    (f,) = b.poll_fills()
    assert f.price <= D("96") and b.open_orders() == []
    assert b.query_order("l1").status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_paper_rejects_without_market_data_or_bad_size() -> None:
    from orchestrator.market import MarketState

    m = MarketState()
    m.load("X", bar_frame([1.0, 2.0]))
    b = PaperBroker(m, SimClock(0), D("100"))
    with pytest.raises(OrderRejected, match="no market data"):
        b.submit(order("c1", Side.BUY, "1"))
    with pytest.raises(OrderRejected, match="quantity must be positive"):
        b.submit(order("c2", Side.BUY, "0"))


def test_paper_cancel_keeps_filled_part_and_stops_resting() -> None:
    m = market_with("X", [100.0, 101.0], row=0)
    b = PaperBroker(m, SimClock(0), D("10000"))
    b.submit(order("l1", Side.BUY, "1", order_type=OrderType.LIMIT, limit_price=D("90")))
    assert b.cancel("l1").status is OrderStatus.CANCELED
    b.on_bar(m.advance("X", 1))
    assert b.poll_fills() == [] and b.open_orders() == []


def test_paper_impact_is_capped_so_prices_stay_sane() -> None:
    m = market_with("X", [1.2], spread_bps=0.0)  # volume 1e6 "ticks"
    b = PaperBroker(m, SimClock(0), D("1e9"), PaperCosts(slippage_bps=0, fee_bps=0, max_impact_bps=50))
    b.submit(order("huge", Side.SELL, "1e9"))
    (f,) = b.poll_fills()
    assert float(f.price) == pytest.approx(1.2 * (1 - 0.005))


def test_paper_charges_the_venue_fee_schedule_of_named_venues() -> None:
    from orchestrator.domain import AssetClass, Instrument

    m = market_with("KX", [0.40], spread_bps=0.0)
    inst = {"KX": Instrument("KX", AssetClass.PREDICTION, venue="kalshi", tick_size=D("0.01"))}
    b = PaperBroker(m, SimClock(0), D("1000"), PaperCosts(slippage_bps=0, fee_bps=50, impact_bps_per_pct_volume=0), instruments=inst)
    b.submit(Order("k1", "bot", "KX", Side.BUY, D("100"), 0))
    (f,) = b.poll_fills()
    assert f.fee == D("1.68")  # Kalshi: ceil(0.07 x 100 x 0.40 x 0.60) to the cent, not 50 bps
