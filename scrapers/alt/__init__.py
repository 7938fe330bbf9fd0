"""Alternative data: FRED and GDPNow, weather (Open-Meteo GFS ensemble, NWS), the Cleveland
Fed CPI nowcast, sportsbook odds, news (NewsAPI + RSS), crypto funding and open interest.

Every source reads through the hub's :class:`~tradefleet.scrapers.http.SourceClient` (limits, TTL
cache, retries, offline fixtures) and returns :class:`~tradefleet.scrapers.provenance.Sourced` values
whose provenance (source, fetched_at, published_at) is written to the provenance log.
"""

from __future__ import annotations

from functools import cache

from tradefleet.scrapers.alt.base import AltSource

__all__ = ["AltSource", "alt_sources"]


@cache
def alt_sources() -> dict[str, type[AltSource]]:
    """The alternative-data sources by name (imported on first use: keeps the CLI fast)."""
    from tradefleet.scrapers.alt.derivatives import FundingSource
    from tradefleet.scrapers.alt.fred import FredSource, GdpNowSource
    from tradefleet.scrapers.alt.news import NewsSource
    from tradefleet.scrapers.alt.nowcast import ClevelandFedSource
    from tradefleet.scrapers.alt.odds import OddsSource
    from tradefleet.scrapers.alt.weather import NwsSource, OpenMeteoSource

    classes = (FredSource, GdpNowSource, OpenMeteoSource, NwsSource, ClevelandFedSource, OddsSource,
               NewsSource, FundingSource)
    return {c.name: c for c in classes}
