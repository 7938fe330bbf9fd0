"""Order types, time in force and post-only reach each venue as its native type (what the
real client library sends to the loopback fake), and what a venue lacks is emulated by the
order manager: a held stop released as a market order when a bar triggers it, re-armed
after a restart; OCO siblings canceled; post-only refused where it cannot be honoured."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.domain import Bar, Order, OrderStatus, OrderType, Side, TimeInForce
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.store import Store
from tests.orchestrator.execution.venues import VenueCase, make_case

D = Decimal


def _case(name: str) -> Iterator[VenueCase]:
    case = make_case(name)
    case.book.behaviour = ["rest"] * 20  # accepted and left working: only the request is checked
    yield case
    case.server.close()


@pytest.fixture
def alpaca() -> Iterator[VenueCase]:
    yield from _case("alpaca")


@pytest.fixture
def oanda() -> Iterator[VenueCase]:
    yield from _case("oanda")


@pytest.fixture
def binance() -> Iterator[VenueCase]:
    yield from _case("binance")


@pytest.fixture
def kalshi() -> Iterator[VenueCase]:
    case = make_case("kalshi")
    yield case
    case.server.close()


def _order(case: VenueCase, cid: str, side: Side = Side.SELL, **kw: object) -> Order:
    return Order(cid, "bot-a", case.symbol, side, case.qty, case.clock.now_ns(),
                 account=case.broker.account_name, **kw)  # type: ignore[arg-type]


def _last_body(case: VenueCase) -> dict:  # type: ignore[type-arg]
    req = case.server.requests(case.submit_method, case.submit_path)[-1]
    return req.json() if case.name not in ("binance",) else req.form()  # type: ignore[no-any-return]


@pytest.mark.parametrize(("kw", "expected"), [
    ({"order_type": OrderType.STOP, "stop_price": D("45")}, {"type": "stop", "stop_price": "45.0"}),
    ({"order_type": OrderType.STOP_LIMIT, "stop_price": D("45"), "limit_price": D("44.5")},
     {"type": "stop_limit", "stop_price": "45.0", "limit_price": "44.5"}),
    ({"order_type": OrderType.TRAILING_STOP, "trail_percent": D("2.5")}, {"type": "trailing_stop", "trail_percent": "2.5"}),
    ({"order_type": OrderType.TRAILING_STOP, "trail_amount": D("1.25")}, {"type": "trailing_stop", "trail_price": "1.25"}),
    ({"order_type": OrderType.LIMIT, "limit_price": D("60"), "time_in_force": TimeInForce.IOC},
     {"type": "limit", "time_in_force": "ioc"}),
    ({"order_type": OrderType.LIMIT, "limit_price": D("60"), "time_in_force": TimeInForce.FOK},
     {"type": "limit", "time_in_force": "fok"}),
])
def test_alpaca_maps_native_order_types(alpaca: VenueCase, kw: dict[str, object], expected: dict[str, str]) -> None:
    ack = alpaca.broker.submit(_order(alpaca, "a1", **kw))
    body = _last_body(alpaca)
    assert {k: str(float(body[k])) if k.endswith(("price", "percent")) else body[k] for k in expected} == expected
    assert body["client_order_id"] == "a1" and ack.status is OrderStatus.ACCEPTED


def test_oanda_maps_stop_and_stop_limit_with_gtd(oanda: VenueCase) -> None:
    expire = oanda.clock.now_ns() + 3_600 * 10**9
    oanda.broker.submit(_order(oanda, "o1", order_type=OrderType.STOP_LIMIT, stop_price=D("1.0400"),
                               limit_price=D("1.0390"), time_in_force=TimeInForce.GTD, expire_ns=expire))
    body = _last_body(oanda)["order"]
    assert (body["type"], body["price"], body["priceBound"], body["timeInForce"]) == ("STOP", "1.0400", "1.0390", "GTD")
    assert body["gtdTime"].endswith("Z")


def test_binance_maps_stop_and_post_only_through_ccxt(binance: VenueCase) -> None:
    binance.broker.submit(_order(binance, "b1", order_type=OrderType.STOP, stop_price=D("29000")))
    stop = _last_body(binance)
    assert stop["type"] == "STOP_LOSS" and float(stop["stopPrice"]) == 29000
    binance.broker.submit(_order(binance, "b2", Side.BUY, order_type=OrderType.LIMIT, limit_price=D("28000"),
                                 post_only=True))
    assert _last_body(binance)["type"] == "LIMIT_MAKER"


# -- emulation by the order manager --------------------------------------------------
def _oms(case: VenueCase, store: Store) -> OrderManager:
    return OrderManager(store, {case.broker.account_name: case.broker}, case.clock, InProcessBus())


def _bar(case: VenueCase, lo: float, hi: float) -> Bar:
    case.clock.advance(60.0)
    now = case.clock.now_ns()
    return Bar(case.symbol, now, hi, hi, lo, lo, 1e6, now)


def test_kalshi_stop_is_held_then_released_as_a_market_order(kalshi: VenueCase, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'e.db'}")
    oms = _oms(kalshi, store)
    stop = _order(kalshi, "k-stop", order_type=OrderType.STOP, stop_price=D("0.40"), reduce_only=True)
    ack = oms.submit(stop)
    assert ack is not None and ack.status is OrderStatus.ACCEPTED and not ack.venue_order_id
    assert kalshi.server.requests("POST", kalshi.submit_path) == []  # nothing reached the venue
    oms.on_bar(_bar(kalshi, 0.45, 0.50))
    assert kalshi.server.requests("POST", kalshi.submit_path) == []
    oms.on_bar(_bar(kalshi, 0.38, 0.44))  # trades through 0.40
    (req,) = kalshi.server.requests("POST", kalshi.submit_path)
    assert req.json()["type"] == "market" and req.json()["action"] == "sell"
    rec = store.order("k-stop")
    assert rec is not None and rec.status is OrderStatus.CANCELED and "released as" in (rec.reason or "")
    release = Order.child_id("k-stop", "release")
    assert store.order(release) is not None and store.order(release).order_type is OrderType.MARKET  # type: ignore[union-attr]
    store.close()


def test_emulated_stop_armed_before_a_restart_triggers_after_it(kalshi: VenueCase, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = Store.open(url)
    _oms(kalshi, store).submit(_order(kalshi, "k-stop", order_type=OrderType.STOP, stop_price=D("0.40"),
                                      reduce_only=True))
    store.close()  # the process dies with the stop held

    store = Store.open(url)
    oms = _oms(kalshi, store)
    oms.restore(store.orders(), store.fills())
    assert "k-stop" in oms.emulator.held
    oms.on_bar(_bar(kalshi, 0.39, 0.42))
    (req,) = kalshi.server.requests("POST", kalshi.submit_path)
    assert req.json()["type"] == "market" and req.json()["client_order_id"] == Order.child_id("k-stop", "release")
    store.close()


def test_emulated_oco_cancels_the_working_sibling_when_the_stop_triggers(kalshi: VenueCase, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'o.db'}")
    oms = _oms(kalshi, store)
    kalshi.book.behaviour = ["rest"]  # the take-profit limit works at the venue
    oms.submit(_order(kalshi, "k-tp", order_type=OrderType.LIMIT, limit_price=D("0.70"), reduce_only=True,
                      oco_id="exit"))
    oms.submit(_order(kalshi, "k-sl", order_type=OrderType.STOP, stop_price=D("0.40"), reduce_only=True,
                      oco_id="exit"))
    tp = store.order("k-tp")
    assert tp is not None and tp.venue_order_id and tp.status.is_open
    oms.on_bar(_bar(kalshi, 0.35, 0.45))
    tp = store.order("k-tp")
    assert tp is not None and tp.status is OrderStatus.CANCELED
    assert kalshi.book.by_client("k-tp").status == "canceled"
    store.close()


def test_post_only_where_the_venue_cannot_honour_it_is_refused(kalshi: VenueCase, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'p.db'}")
    oms = _oms(kalshi, store)
    assert oms.submit(_order(kalshi, "k-po", Side.BUY, order_type=OrderType.LIMIT, limit_price=D("0.30"),
                             post_only=True)) is None
    rec = store.order("k-po")
    assert rec is not None and rec.status is OrderStatus.REJECTED and "post-only" in (rec.reason or "")
    assert kalshi.server.requests("POST", kalshi.submit_path) == []
    store.close()


def test_emulated_oco_of_two_venue_held_orders_cancels_the_sibling_on_a_fill(binance: VenueCase,
                                                                             tmp_path: Path) -> None:
    """Bug: with only an OCO link to watch (both members rest at the venue, nothing held
    locally), the order manager skipped its after-fill step and the sibling stayed working."""
    store = Store.open(f"sqlite:///{tmp_path / 'oco2.db'}")
    oms = _oms(binance, store)
    oms.submit(_order(binance, "b-tp", order_type=OrderType.LIMIT, limit_price=D("50000"), reduce_only=True,
                      oco_id="x"))
    oms.submit(_order(binance, "b-sl", order_type=OrderType.STOP, stop_price=D("38000"), reduce_only=True,
                      oco_id="x"))
    assert not oms.emulator.held and binance.book.by_client("b-tp").open and binance.book.by_client("b-sl").open
    sl = binance.book.by_client("b-sl")
    binance.book.execute(sl, sl.qty, D("38000"))  # the venue's stop triggers
    oms.collect_fills()
    assert store.order("b-sl").status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert store.order("b-tp").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert binance.book.by_client("b-tp").status == "canceled"
    store.close()


def test_coinbase_stop_market_is_held_by_the_order_manager(tmp_path: Path) -> None:
    """ccxt's coinbase takes only stop-limit triggers: a stop (market) is emulated, never sent
    as a plain stop the venue refuses."""
    case = make_case("coinbase")
    try:
        store = Store.open(f"sqlite:///{tmp_path / 'cb.db'}")
        oms = _oms(case, store)
        ack = oms.submit(_order(case, "c-sl", order_type=OrderType.STOP, stop_price=D("38000"), reduce_only=True))
        assert ack is not None and ack.status is OrderStatus.ACCEPTED and "c-sl" in oms.emulator.held
        assert case.server.requests("POST", case.submit_path) == []
        store.close()
    finally:
        case.server.close()
