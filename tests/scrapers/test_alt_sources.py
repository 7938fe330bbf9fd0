"""Every alternative source live against its loopback fake (recorded responses, real HTTP,
the same client code), checked against independent computations; budget and 429 backoff on
the SimClock; NewsAPI -> RSS fallback; provenance stored."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.alt.odds import devig_proportional, devig_shin
from tradefleet.scrapers.config import DataConfig, SourcePolicy
from tradefleet.scrapers.hub import DataHub
from tradefleet.scrapers.recorded import FIXTURES
from tests.fakes.data_apis import NEWSAPI_429, RecordedApi, fred_auth, newsapi_auth, nws_auth, odds_auth

KEYS = {"FRED_API_KEY": "fred-key", "ODDS_API_KEY": "odds-key", "NEWSAPI_KEY": "news-key"}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, RecordedApi]]:
    apis = {"fred": RecordedApi("fred", fred_auth("fred-key")), "openmeteo": RecordedApi("openmeteo"),
            "nws": RecordedApi("nws", nws_auth), "clevelandfed": RecordedApi("clevelandfed"),
            "odds": RecordedApi("odds", odds_auth("odds-key")), "newsapi": RecordedApi("newsapi", newsapi_auth("news-key")),
            "rss": RecordedApi("rss"), "funding": RecordedApi("funding")}
    yield apis
    for a in apis.values():
        a.close()


@pytest.fixture
def fakes(servers: dict[str, RecordedApi]) -> dict[str, RecordedApi]:
    """The module's servers with empty request logs and no pending faults."""
    for a in servers.values():
        a.server.log.clear()
        a.server.faults.clear()
    return servers


def _hub(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi], environ: dict[str, str] | None = None,
         **cfg: object) -> DataHub:
    rss = [f"{fakes['rss'].base}/public/rss/mw_topstories", f"{fakes['rss'].base}/id/100003114/device/rss/rss.html"]
    config = DataConfig(cache_dir=str(tmp_path), base_urls={k: v.base for k, v in fakes.items()}, rss_feeds=rss,
                        **cfg)  # type: ignore[arg-type]
    return DataHub(config, clock, app_mode="live", environ=KEYS if environ is None else environ,
                   sleep=clock.advance)


def test_fred_series_sends_key_and_parses_missing_values(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes)
    s = hub.source("gdpnow").latest()
    assert s.value == ("2026-10-01", 3.1)
    series = hub.source("fred").series("GDPNOW").value
    assert math.isnan(series.loc["2025-10-01"]) and series.loc["2025-01-01"] == -2.8
    reqs = fakes["fred"].server.requests("GET", "/fred/series/observations")
    assert reqs[0].arg("api_key") == "fred-key" and reqs[0].arg("file_type") == "json"
    assert s.provenance.source == "fred" and not s.provenance.offline
    assert s.provenance.published_at == int(pd.Timestamp("2026-11-19 17:02:05Z").value)  # 11:02:05-06
    assert "fred-key" not in s.provenance.url
    assert any(r["series"] == "GDPNOW" for r in hub.log.read())


