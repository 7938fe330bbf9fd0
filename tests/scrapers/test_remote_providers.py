"""ccxt OHLCV, Alpaca bars and OANDA candles through the real clients against a loopback fake:
bars re-stamped at their close, the forming bar never returned, values equal to the source."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import load_dataset
from tradefleet.scrapers.providers.remote import AlpacaBarsProvider, CcxtOhlcvProvider, OandaCandlesProvider, make_ccxt
from tests.fakes.market_bars import FakeBarsVenue

HOUR = pd.Timedelta(hours=1)


@pytest.fixture
def eurusd() -> pd.DataFrame:
    return load_dataset("eurusd").iloc[:2600]


@pytest.fixture
def venue(eurusd: pd.DataFrame) -> Iterator[FakeBarsVenue]:
    # "now" is 30 minutes into the bar that closes at row 2500's close: that bar is still forming
    now = int(eurusd.index[2499].value) - 30 * 60 * 10**9
    fake = FakeBarsVenue(eurusd, HOUR, now, page=1000)
    yield fake
    fake.close()


def _expect(eurusd: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    ns = eurusd.index.asi8
    return eurusd[(ns >= start) & (ns <= end)]


def test_ccxt_pages_restamps_and_drops_forming_bar(venue: FakeBarsVenue, eurusd: pd.DataFrame) -> None:
    ex = make_ccxt("binance", 5, venue.base, {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                              "fetchMargins": False})
    p = CcxtOhlcvProvider(ex)
    start, end = int(eurusd.index[100].value), venue.now_ns
    got = p.bars("BTC/USDT", "1h", start, end)
    want = _expect(eurusd, start, end)
    assert len(want) > 1000  # paging was needed
    assert got.index.equals(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)
    assert int(got.index[-1].value) <= venue.now_ns < int(eurusd.index[2499].value)
    assert len(venue.server.requests("GET", "/api/v3/klines")) >= 2


def test_alpaca_stock_bars_with_key_and_paging(venue: FakeBarsVenue, eurusd: pd.DataFrame) -> None:
    p = AlpacaBarsProvider("KEY", "SECRET", venue.base, 5)
    start, end = int(eurusd.index[1200].value), venue.now_ns
    got = p.bars("AAPL", "1h", start, end)
    want = _expect(eurusd, start, end)
    assert got.index.equals(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)
    reqs = venue.server.requests("GET", "/v2/stocks/bars")
    assert len(reqs) == 2 and reqs[0].headers["APCA-API-KEY-ID"] == "KEY"


def test_alpaca_crypto_needs_no_key_and_stock_does(venue: FakeBarsVenue, eurusd: pd.DataFrame) -> None:
    p = AlpacaBarsProvider(None, None, venue.base, 5)
    got = p.bars("BTC/USD", "1h", int(eurusd.index[2400].value), venue.now_ns)
    assert len(got) == 2498 - 2400 + 1
    with pytest.raises(DataError, match="no API key"):
        p.bars("AAPL", "1h", None, venue.now_ns)


def test_oanda_skips_incomplete_candle(venue: FakeBarsVenue, eurusd: pd.DataFrame) -> None:
    p = OandaCandlesProvider("TOKEN", venue.base, 5)
    start = int(eurusd.index[2000].value)
    got = p.bars("EUR/USD", "1h", start, venue.now_ns + 10 * 3600 * 10**9)  # even asked beyond now
    want = _expect(eurusd, start, venue.now_ns)
    assert got.index.equals(want.index)
    np.testing.assert_allclose(got[["open", "high", "low", "close"]].to_numpy(),
                               want[["open", "high", "low", "close"]].to_numpy(), atol=5e-6)
    served = venue.server.requests("GET", r"/v3/instruments/EUR_USD/candles")[0]
    assert served.arg("granularity") == "H1" and served.headers["Authorization"] == "Bearer TOKEN"


def test_oanda_without_token_is_a_data_error() -> None:
    with pytest.raises(DataError, match="no API token"):
        OandaCandlesProvider(None, None, 5).bars("EUR/USD", "1h", None, 0)


def test_ccxt_error_names_exchange_and_symbol(venue: FakeBarsVenue) -> None:
    ex = make_ccxt("binance", 5, venue.base, {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                              "fetchMargins": False})
    venue.server.fault("GET", "/api/v3/klines", "status", status=500, times=5)
    with pytest.raises(DataError, match="ccxt binance: fetch_ohlcv BTC/USDT 1h"):
        CcxtOhlcvProvider(ex).bars("BTC/USDT", "1h", None, venue.now_ns)
