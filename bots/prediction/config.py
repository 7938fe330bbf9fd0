"""``[prediction]``: the contracts event bots trade live and the sources behind each variable.

```toml
[prediction]
kalshi_url = "https://api.elections.kalshi.com"
polymarket_url = "https://clob.polymarket.com"
max_source_age_minutes = 720

[prediction.markets.KXHIGHNY-T85]      # the symbol bots name
venue = "kalshi"                        # kalshi | polymarket
venue_id = "KXHIGHNY-26NOV23-T85"       # Kalshi ticker or Polymarket token id (default: the symbol)
domain = "weather"
variable = "nyc_high_2026-11-23"
strike = 85
above = true

[prediction.variables."nyc_high_2026-11-23"]
feeds = [
  { source = "gfs_ensemble", lat = 40.7812, lon = -73.9665, day = "2026-11-23", sigma = 1.5 },
  { source = "nws", lat = 40.7812, lon = -73.9665, day = "2026-11-23" },
]
```

Feed sources: ``gfs_ensemble`` and ``nws`` (daily high), ``cleveland_fed`` (``field``: cpi,
core_cpi, pce, core_pce), ``gdpnow``, ``fred`` (``series``, ``change``: level, mom_pct,
yoy_pct), each with a ``sigma`` of the variable in its own units; and ``odds`` on a market
(``sport``, ``team``: the YES outcome) for sports contracts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tradefleet.orchestrator.sections import Section

FeedSource = Literal["gfs_ensemble", "nws", "cleveland_fed", "gdpnow", "fred"]


class FeedConfig(Section):
    """One source's reading of a variable."""

    source: FeedSource
    sigma: float = Field(1.0, gt=0, description="forecast error (1 sd) in the variable's units")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    day: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="local date (weather)")
    tz: str = "America/New_York"
    field: Literal["cpi", "core_cpi", "pce", "core_pce"] = "cpi"
    series: str | None = None
    change: Literal["level", "mom_pct", "yoy_pct"] = "level"


class VariableConfig(Section):
    """The sources that forecast one settlement variable."""

    feeds: list[FeedConfig] = Field(default_factory=list)


class OddsConfig(Section):
    """Sportsbook odds of the event a contract settles on (The Odds API)."""

    sport: str
    team: str = Field(..., description="the outcome that pays YES")
    market: str = "h2h"


class MarketConfig(Section):
    """One tradable contract."""

    venue: Literal["kalshi", "polymarket"]
    venue_id: str = ""
    domain: Literal["weather", "economics", "sports", "politics", "other"] = "other"
    variable: str = ""
    strike: float = 0.0
    above: bool = True
    settles: str | None = Field(None, description="ISO time the contract settles (UTC)")
    odds: OddsConfig | None = None


class PredictionConfig(Section):
    """Live venues and the markets event bots trade."""

    kalshi_url: str = "https://api.elections.kalshi.com"
    polymarket_url: str = "https://clob.polymarket.com"
    max_source_age_minutes: float = Field(720.0, gt=0, description="older source values are left out")
    max_quote_age_seconds: float = Field(120.0, gt=0, description="older books are left out")
    markets: dict[str, MarketConfig] = Field(default_factory=dict)
    variables: dict[str, VariableConfig] = Field(default_factory=dict)
