"""Weather: Open-Meteo GFS ensemble probabilities and NWS point forecasts with an error band.

* Open-Meteo ``GET /v1/ensemble?models=gfs_seamless`` returns the control run and 30
  perturbed members (``temperature_2m_member01`` ..). The probability of an event is the
  fraction of members in which it happens (e.g. the day's max above a threshold). Its
  answers carry no model-run time, so their ``published_at`` is None.
* NWS ``GET /points/{lat},{lon}`` names the gridpoint forecast; its daytime periods carry
  the forecast high. The probability treats the truth as Normal(forecast, sigma) with
  ``sigma = nws_sigma_f + nws_sigma_growth_f * lead_days`` and reads the normal CDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.alt.base import AltSource
from tradefleet.scrapers.limits import SourceUnavailable
from tradefleet.scrapers.provenance import Provenance, Sourced

if TYPE_CHECKING:
    import pandas as pd
    from tradefleet.scrapers.http import SourceClient  # httpx loads only when a client is built

NYC = (40.7812, -73.9665)  # Central Park: a common settlement station


def normal_cdf(x: float, mu: float, sigma: float) -> float:
    """P(X <= x) for X ~ Normal(mu, sigma)."""
    return 0.5 * (1.0 + math.erf((x - mu) / (sigma * math.sqrt(2.0))))


class OpenMeteoSource(AltSource):
    """Source ``openmeteo``: GFS ensemble members and event probabilities (no key)."""

    name: ClassVar[str] = "openmeteo"
    base_url: ClassVar[str] = "https://ensemble-api.open-meteo.com"
    description: ClassVar[str] = "Open-Meteo GFS ensemble (31 members): probability = share of members"

    @property
    def http(self) -> SourceClient:
        return self.hub.client(self.name, self.base_url)

    def members(self, lat: float, lon: float, variable: str = "temperature_2m", unit: str = "fahrenheit",
                days: int = 7) -> Sourced[pd.DataFrame]:
        """Hourly values of every member (columns ``control``, ``member01`` ..), UTC index."""
        import pandas as pd

        params = {"latitude": f"{lat:.4f}", "longitude": f"{lon:.4f}", "hourly": variable, "models": "gfs_seamless",
                  "temperature_unit": unit, "forecast_days": days, "timezone": "GMT"}
        fetch = self.http.get("/v1/ensemble", params)
        body = fetch.json()
        if body.get("error"):
            raise SourceUnavailable(f"openmeteo: {body.get('reason', body)}")
        hourly = body.get("hourly") or {}
        cols = {("control" if k == variable else k.removeprefix(variable + "_")): v
                for k, v in hourly.items() if k == variable or k.startswith(variable + "_member")}
        if len(cols) < 2 or "time" not in hourly:
            raise SourceUnavailable(f"openmeteo: answer has no ensemble members for {variable}")
        index = pd.DatetimeIndex(pd.to_datetime(hourly["time"]), name="time").tz_localize("UTC")
        frame = pd.DataFrame(cols, index=index, dtype="float64")
        prov = Provenance(self.name, fetch.url, fetch.fetched_at, None, fetch.offline, fetch.from_cache)
        self.hub.log.record(prov, variable=variable, lat=lat, lon=lon)
        return Sourced(frame, prov, {"members": frame.shape[1], "unit": hourly.get("units", unit)})

    def probability(self, lat: float, lon: float, threshold: float, day: str, *, above: bool = True,
                    variable: str = "temperature_2m", reduce: str = "max", tz: str = "America/New_York",
                    unit: str = "fahrenheit") -> Sourced[float]:
        """Share of members whose daily ``reduce`` (max/min/sum/mean) on local ``day`` is past ``threshold``."""
        m = self.members(lat, lon, variable, unit)
        local = m.value.tz_convert(tz)
        rows = local[local.index.strftime("%Y-%m-%d") == day]
        if rows.empty:
            raise DataError(f"openmeteo: forecast does not cover {day} ({local.index[0].date()}..{local.index[-1].date()})")
        per_member = getattr(rows, reduce)(axis=0, skipna=True).dropna()
        hits = (per_member > threshold) if above else (per_member < threshold)
        p = float(hits.mean())
        return Sourced(p, m.provenance, {"members": int(per_member.size), "hits": int(hits.sum()),
                                         "ensemble_mean": float(per_member.mean()), "day": day, "threshold": threshold})

    def sample(self) -> Any:
        m = self.members(*NYC)
        day = m.value.index[len(m.value) // 2].tz_convert("America/New_York").strftime("%Y-%m-%d")
        return self.probability(*NYC, threshold=float(m.value.max().median()) - 2.0, day=day)


@dataclass(frozen=True, slots=True)
class PointForecast:
    """One NWS forecast period."""

    name: str
    start_ns: int
    end_ns: int
    daytime: bool
    temperature: float
    unit: str


class NwsSource(AltSource):
    """Source ``nws``: api.weather.gov point forecasts; P(high past a threshold) from a normal CDF."""

    name: ClassVar[str] = "nws"
    base_url: ClassVar[str] = "https://api.weather.gov"
    description: ClassVar[str] = "NWS point forecast: normal CDF with an error band growing with lead time"

    @property
    def http(self) -> SourceClient:
        return self.hub.client(self.name, self.base_url, headers={"Accept": "application/geo+json"})

    def forecast(self, lat: float, lon: float) -> Sourced[list[PointForecast]]:
        """The gridpoint forecast periods for a point (two requests: points, then forecast)."""
        import pandas as pd

        point = self.http.get(f"/points/{lat:.4f},{lon:.4f}").json()
        url = (point.get("properties") or {}).get("forecast")
        if not url:
            raise SourceUnavailable(f"nws: /points/{lat:.4f},{lon:.4f} names no forecast: {point.get('detail', '')}")
        fetch = self.http.get(url)
        props = fetch.json().get("properties") or {}
        periods = [PointForecast(p["name"], int(pd.Timestamp(p["startTime"]).as_unit("ns").value),
                                 int(pd.Timestamp(p["endTime"]).as_unit("ns").value), bool(p["isDaytime"]),
                                 float(p["temperature"]), p.get("temperatureUnit", "F"))
                   for p in props.get("periods", [])]
        if not periods:
            raise SourceUnavailable(f"nws: forecast for {lat},{lon} has no periods")
        published = props.get("updateTime") or props.get("generatedAt")
        pub_ns = int(pd.Timestamp(published).as_unit("ns").value) if published else None
        prov = Provenance(self.name, fetch.url, fetch.fetched_at, pub_ns, fetch.offline, fetch.from_cache)
        self.hub.log.record(prov, lat=lat, lon=lon)
        return Sourced(periods, prov)

    def probability(self, lat: float, lon: float, threshold: float, day: str, *, above: bool = True,
                    tz: str = "America/New_York") -> Sourced[float]:
        """P(the forecast high of local ``day`` ends above/below ``threshold``) with its band."""
        import pandas as pd

        fc = self.forecast(lat, lon)
        days = [p for p in fc.value if p.daytime and pd.Timestamp(p.start_ns, tz="UTC").tz_convert(tz).strftime("%Y-%m-%d") == day]
        if not days:
            raise DataError(f"nws: no daytime period on {day} in the forecast for {lat},{lon}")
        p = days[0]
        lead_days = max(0.0, (p.start_ns - self.hub.clock.now_ns()) / NS / 86_400)
        cfg = self.hub.config
        sigma = cfg.nws_sigma_f + cfg.nws_sigma_growth_f * lead_days
        below = normal_cdf(threshold, p.temperature, sigma)
        prob = 1.0 - below if above else below
        band = (p.temperature - 1.645 * sigma, p.temperature + 1.645 * sigma)
        return Sourced(prob, fc.provenance, {"forecast_high": p.temperature, "sigma": sigma, "lead_days": lead_days,
                                             "band90": band, "period": p.name, "threshold": threshold})

    def sample(self) -> Any:
        import pandas as pd

        fc = self.forecast(*NYC)
        first = next(p for p in fc.value if p.daytime)
        day = pd.Timestamp(first.start_ns, tz="UTC").tz_convert("America/New_York").strftime("%Y-%m-%d")
        return self.probability(*NYC, threshold=first.temperature, day=day)
