"""The Cleveland Fed inflation nowcast (no key).

``nowcast_month.json`` (the chart feed behind clevelandfed.org's Inflation Nowcasting page)
is a list of FusionCharts objects, one per target month: ``chart.subcaption`` names the
month (``"2024-01"``), ``chart._comment`` starts with the as-of date, ``dataset`` holds
series such as ``"CPI Inflation"``, ``"Core CPI Inflation"``, ``"PCE Inflation"``,
``"Core PCE Inflation"`` and the released ``"Actual CPI Inflation"``, one value per
business day (month-over-month % change). The parser fails loudly on any other shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.scrapers.alt.base import AltSource
from tradefleet.scrapers.limits import SourceUnavailable
from tradefleet.scrapers.provenance import Provenance, Sourced

if TYPE_CHECKING:  # httpx (~7 MB) loads only when a client is built, not when the plugin is discovered
    from tradefleet.scrapers.http import SourceClient

SERIES = ("CPI Inflation", "Core CPI Inflation", "PCE Inflation", "Core PCE Inflation")


@dataclass(frozen=True, slots=True)
class Nowcast:
    """The latest nowcast of one target month (month-over-month %, None when not published)."""

    month: str
    as_of: str
    cpi: float | None
    core_cpi: float | None
    pce: float | None
    core_pce: float | None
    actual_cpi: float | None


def _last(chart: dict[str, Any], name: str) -> float | None:
    for ds in chart.get("dataset", []):
        if ds.get("seriesname") == name:
            vals = [x.get("value") for x in ds.get("data", []) if x.get("value") not in ("", None)]
            return float(vals[-1]) if vals else None
    return None


def parse_nowcast_month(body: Any) -> list[Nowcast]:
    """Every target month in the feed, oldest first."""
    charts = [c for c in body if isinstance(c, dict) and isinstance(c.get("chart"), dict)] if isinstance(body, list) else []
    if not charts:
        raise SourceUnavailable(f"clevelandfed: unexpected nowcast_month.json shape: {str(body)[:160]}")
    out = []
    for c in charts:
        month = str(c["chart"].get("subcaption", "")).strip()
        if len(month) != 7 or month[4] != "-":
            raise SourceUnavailable(f"clevelandfed: chart subcaption {month!r} is not a YYYY-MM month")
        out.append(Nowcast(month, str(c["chart"].get("_comment", ""))[:10], _last(c, "CPI Inflation"),
                           _last(c, "Core CPI Inflation"), _last(c, "PCE Inflation"), _last(c, "Core PCE Inflation"),
                           _last(c, "Actual CPI Inflation")))
    return sorted(out, key=lambda n: n.month)


class ClevelandFedSource(AltSource):
    """Source ``clevelandfed``: the CPI/PCE nowcast for the months not yet released."""

    name: ClassVar[str] = "clevelandfed"
    base_url: ClassVar[str] = "https://www.clevelandfed.org"
    path: ClassVar[str] = "/-/media/files/webcharts/inflationnowcasting/nowcast_month.json"
    description: ClassVar[str] = "Cleveland Fed inflation nowcast (CPI, core CPI, PCE; m/m %)"

    @property
    def http(self) -> SourceClient:
        return self.hub.client(self.name, self.base_url)

    def months(self) -> Sourced[list[Nowcast]]:
        """All months in the feed with their latest nowcast."""
        import pandas as pd

        fetch = self.http.get(self.path, {"sc_lang": "en"})
        rows = parse_nowcast_month(fetch.json())
        as_of = max((r.as_of for r in rows if r.as_of), default="")
        pub = None
        if as_of:  # the nowcast updates each business day at about 10:00 ET
            pub = int(pd.Timestamp(f"{as_of} 10:00", tz="America/New_York").tz_convert("UTC").as_unit("ns").value)
        prov = Provenance(self.name, fetch.url, fetch.fetched_at, pub, fetch.offline, fetch.from_cache)
        self.hub.log.record(prov, as_of=as_of)
        return Sourced(rows, prov)

    def latest(self) -> Sourced[Nowcast]:
        """The newest month that has a CPI nowcast and no released actual yet."""
        m = self.months()
        pending = [r for r in m.value if r.cpi is not None and r.actual_cpi is None]
        if not pending:
            raise SourceUnavailable("clevelandfed: no pending month in the nowcast feed")
        return Sourced(pending[-1], m.provenance)

    def sample(self) -> Any:
        return self.latest()
