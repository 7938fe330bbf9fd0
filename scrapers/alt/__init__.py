"""Alternative data: FRED and GDPNow, weather (Open-Meteo GFS ensemble, NWS), the Cleveland
Fed CPI nowcast, sportsbook odds, news (NewsAPI + RSS), crypto funding and open interest.

Every source reads through the hub's :class:`~scrapers.http.SourceClient` (limits, TTL
cache, retries, offline fixtures) and returns :class:`~scrapers.provenance.Sourced` values
whose provenance (source, fetched_at, published_at) is written to the provenance log.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from orchestrator.services import Services
    from scrapers.hub import DataHub


class AltSource:
    """Plugin base of an alternative-data source (registered under tradefleet.providers)."""

    name: ClassVar[str] = ""
    api_version: ClassVar[int] = 1
    keyed: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def __init__(self, hub: DataHub) -> None:
        self.hub = hub

    @classmethod
    def from_hub(cls, hub: DataHub) -> Any:
        return cls(hub)

    @classmethod
    def build(cls, services: Services) -> Any:
        """Registry hook: this source on the kernel's shared DataHub."""
        from scrapers.hub import DataHub

        return DataHub.from_services(services).source(cls.name)

    @property
    def offline(self) -> bool:
        return self.hub.is_offline(self.name, self.keyed)

    def sample(self) -> Any:
        """Fetch one representative answer (``tradefleet data fetch <source>``)."""
        raise NotImplementedError


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
