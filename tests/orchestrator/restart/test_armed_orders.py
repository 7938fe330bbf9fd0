"""Restart with contingent orders armed: the paper venue re-arms every open order from the
store (a stop, a take-profit OCO sibling, a market order waiting for its open), and after the
restart the stop triggers at its price while the sibling is canceled. Generated bars."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Bar, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.paper import PaperBroker, PaperCosts
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.store import Store

D = Decimal
DAY = 86_400 * 10**9
T0 = 1_795_305_600 * 10**9
NO_COSTS = PaperCosts(0, 0, 0, 0)


def _bar(i: int, o: float, h: float, lo: float, c: float) -> Bar:
    return Bar("X", T0 + i * DAY, o, h, lo, c, 1e9, T0 + i * DAY)


BARS = [_bar(0, 100, 101, 99, 100), _bar(1, 100, 102, 99, 101), _bar(2, 101, 103, 100, 102),
        _bar(3, 99, 100, 93, 94), _bar(4, 94, 120, 90, 118)]


def _process(store: Store, clock: SimClock, upto: int) -> tuple[MarketState, PaperBroker, OrderManager]:
    """One process: a market with bars 0..upto, a paper venue and an order manager."""
    market = MarketState(0.0)
    for b in BARS[:upto + 1]:
        market.append(b)
    broker = PaperBroker(market, clock, D(100_000), NO_COSTS)
    return market, broker, OrderManager(store, {"paper": broker}, clock, InProcessBus())


def _step(market: MarketState, broker: PaperBroker, oms: OrderManager, clock: SimClock, i: int) -> None:
    clock.set_ns(BARS[i].ts_event)
    market.append(BARS[i])
    broker.on_bar(BARS[i])
    oms.collect_fills()


def test_stop_armed_before_a_restart_triggers_after_it_at_its_price(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/armed.db"
    clock = SimClock(T0)
    store = Store.open(url)
    market, broker, oms = _process(store, clock, 0)
    entry = Order("entry", "bot", "X", Side.BUY, D(10), T0)
    stop = Order("stop", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP, reduce_only=True, stop_price=D(95),
                 parent_id="entry", oco_id="exit")
    target = Order("target", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), reduce_only=True,
                   parent_id="entry", oco_id="exit")
    for o in (entry, stop, target):
        oms.submit(o)
    _step(market, broker, oms, clock, 1)
    assert [f.client_order_id for f in store.fills()] == ["entry"]
    store.commit()
    store.close()  # the process dies with the stop and the target resting at the paper venue

    store = Store.open(url)
    market, broker, oms = _process(store, clock, 1)
    records, fills = store.orders(), store.fills()
    broker.restore(fills, records)  # what warm start does for the in-process venue
    oms.restore(records, fills)
    assert {o.client_order_id for o in broker.open_orders()} == {"stop", "target"}
    _step(market, broker, oms, clock, 2)
    assert len(store.fills()) == 1  # neither level reached
    _step(market, broker, oms, clock, 3)  # opens at 99, trades down to 93: the stop at 95, not the 94 close
    (fill,) = store.fills("stop")
    assert fill.price == D(95) and fill.quantity == D(10)
    _step(market, broker, oms, clock, 4)  # the target's level trades later: canceled by the stop, never filled
    assert store.fills("target") == []
    assert broker.query_order("target").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert broker.positions() == {}
    trade_ids = [f.trade_id for f in store.fills()]
    assert len(trade_ids) == len(set(trade_ids))
    store.close()


def test_market_order_waiting_for_its_open_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/waiting.db"
    clock = SimClock(T0)
    store = Store.open(url)
    _market, _broker, oms = _process(store, clock, 0)
    oms.submit(Order("buy", "bot", "X", Side.BUY, D(5), T0))
    store.commit()
    store.close()

    store = Store.open(url)
    market, broker, oms = _process(store, clock, 0)
    broker.restore(store.fills(), store.orders())
    oms.restore(store.orders(), store.fills())
    _step(market, broker, oms, clock, 1)
    (fill,) = store.fills("buy")
    assert fill.price == D(100)  # the open of the first bar after the decision
    store.close()


def test_store_follows_the_paper_venue_when_it_cancels_an_oco_sibling(tmp_path: Path) -> None:
    """Bug: the paper venue cancels the take-profit when the stop fills (the fill model's OCO),
    but the store kept showing it ACCEPTED: the order manager only heard of fills."""
    clock = SimClock(T0)
    store = Store.open(f"sqlite:///{tmp_path}/oco.db")
    market, broker, oms = _process(store, clock, 0)
    oms.submit(Order("entry", "bot", "X", Side.BUY, D(10), T0))
    oms.submit(Order("stop", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP, reduce_only=True, stop_price=D(95),
                     parent_id="entry", oco_id="exit"))
    oms.submit(Order("target", "bot", "X", Side.SELL, D(10), T0, OrderType.LIMIT, D(110), reduce_only=True,
                     parent_id="entry", oco_id="exit"))
    for i in (1, 2, 3):
        _step(market, broker, oms, clock, i)
    assert broker.query_order("target").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    target = store.order("target")
    assert target is not None and target.status is OrderStatus.CANCELED, target.status
    assert "stop" in (target.reason or "")
    assert [r.client_order_id for r in store.open_orders()] == []
    store.close()


def test_store_follows_the_paper_venue_when_an_unfilled_entry_takes_its_bracket(tmp_path: Path) -> None:
    """A canceled entry takes its waiting bracket children with it at the paper venue; the
    store must say so too."""
    clock = SimClock(T0)
    store = Store.open(f"sqlite:///{tmp_path}/parent.db")
    market, broker, oms = _process(store, clock, 0)
    oms.submit(Order("entry", "bot", "X", Side.BUY, D(10), T0, OrderType.LIMIT, D(50)))
    oms.submit(Order("stop", "bot", "X", Side.SELL, D(10), T0, OrderType.STOP, reduce_only=True, stop_price=D(45),
                     parent_id="entry", oco_id="exit"))
    _step(market, broker, oms, clock, 1)
    assert oms.cancel("entry")
    assert broker.query_order("stop").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    stop = store.order("stop")
    assert stop is not None and stop.status is OrderStatus.CANCELED, stop.status
    store.close()
