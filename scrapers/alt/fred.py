"""FRED series (St. Louis Fed API, needs a key) and the Atlanta Fed GDPNow nowcast via FRED.

``GET /fred/series/observations?series_id=..&api_key=..&file_type=json`` gives the values
(``"."`` marks a missing one); ``GET /fred/series`` gives ``last_updated``, used as the
published-at time of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.alt.base import AltSource
from tradefleet.scrapers.limits import SourceUnavailable
from tradefleet.scrapers.provenance import Provenance, Sourced

if TYPE_CHECKING:
    import pandas as pd
    from tradefleet.scrapers.http import SourceClient  # httpx loads only when a client is built


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """FRED series metadata."""

    id: str
    title: str
    units: str
    frequency: str
    last_updated_ns: int | None


def parse_fred_time(text: str) -> int | None:
    """``"2024-01-25 08:31:02-06"`` (FRED's last_updated) to int ns UTC."""
    import pandas as pd

    try:
        ts = pd.Timestamp(text.strip() + ("00" if len(text.strip()) > 19 and text.strip()[-3] in "+-" else ""))
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("America/Chicago")
    return int(ts.tz_convert("UTC").as_unit("ns").value)


class FredSource(AltSource):
    """Source ``fred``: any FRED series as a float Series indexed by observation date (UTC)."""

    name: ClassVar[str] = "fred"
    keyed: ClassVar[bool] = True
    base_url: ClassVar[str] = "https://api.stlouisfed.org"
    description: ClassVar[str] = "FRED economic series (API key: FRED_API_KEY)"

    @property
    def http(self) -> SourceClient:
        return self.hub.client("fred", self.base_url, keyed=True, key_param="api_key")

    def info(self, series_id: str) -> SeriesInfo:
        """Return the series' metadata (title, units, last update)."""
        body = self.http.get("/fred/series", {"series_id": series_id, "file_type": "json"}).json()
        rows = body.get("seriess") or []
        if not rows:
            raise SourceUnavailable(f"fred: no series {series_id!r}: {body.get('error_message', body)}")
        r = rows[0]
        return SeriesInfo(r["id"], r.get("title", ""), r.get("units", ""), r.get("frequency", ""),
                          parse_fred_time(r.get("last_updated", "")))

    def series(self, series_id: str, start: str | None = None, end: str | None = None) -> Sourced[pd.Series]:
        """Return the observations of ``series_id`` (NaN where FRED has ``"."``)."""
        import numpy as np
        import pandas as pd

        params: dict[str, Any] = {"series_id": series_id, "file_type": "json",
                                  "observation_start": start, "observation_end": end}
        fetch = self.http.get("/fred/series/observations", params)
        body = fetch.json()
        if "observations" not in body:
            raise SourceUnavailable(f"fred: {series_id}: {body.get('error_message', 'no observations in answer')}")
        obs = body["observations"]
        if not obs:
            raise DataError(f"fred: {series_id}: no observations between {start} and {end}")
        values = np.array([np.nan if o["value"] in (".", "") else float(o["value"]) for o in obs])
        index = pd.DatetimeIndex(pd.to_datetime([o["date"] for o in obs]), name="date").tz_localize("UTC")
        info = self.info(series_id)
        prov = Provenance("fred", fetch.url, fetch.fetched_at, info.last_updated_ns, fetch.offline, fetch.from_cache)
        self.hub.log.record(prov, series=series_id)
        return Sourced(pd.Series(values, index=index, name=series_id), prov, {"title": info.title, "units": info.units})

    def latest(self, series_id: str) -> Sourced[tuple[str, float]]:
        """The newest non-missing observation as ``(date, value)``."""
        s = self.series(series_id)
        clean = s.value.dropna()
        if clean.empty:
            raise DataError(f"fred: {series_id}: every observation is missing")
        return Sourced((clean.index[-1].strftime("%Y-%m-%d"), float(clean.iloc[-1])), s.provenance, s.meta)

    def sample(self) -> Any:
        return self.latest("CPIAUCSL")


class GdpNowSource(AltSource):
    """Source ``gdpnow``: the Atlanta Fed GDPNow estimate (FRED series GDPNOW, % SAAR)."""

    name: ClassVar[str] = "gdpnow"
    keyed: ClassVar[bool] = True
    series_id: ClassVar[str] = "GDPNOW"
    description: ClassVar[str] = "Atlanta Fed GDPNow via FRED (API key: FRED_API_KEY)"

    @property
    def offline(self) -> bool:
        return self.hub.is_offline("fred", True)

    def latest(self) -> Sourced[tuple[str, float]]:
        """The current quarter's nowcast: ``(quarter start date, growth % SAAR)``."""
        fred: FredSource = self.hub.source("fred")
        return fred.latest(self.series_id)

    def sample(self) -> Any:
        return self.latest()
