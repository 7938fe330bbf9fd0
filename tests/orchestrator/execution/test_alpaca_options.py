"""Alpaca option orders through alpaca-py against the loopback fake: single legs (OCC symbols,
contracts, day orders, market or limit only) and multi-leg ``mleg`` orders (one request, all legs
filled together, each leg's fills booked to its own client order id), from the order manager and
from the engine's intent dispatcher (an ``OrderIntent`` with ``atomic=venue_combo``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.domain import Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.occ import OptionSpec, option_instrument
from tradefleet.orchestrator.portfolio import Ledger
from tradefleet.orchestrator.store import Store
from tests.orchestrator.execution.venues import VenueCase, make_case

D = Decimal
LONG = OptionSpec("AAPL", date(2026, 12, 18), "call", D(200)).symbol   # AAPL261218C00200000
SHORT = OptionSpec("AAPL", date(2026, 12, 18), "call", D(210)).symbol
PRICES = {LONG: D("6.40"), SHORT: D("2.90")}


@pytest.fixture
def alpaca() -> Iterator[VenueCase]:
    case = make_case("alpaca")
    case.book.prices.update(PRICES)
    yield case
    case.server.close()


def _oms(case: VenueCase, store: Store, ledger: Ledger | None = None) -> OrderManager:
    on_fill = (lambda o, f: ledger.apply_fill(o.bot, f)) if ledger is not None else None
    return OrderManager(store, {case.broker.account_name: case.broker}, case.clock, InProcessBus(), on_fill=on_fill)


def _ledger() -> Ledger:
    insts = {s: option_instrument(OptionSpec("AAPL", date(2026, 12, 18), "call", k)) for s, k in
             ((LONG, D(200)), (SHORT, D(210)))}
    return Ledger(D(100_000), lambda _s: None, "acct", lambda s: insts[s].multiplier if s in insts else None)


def _order(case: VenueCase, cid: str, symbol: str, side: Side, qty: int, kind: OrderType = OrderType.MARKET,
           **kw: object) -> Order:
    return Order(cid, "bot-a", symbol, side, D(qty), case.clock.now_ns(), kind, account=case.broker.account_name,
                 **kw)  # type: ignore[arg-type]


def test_single_option_leg_is_a_day_order_of_contracts_booked_times_100(alpaca: VenueCase, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    ledger = _ledger()
    oms = _oms(alpaca, store, ledger)
    cash0 = alpaca.book.cash
    ack = oms.submit(_order(alpaca, "o1", LONG, Side.BUY, 2))
    assert ack is not None
    [req] = alpaca.server.requests("POST", r"/v2/orders")
    body = req.json()
    assert body["symbol"] == LONG and body["qty"] == 2 and body["time_in_force"] == "day"
    rec = store.order("o1")
    assert rec.status is OrderStatus.FILLED and rec.avg_price == D("6.40")
    assert alpaca.book.cash == cash0 - 2 * D("6.40") * 100  # the venue moves 100 shares' worth per contract
    assert ledger.cash() == D(100_000) - 2 * D("6.40") * 100  # and so does our book
    # a GTC limit goes out as a day order (alpaca's option orders are day orders)
    assert oms.submit(_order(alpaca, "o3", LONG, Side.SELL, 1, OrderType.LIMIT, limit_price=D("6.00"))) is not None
    body = alpaca.server.requests("POST", r"/v2/orders")[-1].json()
    assert body["time_in_force"] == "day" and body["type"] == "limit"
    assert store.order("o3").status is OrderStatus.FILLED
    # a stop on an option is refused before anything is sent (alpaca takes market or limit)
    assert oms.submit(_order(alpaca, "o2", LONG, Side.SELL, 1, OrderType.STOP, stop_price=D(5))) is None
    assert len(alpaca.server.requests("POST", r"/v2/orders")) == 2
    assert store.order("o2").status is OrderStatus.REJECTED and "market or limit" in (store.order("o2").reason or "")
    store.close()


def test_multi_leg_order_is_one_mleg_request_filled_together(alpaca: VenueCase, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    ledger = _ledger()
    oms = _oms(alpaca, store, ledger)
    legs = [_order(alpaca, "l1", LONG, Side.BUY, 3), _order(alpaca, "l2", SHORT, Side.SELL, 3)]
    acks = oms.submit_combo(legs, D(3), D("3.60"))  # net debit 6.40 - 2.90 = 3.50 <= 3.60
    assert all(a is not None for a in acks)
    [req] = alpaca.server.requests("POST", r"/v2/orders")
    body = req.json()
    assert body["order_class"] == "mleg" and body["qty"] == 3 and body["type"] == "limit"
    assert body["limit_price"] == 3.6 and "symbol" not in body
    assert [(leg["symbol"], leg["side"], leg["ratio_qty"], leg["position_intent"]) for leg in body["legs"]] == [
        (LONG, "buy", 1.0, "buy_to_open"), (SHORT, "sell", 1.0, "sell_to_open")]
    assert store.order("l1").status is OrderStatus.FILLED and store.order("l2").status is OrderStatus.FILLED
    fills = {f.client_order_id: f for f in store.fills()}
    assert fills["l1"].price == D("6.40") and fills["l2"].price == D("2.90")
    assert fills["l1"].quantity == fills["l2"].quantity == D(3)
    assert ledger.cash() == D(100_000) - 3 * D("3.50") * 100
    assert alpaca.book.positions == {LONG: D(3), SHORT: D(-3)}
    # closing the spread: the same legs reversed, position intent *_to_close
    close = [_order(alpaca, "c1", LONG, Side.SELL, 3, reduce_only=True),
             _order(alpaca, "c2", SHORT, Side.BUY, 3, reduce_only=True)]
    assert all(a is not None for a in oms.submit_combo(close, D(3), None))
    body = alpaca.server.requests("POST", r"/v2/orders")[-1].json()
    assert body["type"] == "market" and [leg["position_intent"] for leg in body["legs"]] == ["sell_to_close",
                                                                                             "buy_to_close"]
    assert ledger.cash() == D(100_000)
    # a resend of stored legs sends nothing
    assert oms.submit_combo(legs, D(3), D("3.60")) == [None, None]
    assert len(alpaca.server.requests("POST", r"/v2/orders")) == 2
    store.close()


def test_multi_leg_refused_by_the_venue_fills_no_leg(alpaca: VenueCase, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    oms = _oms(alpaca, store)
    legs = [_order(alpaca, "l1", LONG, Side.BUY, 1), _order(alpaca, "l2", SHORT, Side.SELL, 1)]
    assert oms.submit_combo(legs, D(1), D("3.00")) == [None, None]  # net 3.50 is worse than the 3.00 limit
    assert store.order("l1").status is OrderStatus.REJECTED and store.order("l2").status is OrderStatus.REJECTED
    assert not store.fills() and not alpaca.book.positions
    store.close()


def test_intent_with_venue_combo_goes_out_as_one_mleg_order(alpaca: VenueCase, tmp_path) -> None:
    """The engine's dispatcher: an approved two-leg option intent with ``atomic=venue_combo`` at a
    net limit reaches Alpaca as ONE mleg order; without a venue combo a net limit is refused."""
    import numpy as np
    import pandas as pd

    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.bot import BotSpec, PortfolioBot
    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.orchestrator.domain import AssetClass
    from tradefleet.orchestrator.intents import Atomic, LegRisk, OrderIntent
    from tradefleet.orchestrator.kernel import assemble
    from tradefleet.orchestrator.market import MarketState
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.orchestrator.scheduler import Schedule

    days = pd.date_range("2026-09-01 20:00", periods=40, freq="B", tz="UTC")
    close = 200 + np.sin(np.arange(40) / 3.0)
    frame = pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 1e6},
                         index=pd.DatetimeIndex(days, name="ts"))
    market = MarketState()
    market.load("AAPL", frame)
    market.advance("AAPL", 39)
    now = int(days[-1].value)
    for sym, px in PRICES.items():
        market.put_quote(sym, now, float(px) - 0.05, float(px))
    insts = {"AAPL": __import__("tradefleet.orchestrator.domain", fromlist=["Instrument"]).Instrument(
        "AAPL", AssetClass.EQUITY, "alpaca")}
    for k in (D(200), D(210)):
        inst = option_instrument(OptionSpec("AAPL", date(2026, 12, 18), "call", k), venue="alpaca")
        insts[inst.symbol] = inst

    class Spreader(PortfolioBot):
        pass

    spec = BotSpec("spreader", Spreader, ("AAPL",), Schedule.at_close(), "1d", AssetClass.OPTION)
    reg = Registry.discover(["gates"])
    reg.add_entry("bots", "spreader", "test", lambda: spec)
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}})
    store = Store.open(f"sqlite:///{tmp_path / 'e.db'}")
    clock = SimClock(now)
    kernel = assemble(cfg, store=store, registry=reg, specs=[spec], clock=clock, market=market, instruments=insts,
                      account=alpaca.broker.account_name, brokers={alpaca.broker.account_name: alpaca.broker})
    engine = kernel.engine
    runner = engine.runners["spreader"]
    combo = OrderIntent.combo({LONG: 1, SHORT: -1}, size=2, atomic=Atomic.VENUE_COMBO, leg_risk=LegRisk.REFUSE,
                              order_type=OrderType.LIMIT, limit=D("3.60"), id="spread-1")
    engine.intents.dispatch(runner, [combo], now)
    posts = alpaca.server.requests("POST", r"/v2/orders")
    assert len(posts) == 1 and posts[0].json()["order_class"] == "mleg" and posts[0].json()["qty"] == 2
    filled = [r for r in store.orders() if r.status is OrderStatus.FILLED]
    assert sorted(r.instrument for r in filled) == sorted([LONG, SHORT])
    assert engine.ledger.position("spreader", LONG).quantity == 2
    assert engine.ledger.position("spreader", SHORT).quantity == -2
    # the same net-price intent where the venue has no combo (all-or-none emulated) is refused
    plain = OrderIntent.combo({LONG: 1, SHORT: -1}, size=1, atomic=Atomic.ALL_OR_NONE, order_type=OrderType.LIMIT,
                              limit=D("3.60"), id="spread-2")
    engine.intents.dispatch(runner, [plain], now)
    assert len(alpaca.server.requests("POST", r"/v2/orders")) == 1
    assert any(s.outcome == "rejected:dispatch:venue_unsupported" for s in store.signals(bot="spreader"))
    store.close()
