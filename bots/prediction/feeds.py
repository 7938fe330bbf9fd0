"""Domain sources as forecasts of a settlement variable, read through the data hub's scrapers.

Each configured feed (``[prediction.variables.<v>].feeds``) becomes one
:class:`~tradefleet.bots.prediction.market.Forecast` named after its source (the names the edge bots
route on: ``gfs_ensemble``, ``nws``, ``cleveland_fed``, ``gdpnow``, ``fred``), with its age
on the engine's clock: now minus the publisher's release time, or minus the fetch time when
the publisher states none. Sportsbook odds become :class:`~tradefleet.bots.prediction.market.BookOdds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tradefleet.bots.prediction.config import FeedConfig, OddsConfig
from tradefleet.bots.prediction.market import BookOdds, Forecast
from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    from tradefleet.scrapers.hub import DataHub
    from tradefleet.scrapers.provenance import Provenance


@dataclass(frozen=True)
class Reading:
    """A source's value with its age in seconds."""

    value: Any
    age_s: float


def _age(prov: Provenance, now_ns: int) -> float:
    ref = prov.published_at if prov.published_at is not None else prov.fetched_at
    return max(0.0, (now_ns - ref) / NS)


def _need(feed: FeedConfig, *names: str) -> None:
    missing = [n for n in names if getattr(feed, n) is None]
    if missing:
        raise DataError(f"feed {feed.source}: set {', '.join(missing)}")


def read_forecast(hub: DataHub, feed: FeedConfig, variable: str, now_ns: int) -> Reading:
    """One feed's forecast of ``variable`` (raises DataError/SourceUnavailable when it has none)."""
    reader = _READERS[feed.source]
    return reader(hub, feed, variable, now_ns)


@lru_cache(maxsize=4096)
def _day_bounds(day: str, tz: str) -> tuple[int, int]:
    """A local calendar day as UTC nanosecond bounds [start, end) (DST-safe)."""
    import pandas as pd

    start = pd.Timestamp(day, tz=tz).as_unit("ns")
    return start.value, (start + pd.Timedelta(days=1)).value


def _gfs(hub: DataHub, feed: FeedConfig, variable: str, now_ns: int) -> Reading:
    _need(feed, "lat", "lon", "day")
    import numpy as np

    m = hub.source("openmeteo").members(feed.lat, feed.lon)
    lo, hi = _day_bounds(feed.day, feed.tz)
    idx = m.value.index
    ts = idx.asi8 if idx.unit == "ns" else idx.as_unit("ns").asi8
    rows = m.value.to_numpy()[(ts >= lo) & (ts < hi)]
    if rows.shape[0] == 0:
        raise DataError(f"gfs_ensemble: the forecast does not cover {feed.day}")
    with np.errstate(all="ignore"):
        highs = np.nanmax(np.where(np.isnan(rows), -np.inf, rows), axis=0)
    members = tuple(float(x) for x in highs if np.isfinite(x))
    if not members:
        raise DataError(f"gfs_ensemble: no member has a value on {feed.day}")
    mean = sum(members) / len(members)
    return Reading(Forecast("gfs_ensemble", variable, mean, feed.sigma, members), _age(m.provenance, now_ns))


def _nws(hub: DataHub, feed: FeedConfig, variable: str, now_ns: int) -> Reading:
    _need(feed, "lat", "lon", "day")
    fc = hub.source("nws").forecast(feed.lat, feed.lon)
    lo, hi = _day_bounds(feed.day, feed.tz)
    days = [p for p in fc.value if p.daytime and lo <= p.start_ns < hi]
    if not days:
        raise DataError(f"nws: no daytime period on {feed.day}")
    p = days[0]
    lead_days = max(0.0, (p.start_ns - now_ns) / NS / 86_400)
    cfg = hub.config
    sigma = cfg.nws_sigma_f + cfg.nws_sigma_growth_f * lead_days  # the band grows with lead time
    return Reading(Forecast("nws", variable, p.temperature, sigma), _age(fc.provenance, now_ns))


def _cleveland(hub: DataHub, feed: FeedConfig, variable: str, now_ns: int) -> Reading:
    got = hub.source("clevelandfed").latest()
    value = getattr(got.value, feed.field)
    if value is None:
        raise DataError(f"cleveland_fed: no {feed.field} nowcast for {got.value.month}")
    return Reading(Forecast("cleveland_fed", variable, float(value), feed.sigma), _age(got.provenance, now_ns))


def _gdpnow(hub: DataHub, feed: FeedConfig, variable: str, now_ns: int) -> Reading:
    got = hub.source("gdpnow").latest()
    return Reading(Forecast("gdpnow", variable, float(got.value[1]), feed.sigma), _age(got.provenance, now_ns))


def _fred(hub: DataHub, feed: FeedConfig, variable: str, now_ns: int) -> Reading:
    _need(feed, "series")
    import numpy as np

    s = hub.source("fred").series(feed.series)
    values = s.value.to_numpy(dtype=float)
    clean = values[~np.isnan(values)]
    lag = {"level": 0, "mom_pct": 1, "yoy_pct": 12}[feed.change]
    if len(clean) <= lag:
        raise DataError(f"fred: {feed.series} has too few observations for {feed.change}")
    last = float(clean[-1])
    value = last if lag == 0 else (last / float(clean[-1 - lag]) - 1.0) * 100.0
    return Reading(Forecast("fred", variable, value, feed.sigma), _age(s.provenance, now_ns))


_READERS = {"gfs_ensemble": _gfs, "nws": _nws, "cleveland_fed": _cleveland, "gdpnow": _gdpnow, "fred": _fred}


def read_odds(hub: DataHub, odds: OddsConfig, now_ns: int) -> Reading:
    """Each bookmaker's decimal odds on ``odds.team`` (YES) and its opponent (NO)."""
    ev = hub.source("odds").events(odds.sport, odds.market)
    event = next((e for e in ev.value if odds.team in (e.get("home_team"), e.get("away_team"))), None)
    if event is None:
        raise DataError(f"odds: no {odds.sport} event with {odds.team}")
    books = []
    for b in event.get("bookmakers", []):
        mk = next((m for m in b.get("markets", []) if m.get("key") == odds.market), None)
        prices = {o["name"]: float(o["price"]) for o in (mk or {}).get("outcomes", [])}
        yes = prices.pop(odds.team, None)
        if yes is None or len(prices) != 1 or yes <= 1.0 or next(iter(prices.values())) <= 1.0:
            continue  # a two-way market with real prices only
        books.append(BookOdds(str(b.get("key", b.get("title", "?"))), yes, next(iter(prices.values()))))
    return Reading(tuple(books), _age(ev.provenance, now_ns))
