"""Brackets and OCO pairs the venue holds natively, through the real clients against the
loopback fakes: Alpaca's ``order_class`` bracket/OTO/OCO (legs with ids Alpaca assigns) and
OANDA's take-profit and stop-loss on fill (created when the entry fills, carrying our client
ids). The order manager sends the group as ONE request, books the legs' fills to our exits,
stores the sibling the venue cancels, and after a restart matches the venue's legs back to
the stored exits without sending anything again. Where the venue cannot hold the shape the
links are emulated and the stored reason says why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.domain import Order, OrderStatus, OrderType, Side, TimeInForce
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import Reconciler
from tradefleet.orchestrator.store import Store
from tests.orchestrator.execution.venues import VenueCase, make_case

D = Decimal


@pytest.fixture
def alpaca() -> Iterator[VenueCase]:
    case = make_case("alpaca")
    yield case
    case.server.close()


@pytest.fixture
def oanda() -> Iterator[VenueCase]:
    case = make_case("oanda")
    yield case
    case.server.close()


def _oms(case: VenueCase, store: Store) -> OrderManager:
    return OrderManager(store, {case.broker.account_name: case.broker}, case.clock, InProcessBus())


def _bracket(case: VenueCase, entry_type: OrderType = OrderType.MARKET, entry_price: D | None = None,
             tp: D | None = D(60), sl: D | None = D(45)) -> list[Order]:
    now, acct = case.clock.now_ns(), case.broker.account_name
    kw: dict[str, object] = {}
    if entry_type is OrderType.LIMIT:
        kw["limit_price"] = entry_price
    elif entry_type is OrderType.STOP:
        kw["stop_price"] = entry_price
    entry = Order("e1", "bot-a", case.symbol, Side.BUY, case.qty, now, entry_type, account=acct, **kw)  # type: ignore[arg-type]
    out = [entry]
    if tp is not None:
        out.append(Order("e1-tp", "bot-a", case.symbol, Side.SELL, case.qty, now, OrderType.LIMIT, tp, account=acct,
                         reduce_only=True, parent_id="e1", oco_id="e1-oco"))
    if sl is not None:
        out.append(Order("e1-sl", "bot-a", case.symbol, Side.SELL, case.qty, now, OrderType.STOP, stop_price=sl,
                         account=acct, reduce_only=True, parent_id="e1", oco_id="e1-oco"))
    return out


def _posts(case: VenueCase) -> list[dict]:  # type: ignore[type-arg]
    return [r.json() for r in case.server.requests("POST", case.submit_path)]


def _status(store: Store, cid: str) -> OrderStatus:
    rec = store.order(cid)
    assert rec is not None, cid
    return rec.status


# -- Alpaca ------------------------------------------------------------------------------
def test_alpaca_bracket_is_one_request_and_a_leg_fill_cancels_its_sibling(alpaca: VenueCase, store: Store) -> None:
    oms = _oms(alpaca, store)
    acks = oms.submit_linked(_bracket(alpaca))
    (body,) = _posts(alpaca)
    assert body["order_class"] == "bracket" and body["client_order_id"] == "e1"
    assert float(body["take_profit"]["limit_price"]) == 60 and float(body["stop_loss"]["stop_price"]) == 45
    assert [a.client_order_id for a in acks if a] == ["e1", "e1-tp", "e1-sl"]
    entry = alpaca.book.by_client("e1")
    tp_leg, sl_leg = (alpaca.book.orders[v] for v in entry.children)
    assert store.order("e1-tp").venue_order_id == tp_leg.venue_id  # type: ignore[union-attr]
    assert store.order("e1-sl").venue_order_id == sl_leg.venue_id  # type: ignore[union-attr]
    assert _status(store, "e1") is OrderStatus.FILLED
    assert _status(store, "e1-tp") is OrderStatus.ACCEPTED and "native bracket at alpaca" in store.order("e1-tp").reason  # type: ignore[union-attr,operator]
    alpaca.book.execute(sl_leg, sl_leg.qty, D(45))  # the venue's stop triggers
    oms.collect_fills()
    (fill,) = store.fills("e1-sl")
    assert fill.price == D(45) and fill.quantity == alpaca.qty
    assert tp_leg.status == "canceled"
    assert _status(store, "e1-tp") is OrderStatus.CANCELED and _status(store, "e1-sl") is OrderStatus.FILLED
    assert store.fills("e1-tp") == [] and len(_posts(alpaca)) == 1
    assert alpaca.broker.positions() == {}


def test_alpaca_one_exit_is_an_oto_order(alpaca: VenueCase, store: Store) -> None:
    _oms(alpaca, store).submit_linked(_bracket(alpaca, tp=None))
    (body,) = _posts(alpaca)
    assert body["order_class"] == "oto" and "take_profit" not in body and float(body["stop_loss"]["stop_price"]) == 45


def test_alpaca_cancel_of_the_entry_takes_the_held_legs(alpaca: VenueCase, store: Store) -> None:
    alpaca.book.behaviour.append("rest")
    oms = _oms(alpaca, store)
    oms.submit_linked(_bracket(alpaca, OrderType.LIMIT, D(50)))
    assert {_status(store, c) for c in ("e1", "e1-tp", "e1-sl")} == {OrderStatus.ACCEPTED}
    assert oms.cancel("e1")
    assert [_status(store, c) for c in ("e1", "e1-tp", "e1-sl")] == [OrderStatus.CANCELED] * 3


def test_alpaca_stop_entry_is_emulated_and_its_exits_go_out_as_a_native_oco(alpaca: VenueCase, store: Store) -> None:
    oms = _oms(alpaca, store)
    oms.submit_linked(_bracket(alpaca, OrderType.STOP, D(52)))
    first, body = _posts(alpaca)  # the stop entry alone; it fills at once at the fake, then its exits
    assert first.get("order_class") in (None, "simple") and first["type"] == "stop"
    assert _status(store, "e1") is OrderStatus.FILLED
    assert body["order_class"] == "oco" and body["type"] == "limit" and body["client_order_id"] == "e1-tp"
    assert float(body["limit_price"]) == 60 and float(body["stop_loss"]["stop_price"]) == 45
    assert store.order("e1-tp").reason == "native oco at alpaca"  # type: ignore[union-attr]
    tp = alpaca.book.by_client("e1-tp")
    (sl_leg,) = (alpaca.book.orders[v] for v in tp.children)
    assert store.order("e1-sl").venue_order_id == sl_leg.venue_id  # type: ignore[union-attr]
    alpaca.book.execute(tp, tp.qty, D(60))
    oms.collect_fills()
    assert _status(store, "e1-sl") is OrderStatus.CANCELED and sl_leg.status == "canceled"


def test_alpaca_crypto_bracket_is_emulated_with_the_reason(alpaca: VenueCase, store: Store) -> None:
    orders = [replace(o, instrument="BTC/USD") for o in _bracket(alpaca)]
    alpaca.book.behaviour.append("rest")
    _oms(alpaca, store).submit_linked(orders)
    assert "US equities only" in store.order("e1-tp").reason  # type: ignore[union-attr,operator]
    assert [b.get("order_class") for b in _posts(alpaca)] == [None]


def test_alpaca_restart_matches_the_legs_back_without_sending_again(alpaca: VenueCase, tmp_path: Path) -> None:
    """The bracket's answer is lost (the connection drops after the venue took it): every
    order is UNKNOWN with no venue id. After a restart, reconciliation finds the entry by our
    client id and each exit among its legs; nothing is resent or adopted as external, and a
    leg's fill later cancels its sibling in the store."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = Store.open(url)
    alpaca.book.behaviour.append("rest")
    alpaca.server.fault("POST", r"/v2/orders", "drop")
    _oms(alpaca, store).submit_linked(_bracket(alpaca, OrderType.LIMIT, D(50)))
    assert [_status(store, c) for c in ("e1", "e1-tp", "e1-sl")] == [OrderStatus.UNKNOWN] * 3
    store.close()

    fresh = make_case("alpaca", book=alpaca.book)  # a new process: a new client, the same venue
    try:
        store = Store.open(url)
        oms = _oms(fresh, store)
        oms.restore(store.open_orders(), store.fills())
        report = Reconciler(oms, store, fresh.clock, InProcessBus()).run(fresh.broker.account_name)
        assert report.adopted == [] and report.halted is None
        entry = fresh.book.by_client("e1")
        tp_leg, sl_leg = (fresh.book.orders[v] for v in entry.children)
        assert store.order("e1-tp").venue_order_id == tp_leg.venue_id  # type: ignore[union-attr]
        assert store.order("e1-sl").venue_order_id == sl_leg.venue_id  # type: ignore[union-attr]
        assert {_status(store, c) for c in ("e1", "e1-tp", "e1-sl")} == {OrderStatus.ACCEPTED}
        assert len(_posts(alpaca)) == 1 and _posts(fresh) == []
        fresh.book.execute(entry, entry.qty, D(50))
        fresh.book.execute(tp_leg, tp_leg.qty, D(60))
        oms.collect_fills()
        assert _status(store, "e1-tp") is OrderStatus.FILLED and _status(store, "e1-sl") is OrderStatus.CANCELED
        assert Reconciler(oms, store, fresh.clock, InProcessBus()).run(fresh.broker.account_name).changes == 0
        store.close()
    finally:
        fresh.server.close()


