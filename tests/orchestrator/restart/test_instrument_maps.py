"""One instrument map per venue: the venue's spelling of an instrument (Alpaca ``BTCUSD``,
OANDA ``EUR_USD``, ccxt market ids, Kalshi tickers, Polymarket token ids) maps back to the
tradefleet instrument in orders, fills, positions and reconciliation, also after a restart."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import Reconciler, stored_positions
from tradefleet.orchestrator.execution.venues.base import InstrumentMap
from tradefleet.orchestrator.store import Store
from tests.orchestrator.execution.venues import VenueCase, make_case

CASES = [("alpaca", "BTC/USD", Decimal("0.25")), ("alpaca", "AAPL", Decimal(3)), ("oanda", "EUR/USD", Decimal(1000)),
         ("binance", None, None), ("coinbase", None, None), ("kalshi", None, None), ("polymarket", None, None)]


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}:{c[1] or 'default'}")
def case(request: pytest.FixtureRequest) -> Iterator[VenueCase]:
    name, symbol, qty = request.param
    c = make_case(name)
    if symbol is not None:
        c.symbol, c.qty = symbol, qty
    yield c
    c.server.close()


def _forget(case: VenueCase) -> None:
    """What a new process's adapter knows: nothing learned, no fills seen."""
    symbols: Any = getattr(case.broker, "symbols", None)
    if isinstance(symbols, InstrumentMap):
        symbols._known.clear()
        symbols.learn(symbols.to)
    case.broker._seen_trades.clear()


def test_reconciliation_maps_venue_symbols_to_instruments(case: VenueCase, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    store = Store.open(url)
    bus = InProcessBus()
    oms = OrderManager(store, {"acct": case.broker}, case.clock, bus)
    limit = Decimal("0.60") if case.name == "polymarket" else None
    oms.submit(case.order("tf-m1", limit=limit))
    oms.collect_fills("acct")
    assert stored_positions(store, "acct") == {case.symbol: case.qty}
    assert case.broker.positions() == {case.symbol: case.qty}
    report = Reconciler(oms, store, case.clock, bus).run("acct")
    assert report.halted is None and report.position_diffs == {}
    store.close()

    _forget(case)  # restart: a new adapter, the store is the memory
    store = Store.open(url)
    oms = OrderManager(store, {"acct": case.broker}, case.clock, bus)
    report = Reconciler(oms, store, case.clock, bus).run("acct")
    assert report.halted is None, report.halted
    assert case.broker.positions() == stored_positions(store, "acct") == {case.symbol: case.qty}
    store.close()


def test_instrument_map_normalises_spellings() -> None:
    m = InstrumentMap({"SPX": "SPY"}, style=lambda s: s.replace("/", "_"))
    assert m.venue("EUR/USD") == "EUR_USD" and m.local("EUR_USD") == "EUR/USD"
    assert m.venue("SPX") == "SPY" and m.local("SPY") == "SPX"
    m.learn(["BTC/USD"])
    assert m.local("BTCUSD") == "BTC/USD" and m.local("KXBTC-26NOV30-B42000") == "KXBTC-26NOV30-B42000"
