"""Ticker -> underlying parsing."""

from __future__ import annotations

import pytest

from tradefleet.risk.tickers import underlying


@pytest.mark.parametrize("symbol,expected", [
    ("KXHIGHCHI-26FEB09-B38.5", "KXHIGHCHI-26FEB09"),
    ("KXHIGHCHI-26FEB09-T40", "KXHIGHCHI-26FEB09"),
    ("KXHIGHCHI-26FEB09", "KXHIGHCHI-26FEB09"),
    ("AAPL240119C00190000", "AAPL"),
    ("AAPL  240119P00190000", "AAPL"),
    ("BTC/USDT", "BTC/USD"),
    ("BTC/USD:USD", "BTC/USD"),
    ("ETH/BTC", "ETH/BTC"),
    ("EURUSD", "EUR/USD"),
    ("EUR_USD", "EUR/USD"),
    ("EUR/USD", "EUR/USD"),
    ("spy", "SPY"),
    ("BRK-B", "BRK-B"),
])
def test_underlying_parses_venue_tickers(symbol: str, expected: str) -> None:
    assert underlying(symbol) == expected