# -- OANDA -------------------------------------------------------------------------------
def _fx(case: VenueCase, entry_type: OrderType = OrderType.MARKET, entry_price: D | None = None,
        sl_type: OrderType = OrderType.STOP) -> list[Order]:
    orders = _bracket(case, entry_type, entry_price, tp=D("1.12000"), sl=D("1.08000"))
    if sl_type is OrderType.STOP_LIMIT:
        orders[2] = replace(orders[2], order_type=OrderType.STOP_LIMIT, limit_price=D("1.07900"))
    return orders


def test_oanda_exits_on_fill_carry_our_ids_and_close_each_other(oanda: VenueCase, store: Store) -> None:
    oms = _oms(oanda, store)
    oms.submit_linked(_fx(oanda))
    (body,) = _posts(oanda)
    order = body["order"]
    assert order["takeProfitOnFill"] == {"price": "1.12000", "timeInForce": "GTC",
                                         "clientExtensions": {"id": "e1-tp", "tag": "bot-a"}}
    assert order["stopLossOnFill"]["price"] == "1.08000" and order["stopLossOnFill"]["clientExtensions"]["id"] == "e1-sl"
    assert _status(store, "e1") is OrderStatus.FILLED
    tp = oanda.book.by_client("e1-tp")
    assert store.order("e1-tp").venue_order_id == tp.venue_id  # type: ignore[union-attr]
    assert store.order("e1-sl").reason == "native bracket at oanda"  # type: ignore[union-attr]
    oanda.book.execute(tp, tp.qty)
    oms.collect_fills()
    (fill,) = store.fills("e1-tp")
    assert fill.price == D("1.12000") and fill.side is Side.SELL
    assert _status(store, "e1-sl") is OrderStatus.CANCELED
    assert "LINKED_TRADE_CLOSED" in (store.order("e1-sl").reason or "")  # type: ignore[union-attr]
    assert oanda.broker.positions() == {} and len(_posts(oanda)) == 1


