"""Sportsbook odds from The Odds API (v4) and the cross-book consensus with the vig removed.

``GET /v4/sports/{sport}/odds?apiKey=..&regions=us&markets=h2h&oddsFormat=decimal`` lists
events, each with bookmakers and their outcome prices. Per book, implied probabilities
``1/price`` sum to more than 1 (the overround); the vig is removed proportionally (or by
Shin's method, which corrects the favourite-longshot bias), then the books are averaged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.scrapers.alt.base import AltSource
from tradefleet.scrapers.limits import SourceUnavailable
from tradefleet.scrapers.provenance import Provenance, Sourced

if TYPE_CHECKING:  # httpx (~7 MB) loads only when a client is built, not when the plugin is discovered
    from tradefleet.scrapers.http import SourceClient


def devig_proportional(prices: list[float]) -> list[float]:
    """Fair probabilities from decimal prices: implied ``1/price`` scaled to sum to 1."""
    implied = [1.0 / p for p in prices]
    total = sum(implied)
    return [q / total for q in implied]


def devig_shin(prices: list[float], tol: float = 1e-12) -> list[float]:
    """Shin (1993) fair probabilities: solve for the insider share z so they sum to 1."""
    q = [1.0 / p for p in prices]
    book = sum(q)
    if len(q) < 2 or book <= 1.0:
        return devig_proportional(prices)

    def probs(z: float) -> list[float]:
        return [(math.sqrt(z * z + 4 * (1 - z) * qi * qi / book) - z) / (2 * (1 - z)) for qi in q]

    lo, hi = 0.0, 0.999
    for _ in range(200):  # bisection: the sum falls as z rises
        mid = (lo + hi) / 2
        if sum(probs(mid)) > 1.0:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    p = probs((lo + hi) / 2)
    s = sum(p)
    return [x / s for x in p]


@dataclass(frozen=True, slots=True)
class Consensus:
    """Vig-free consensus of one event's market."""

    event_id: str
    commence_time: str
    home: str
    away: str
    probabilities: dict[str, float]
    books: int
    mean_overround: float
    last_update: str


class OddsSource(AltSource):
    """Source ``odds``: The Odds API events and their cross-book, vig-free consensus."""

    name: ClassVar[str] = "odds"
    keyed: ClassVar[bool] = True
    base_url: ClassVar[str] = "https://api.the-odds-api.com"
    description: ClassVar[str] = "The Odds API: cross-book consensus, vig removed (API key: ODDS_API_KEY)"

    @property
    def http(self) -> SourceClient:
        return self.hub.client(self.name, self.base_url, keyed=True, key_param="apiKey")

    def events(self, sport: str, market: str = "h2h", regions: str = "us") -> Sourced[list[dict[str, Any]]]:
        """Raw events with bookmaker prices (decimal odds)."""
        fetch = self.http.get(f"/v4/sports/{sport}/odds", {"regions": regions, "markets": market,
                                                            "oddsFormat": "decimal", "dateFormat": "iso"})
        body = fetch.json()
        if not isinstance(body, list):
            raise SourceUnavailable(f"odds: {sport}: {body.get('message', body) if isinstance(body, dict) else body}")
        updates = [b.get("last_update", "") for e in body for b in e.get("bookmakers", [])]
        pub = _iso_ns(max(updates)) if updates else None
        prov = Provenance(self.name, fetch.url, fetch.fetched_at, pub, fetch.offline, fetch.from_cache)
        self.hub.log.record(prov, sport=sport, market=market,
                            requests_remaining=fetch.headers.get("x-requests-remaining"))
        return Sourced(body, prov, {"requests_remaining": fetch.headers.get("x-requests-remaining")})

    def consensus(self, sport: str, market: str = "h2h") -> Sourced[list[Consensus]]:
        """Per event: each book de-vigged, then the books averaged (outcomes all books quote)."""
        ev = self.events(sport, market)
        method = devig_shin if self.hub.config.odds_method == "shin" else devig_proportional
        out = []
        for e in ev.value:
            per_book: list[dict[str, float]] = []
            overrounds: list[float] = []
            last = ""
            for b in e.get("bookmakers", []):
                mk = next((m for m in b.get("markets", []) if m.get("key") == market), None)
                if mk is None or len(mk.get("outcomes", [])) < 2:
                    continue
                names = [o["name"] for o in mk["outcomes"]]
                prices = [float(o["price"]) for o in mk["outcomes"]]
                if any(p <= 1.0 for p in prices):
                    continue  # a decimal price of 1.0 or less is not a bet: skip the book
                overrounds.append(sum(1 / p for p in prices) - 1.0)
                per_book.append(dict(zip(names, method(prices), strict=True)))
                last = max(last, b.get("last_update", ""))
            if not per_book:
                continue
            common = set(per_book[0]).intersection(*per_book[1:])
            probs = {n: sum(bk[n] for bk in per_book) / len(per_book) for n in sorted(common)}
            total = sum(probs.values())
            probs = {n: p / total for n, p in probs.items()} if total > 0 else probs
            out.append(Consensus(e["id"], e.get("commence_time", ""), e.get("home_team", ""), e.get("away_team", ""),
                                 probs, len(per_book), sum(overrounds) / len(overrounds), last))
        return Sourced(out, ev.provenance, ev.meta)

    def sample(self) -> Any:
        return self.consensus("basketball_nba")


def _iso_ns(text: str) -> int | None:
    import pandas as pd

    try:
        return int(pd.Timestamp(text).as_unit("ns").value)
    except ValueError:
        return None