def test_fred_wrong_key_and_unknown_series(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    bad = _hub(tmp_path, clock, fakes, environ={**KEYS, "FRED_API_KEY": "wrong"})
    with pytest.raises(DataError, match="HTTP 400 .*api_key is not registered"):
        bad.source("fred").series("CPIAUCSL")
    with pytest.raises(DataError, match="series does not exist"):
        _hub(tmp_path, clock, fakes).source("fred").series("NOPE")


def test_openmeteo_probability_is_member_fraction(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes)
    p = hub.source("openmeteo").probability(40.7812, -73.9665, threshold=50.0, day="2026-11-24")
    raw = json.loads((FIXTURES / "openmeteo" / "gfs_nyc.json").read_text())["hourly"]
    times = pd.DatetimeIndex(pd.to_datetime(raw["time"])).tz_localize("UTC").tz_convert("America/New_York")
    on_day = np.array([t.strftime("%Y-%m-%d") == "2026-11-24" for t in times])
    maxima = [max(np.array(v)[on_day]) for k, v in raw.items() if k.startswith("temperature_2m")]
    assert len(maxima) == 31 and p.meta["members"] == 31
    assert p.value == pytest.approx(sum(m > 50.0 for m in maxima) / 31)
    assert 0 < p.value < 1
    req = fakes["openmeteo"].server.requests()[0]
    assert req.arg("models") == "gfs_seamless" and req.arg("hourly") == "temperature_2m"


def test_nws_probability_matches_scipy_normal(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes)
    p = hub.source("nws").probability(40.7812, -73.9665, threshold=45.0, day="2026-11-24")
    lead = (pd.Timestamp("2026-11-24T06:00-05:00").value - clock.now_ns()) / 86_400e9
    sigma = 2.5 + 1.0 * lead
    assert p.meta["forecast_high"] == 49 and p.meta["sigma"] == pytest.approx(sigma)
    assert p.value == pytest.approx(norm.sf(45.0, loc=49, scale=sigma))
    lo, hi = p.meta["band90"]
    assert (lo, hi) == pytest.approx(norm.interval(0.90, loc=49, scale=sigma), abs=1e-3)
    assert p.provenance.published_at == int(pd.Timestamp("2026-11-21T20:52:34Z").value)
    paths = [r.path for r in fakes["nws"].server.log]
    assert paths == ["/points/40.7812,-73.9665", "/gridpoints/OKX/34,38/forecast"]
    assert fakes["nws"].server.log[0].headers["User-Agent"].startswith("tradefleet")


def test_clevelandfed_latest_pending_month(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    n = _hub(tmp_path, clock, fakes).source("clevelandfed").latest()
    assert (n.value.month, n.value.cpi, n.value.core_cpi, n.value.actual_cpi) == ("2026-11", 0.19, 0.24, None)
    assert n.provenance.published_at == int(pd.Timestamp("2026-11-21 10:00", tz="America/New_York").value)


def test_odds_consensus_removes_vig_across_books(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    c = _hub(tmp_path, clock, fakes).source("odds").consensus("basketball_nba")
    ev = c.value[0]
    books = [(1.53, 2.60), (1.54, 2.56), (1.50, 2.65), (1.52, 2.55)]
    fair = [(1 / h) / (1 / h + 1 / a) for h, a in books]
    assert ev.books == 4 and ev.probabilities["Boston Celtics"] == pytest.approx(sum(fair) / 4)
    assert sum(ev.probabilities.values()) == pytest.approx(1.0)
    assert ev.mean_overround == pytest.approx(np.mean([1 / h + 1 / a - 1 for h, a in books]))
    req = fakes["odds"].server.requests()[0]
    assert req.arg("apiKey") == "odds-key" and req.arg("oddsFormat") == "decimal"


def test_shin_devig_sums_to_one_and_shades_the_longshot() -> None:
    prices = [1.25, 5.0, 12.0]
    shin, prop = devig_shin(prices), devig_proportional(prices)
    assert sum(shin) == pytest.approx(1.0) and sum(prop) == pytest.approx(1.0)
    assert shin[2] < prop[2] and shin[0] > prop[0]  # favourite-longshot bias corrected
    assert devig_shin([2.0, 2.0]) == pytest.approx([0.5, 0.5])


def test_odds_daily_budget_on_sim_clock(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes, policies={"odds": SourcePolicy(daily_budget=2, ttl_seconds=0)})
    src = hub.source("odds")
    src.events("basketball_nba")
    src.events("basketball_nba")
    with pytest.raises(DataError, match="daily budget of 2 requests spent"):
        src.events("basketball_nba")
    assert len(fakes["odds"].server.requests()) == 2
    clock.set_ns(int(pd.Timestamp("2026-11-23T00:00Z").value))
    src.events("basketball_nba")
    assert len(fakes["odds"].server.requests()) == 3


def test_news_escalating_backoff_on_429_with_rss_fallback(tmp_path: Path, clock: SimClock,
                                                         fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes, policies={"newsapi": SourcePolicy(ttl_seconds=0, cooldown_seconds=60),
                                                 "rss": SourcePolicy(ttl_seconds=0)})
    news = hub.source("news")
    api = fakes["newsapi"].server

    def newsapi_calls() -> int:
        return len(api.requests("GET", "/v2/everything"))

    api.fault("GET", "/v2/everything", "status", status=429, body=NEWSAPI_429, times=2)
    got = news.headlines("stocks")
    assert got.provenance.source == "rss" and "HTTP 429" in got.meta["fallback_reason"]
    assert [a.title for a in got.value][:2] == ["Dow gains 300 points; stocks post weekly advance",
                                                "Stocks close higher as Treasury yields retreat"]
    assert newsapi_calls() == 1
    clock.advance(59)
    assert news.headlines("stocks").provenance.source == "rss" and newsapi_calls() == 1  # cooling down: not asked
    clock.advance(1)
    assert "strike 2" in news.headlines("stocks").meta["fallback_reason"] and newsapi_calls() == 2
    clock.advance(119)
    news.headlines("stocks")
    assert newsapi_calls() == 2  # second wait is 120 s
    clock.advance(1)
    ok = news.headlines("stocks")
    assert ok.provenance.source == "newsapi" and newsapi_calls() == 3 and len(ok.value) == 5
    assert api.requests()[-1].headers["X-Api-Key"] == "news-key"
    assert ok.provenance.published_at == int(pd.Timestamp("2026-11-21T21:05:00Z").value)
    api.fault("GET", "/v2/everything", "status", status=429, body=NEWSAPI_429)
    news.headlines("stocks")
    clock.advance(60)  # after a success the backoff starts again from 60 s
    assert news.headlines("stocks").provenance.source == "newsapi"


def test_news_budget_spent_goes_to_rss(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes, policies={"newsapi": SourcePolicy(daily_budget=1, ttl_seconds=0)})
    news = hub.source("news")
    assert news.headlines("stocks").provenance.source == "newsapi"
    second = news.headlines("bitcoin")
    assert second.provenance.source == "rss" and "daily budget" in second.meta["fallback_reason"]
    assert [a.title for a in second.value] == ["Bitcoin slides below $85,000 as crypto funding cools"]


def test_news_and_rss_both_down_is_an_error(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes, policies={"newsapi": SourcePolicy(retries=0), "rss": SourcePolicy(retries=0)})
    fakes["newsapi"].server.fault("GET", "/v2/everything", "status", status=500)
    fakes["rss"].server.fault("GET", ".*", "status", status=500, times=2)
    with pytest.raises(DataError, match="NewsAPI and every RSS feed failed"):
        hub.source("news").headlines("stocks")


def test_funding_and_open_interest_through_ccxt(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    hub = _hub(tmp_path, clock, fakes)
    d = hub.source("funding").latest("BTC/USDT:USDT")
    assert d.value.funding_rate == pytest.approx(0.00008312) and d.value.open_interest == pytest.approx(92874.512)
    assert d.value.mark_price == pytest.approx(84250.1) and not d.provenance.offline
    paths = [r.path for r in fakes["funding"].server.log]
    assert paths == ["/fapi/v1/exchangeInfo", "/fapi/v1/premiumIndex", "/fapi/v1/openInterest"]
    again = hub.source("funding").latest("BTC/USDT:USDT")
    assert again.provenance.from_cache and len(fakes["funding"].server.log) == 3


def test_funding_429_backs_off_on_the_clock(tmp_path: Path, clock: SimClock, fakes: dict[str, RecordedApi]) -> None:
    from tradefleet.scrapers.limits import RateLimited

    hub = _hub(tmp_path, clock, fakes)
    src = hub.source("funding")
    fakes["funding"].server.fault("GET", "/fapi/v1/premiumIndex", "status", status=429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited, match="HTTP 429"):
        src.latest("ETH/USDT:USDT")
    n = len(fakes["funding"].server.log)
    clock.advance(119)
    with pytest.raises(RateLimited, match="cooling down"):
        src.latest("ETH/USDT:USDT")
    assert len(fakes["funding"].server.log) == n
    clock.advance(1)
    assert src.latest("ETH/USDT:USDT").value.funding_rate == pytest.approx(-0.00002145)