def test_oanda_exits_wait_in_the_entry_and_go_with_its_cancel(oanda: VenueCase, store: Store) -> None:
    oanda.book.behaviour.append("rest")
    oms = _oms(oanda, store)
    oms.submit_linked(_fx(oanda, OrderType.LIMIT, D("1.05000")))
    assert oanda.broker.query_order("e1-tp").status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    assert [o.client_order_id for o in oanda.broker.open_orders()] == ["e1"]  # the exits do not exist yet
    assert oms.cancel("e1")
    assert [_status(store, c) for c in ("e1", "e1-tp", "e1-sl")] == [OrderStatus.CANCELED] * 3


def test_oanda_stop_limit_exit_is_emulated_with_the_reason(oanda: VenueCase, store: Store) -> None:
    oanda.book.behaviour.append("rest")
    _oms(oanda, store).submit_linked(_fx(oanda, OrderType.LIMIT, D("1.05000"), OrderType.STOP_LIMIT))
    (body,) = _posts(oanda)
    assert "takeProfitOnFill" not in body["order"]
    assert "no limit price" in (store.order("e1-sl").reason or "")  # type: ignore[union-attr]


def test_oanda_restart_waits_for_the_entry_without_sending_again(oanda: VenueCase, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = Store.open(url)
    oanda.book.behaviour.append("rest")
    _oms(oanda, store).submit_linked(_fx(oanda, OrderType.LIMIT, D("1.05000")))
    store.close()

    fresh = make_case("oanda", book=oanda.book)
    try:
        store = Store.open(url)
        oms = _oms(fresh, store)
        oms.restore(store.open_orders(), store.fills())
        report = Reconciler(oms, store, fresh.clock, InProcessBus()).run(fresh.broker.account_name)
        assert report.adopted == [] and report.halted is None and report.settled == []
        entry = fresh.book.by_client("e1")
        fresh.book.execute(entry, entry.qty, D("1.05000"))
        sl = fresh.book.by_client("e1-sl")
        fresh.book.execute(sl, sl.qty)
        oms.collect_fills()
        assert _status(store, "e1-sl") is OrderStatus.FILLED and _status(store, "e1-tp") is OrderStatus.CANCELED
        assert _posts(fresh) == [] and len(_posts(oanda)) == 1
        store.close()
    finally:
        fresh.server.close()


def test_a_failed_sibling_check_is_retried_on_the_next_poll(alpaca: VenueCase, store: Store) -> None:
    oms = _oms(alpaca, store)
    oms.submit_linked(_bracket(alpaca))
    entry = alpaca.book.by_client("e1")
    tp_leg, sl_leg = (alpaca.book.orders[v] for v in entry.children)
    alpaca.book.execute(sl_leg, sl_leg.qty, D(45))
    alpaca.server.fault("GET", r"/v2/orders/[^/]+", "status", status=500, times=10)  # the leg lookups fail
    oms.collect_fills()
    assert _status(store, "e1-sl") is OrderStatus.FILLED and _status(store, "e1-tp") is OrderStatus.ACCEPTED
    alpaca.server.faults.clear()
    oms.collect_fills()
    assert _status(store, "e1-tp") is OrderStatus.CANCELED


def test_oanda_restart_after_a_lost_answer_matches_the_exits_by_our_ids(oanda: VenueCase, tmp_path: Path) -> None:
    """The entry's answer is lost after OANDA took it (it filled and opened its exits): after
    a restart every order is found by our client id, nothing is resent or adopted."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    store = Store.open(url)
    oanda.server.fault("POST", oanda.submit_path, "drop")
    _oms(oanda, store).submit_linked(_fx(oanda))
    assert [_status(store, c) for c in ("e1", "e1-tp", "e1-sl")] == [OrderStatus.UNKNOWN] * 3
    store.close()

    fresh = make_case("oanda", book=oanda.book)
    try:
        store = Store.open(url)
        oms = _oms(fresh, store)
        oms.restore(store.open_orders(), store.fills())
        report = Reconciler(oms, store, fresh.clock, InProcessBus()).run(fresh.broker.account_name)
        assert report.adopted == [] and report.halted is None, report
        assert _status(store, "e1") is OrderStatus.FILLED
        assert [_status(store, c) for c in ("e1-tp", "e1-sl")] == [OrderStatus.ACCEPTED] * 2
        assert store.order("e1-tp").venue_order_id == oanda.book.by_client("e1-tp").venue_id  # type: ignore[union-attr]
        assert len(_posts(oanda)) == 1 and _posts(fresh) == []
        store.close()
    finally:
        fresh.server.close()
