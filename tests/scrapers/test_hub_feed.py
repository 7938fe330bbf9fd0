"""DataHub (chain + Parquet cache for remote providers) and HubBarFeed (newly closed bars only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import load_dataset
from tradefleet.scrapers.config import DataConfig
from tradefleet.scrapers.feed import HubBarFeed
from tradefleet.scrapers.hub import DataHub
from tradefleet.scrapers.providers.local import BundledProvider
from tradefleet.scrapers.providers.remote import CcxtOhlcvProvider, make_ccxt
from tests.fakes.market_bars import FakeBarsVenue

EURUSD = load_dataset("eurusd")
H = 3600 * 10**9


@pytest.fixture
def venue() -> Iterator[FakeBarsVenue]:
    fake = FakeBarsVenue(EURUSD, pd.Timedelta(hours=1), int(EURUSD.index[1500].value))
    yield fake
    fake.close()


def _remote_hub(tmp_path: Path, venue: FakeBarsVenue, clock: SimClock) -> DataHub:
    ex = make_ccxt("binance", 5, venue.base, {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                              "fetchMargins": False})
    cfg = DataConfig(cache_dir=str(tmp_path), chain=["ccxt", "bundled"], timeframe="1h")
    return DataHub(cfg, clock, app_mode="paper", providers={"ccxt": CcxtOhlcvProvider(ex)})


def test_remote_answers_are_cached_and_only_new_bars_fetched(tmp_path: Path, venue: FakeBarsVenue) -> None:
    clock = SimClock(venue.now_ns)
    hub = _remote_hub(tmp_path, venue, clock)
    first = hub.bars("BTC/USDT", start_ns=int(EURUSD.index[600].value))
    assert first.source == "ccxt" and first.frame is not None and len(first.frame) == 901
    assert hub.cache.last_ts("BTC/USDT", "1h") == int(EURUSD.index[1500].value)
    venue.now_ns = int(EURUSD.index[1510].value)
    clock.set_ns(venue.now_ns)
    n_before = len(venue.server.requests("GET", "/api/v3/klines"))
    second = hub.bars("BTC/USDT", start_ns=int(EURUSD.index[600].value))
    klines = venue.server.requests("GET", "/api/v3/klines")[n_before:]
    assert len(klines) == 1 and int(klines[0].arg("startTime") or 0) * 10**6 >= int(EURUSD.index[1500].value) - H
    assert second.frame is not None and len(second.frame) == 911  # cached history + the new bars
    pd.testing.assert_frame_equal(second.frame, EURUSD.iloc[600:1511], check_freq=False)
    rows = hub.log.read()
    assert [r["source"] for r in rows] == ["ccxt", "ccxt"] and rows[0]["symbol"] == "BTC/USDT"


def test_remote_failure_falls_back_and_says_so(tmp_path: Path, venue: FakeBarsVenue) -> None:
    clock = SimClock(venue.now_ns)
    hub = _remote_hub(tmp_path, venue, clock)
    venue.server.fault("GET", "/api/v3/klines", "status", status=502, times=3)
    ans = hub.bars("EUR/USD")
    assert ans.source == "bundled" and ans.attempts[0].source == "ccxt" and not ans.attempts[0].ok


def test_unknown_provider_in_chain(tmp_path: Path, clock: SimClock) -> None:
    hub = DataHub(DataConfig(cache_dir=str(tmp_path), chain=["nope"]), clock)
    with pytest.raises(DataError, match="unknown data provider 'nope'"):
        hub.bars("SPX")


def test_feed_emits_history_then_only_newly_closed_bars(tmp_path: Path) -> None:
    clock = SimClock(int(pd.Timestamp("2017-06-01T09:30Z").value))
    hub = DataHub(DataConfig(cache_dir=str(tmp_path), timeframe="1h"), clock)
    feed = HubBarFeed(hub, {"EUR/USD": "4h"}, history_bars=5)
    first = feed.poll(["EUR/USD"], clock.now_ns())
    assert len(first) == 5 and first[-1].ts_event == int(pd.Timestamp("2017-06-01T08:00Z").value)
    assert feed.poll(["EUR/USD"], clock.now_ns()) == []  # nothing new closed
    clock.advance(3 * 3600)  # 12:30: the 12:00 bar has closed, 16:00 has not
    new = feed.poll(["EUR/USD"], clock.now_ns())
    assert [b.ts_event for b in new] == [int(pd.Timestamp("2017-06-01T12:00Z").value)]
    four = EURUSD[(EURUSD.index > "2017-06-01T08:00Z") & (EURUSD.index <= "2017-06-01T12:00Z")]
    assert new[0].open == four["open"].iloc[0] and new[0].close == four["close"].iloc[-1]
    assert new[0].high == four["high"].max() and new[0].ts_init == clock.now_ns()


def test_feed_skip_emits_nothing_and_recovery_delivers_the_missed_bars(tmp_path: Path) -> None:
    clock = SimClock(int(pd.Timestamp("2017-06-01T09:30Z").value))

    class Flaky(BundledProvider):
        down = False

        def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
            if self.down:
                raise DataError("flaky: connection refused")
            return super().bars(symbol, tf, start_ns, end_ns)

    flaky = Flaky()
    hub = DataHub(DataConfig(cache_dir=str(tmp_path), chain=["bundled"], timeframe="1h"), clock,
                  providers={"bundled": flaky})
    feed = HubBarFeed(hub, history_bars=1)
    assert len(feed.poll(["EUR/USD"], clock.now_ns())) == 1
    flaky.down = True
    clock.advance(2 * 3600)
    assert feed.poll(["EUR/USD"], clock.now_ns()) == []  # no repeat of the last price
    assert "flaky: connection refused" in feed.skipped()[0]
    flaky.down = False
    clock.advance(3600)
    got = feed.poll(["EUR/USD"], clock.now_ns())
    assert [pd.Timestamp(b.ts_event, tz="UTC").hour for b in got] == [10, 11, 12]


def test_feed_drives_the_live_runner_contract(tmp_path: Path) -> None:
    from tradefleet.app.live import BarFeed

    clock = SimClock(int(pd.Timestamp("2012-01-05T22:00Z").value))
    feed: BarFeed = HubBarFeed(DataHub(DataConfig(cache_dir=str(tmp_path)), clock), history_bars=3)
    bars = feed.poll(["SPX", "GOOG"], clock.now_ns())
    assert [b.symbol for b in bars] == ["GOOG", "SPX"] * 3
    assert all(a.ts_event <= b.ts_event for a, b in zip(bars, bars[1:], strict=False))


def test_remote_feed_no_new_bar_is_not_a_skip_until_stale(tmp_path: Path, venue: FakeBarsVenue) -> None:
    clock = SimClock(venue.now_ns)
    hub = _remote_hub(tmp_path, venue, clock)
    hub.config.chain.remove("bundled")  # remote only: no fallback to hide a skip
    feed = HubBarFeed(hub, history_bars=2)
    assert len(feed.poll(["BTC/USDT"], clock.now_ns())) == 2
    clock.advance(1800)  # half an hour: no bar has closed since
    venue.now_ns = clock.now_ns()
    assert feed.poll(["BTC/USDT"], clock.now_ns()) == [] and feed.skipped() == []
    assert feed.answers[0].source == "ccxt"
    clock.advance(1800)
    venue.now_ns = clock.now_ns()
    got = feed.poll(["BTC/USDT"], clock.now_ns())
    assert [b.ts_event for b in got] == [int(EURUSD.index[1501].value)]
    venue.server.fault("GET", "/api/v3/klines", "status", status=200, body=[], times=10)  # the venue stops updating
    clock.advance(3 * 3600)
    assert feed.poll(["BTC/USDT"], clock.now_ns()) == [] and feed.skipped() == []
    clock.advance(3600)
    assert feed.poll(["BTC/USDT"], clock.now_ns()) == []
    assert "stale" in feed.skipped()[0]


def test_remote_provider_reads_are_retried_and_budgeted(tmp_path: Path, venue: FakeBarsVenue) -> None:
    from tradefleet.scrapers.config import SourcePolicy

    clock = SimClock(venue.now_ns)
    ex = make_ccxt("binance", 5, venue.base, {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                              "fetchMargins": False})
    cfg = DataConfig(cache_dir=str(tmp_path), chain=["ccxt"], timeframe="1h",
                     policies={"ccxt": SourcePolicy(daily_budget=3, backoff_seconds=2)})
    hub = DataHub(cfg, clock, app_mode="paper", providers={"ccxt": CcxtOhlcvProvider(ex)})
    venue.server.fault("GET", "/api/v3/klines", "status", status=503)
    t0 = clock.now_ns()
    ans = hub.bars("BTC/USDT", start_ns=int(EURUSD.index[1400].value))
    assert ans.source == "ccxt" and len(venue.server.requests("GET", "/api/v3/klines")) == 2
    assert clock.now_ns() - t0 == 2 * 10**9  # one backoff wait, on the injected clock
    venue.server.fault("GET", "/api/v3/klines", "status", status=429)
    ans = hub.bars("BTC/USDT", start_ns=int(EURUSD.index[1400].value))
    assert ans.skipped and "HTTP 429" in ans.attempts[0].error
    ans = hub.bars("BTC/USDT", start_ns=int(EURUSD.index[1400].value))
    assert ans.skipped and "cooling down" in ans.attempts[0].error
    clock.advance(60)
    ans = hub.bars("BTC/USDT", start_ns=int(EURUSD.index[1400].value))
    assert ans.skipped and "daily budget of 3 requests spent" in ans.attempts[0].error


def test_feed_for_specs_uses_each_symbols_finest_timeframe(tmp_path: Path, clock: SimClock) -> None:
    from tradefleet.orchestrator.registry import Registry

    specs = list(Registry.discover(["bots"]).bots().values())
    feed = HubBarFeed.for_specs(DataHub(DataConfig(cache_dir=str(tmp_path)), clock), specs)
    assert feed.timeframes["EUR/USD"] == "1h" and feed.timeframes["SPX"] == "1d"


def test_replay_never_asks_a_remote_provider(tmp_path: Path, venue: FakeBarsVenue) -> None:
    clock = SimClock(venue.now_ns)
    ex = make_ccxt("binance", 5, venue.base, {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                              "fetchMargins": False})
    cfg = DataConfig(cache_dir=str(tmp_path), chain=["ccxt", "bundled"], timeframe="1h")
    hub = DataHub(cfg, clock, app_mode="replay", providers={"ccxt": CcxtOhlcvProvider(ex)})
    assert hub.bars("EUR/USD").source == "bundled" and venue.server.log == []
    only_remote = DataHub(DataConfig(cache_dir=str(tmp_path), chain=["ccxt"]), clock, app_mode="replay",
                          providers={"ccxt": CcxtOhlcvProvider(ex)})
    with pytest.raises(DataError, match="every provider in \\[data\\].chain \\(ccxt\\) is remote"):
        only_remote.bars("EUR/USD")
