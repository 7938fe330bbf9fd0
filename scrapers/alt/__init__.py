"""Alternative data: FRED and GDPNow, weather (Open-Meteo GFS ensemble, NWS), the Cleveland
Fed CPI nowcast, sportsbook odds, news (NewsAPI + RSS), crypto funding and open interest.

Every source reads through the hub's :class:`~scrapers.http.SourceClient` (limits, TTL
cache, retries, offline fixtures) and returns :class:`~scrapers.provenance.Sourced` values
whose provenance (source, fetched_at, published_at) is written to the provenance log.
"""

from __future__ import annotations

from functools import cache

from scrapers.alt.base import AltSource

__all__ = ["AltSource", "alt_sources"]


@cache
def alt_sources() -> dict[str, type[AltSource]]:
    """The alternative-data sources by name (imported on first use: keeps the CLI fast)."""
    from scrapers.alt.derivatives import FundingSource
    from scrapers.alt.fred import FredSource, GdpNowSource
    from scrapers.alt.news import NewsSource
    from scrapers.alt.nowcast import ClevelandFedSource
    from scrapers.alt.odds import OddsSource
    from scrapers.alt.weather import NwsSource, OpenMeteoSource

    classes = (FredSource, GdpNowSource, OpenMeteoSource, NwsSource, ClevelandFedSource, OddsSource,
               NewsSource, FundingSource)
    return {c.name: c for c in classes}
