"""News headlines: NewsAPI under a daily budget with escalating backoff on 429, RSS as fallback.

NewsAPI (``GET /v2/everything``, key in ``X-Api-Key``) is asked first unless it is cooling
down after a 429 (60 s, then 120 s, 240 s ... until a success) or its day's budget is
spent; then, or when it fails, the configured RSS feeds answer. The answer says which one
did and why the fallback was taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.alt.base import AltSource
from tradefleet.scrapers.provenance import Provenance, Sourced

if TYPE_CHECKING:  # httpx (~7 MB) loads only when a client is built, not when the plugin is discovered
    from tradefleet.scrapers.http import SourceClient


@dataclass(frozen=True, slots=True)
class Article:
    """One headline."""

    title: str
    url: str
    outlet: str
    published_ns: int | None
    summary: str = ""


def parse_rss(text: str, feed: str) -> list[Article]:
    """Items of an RSS 2.0 (or Atom) document, parsed without resolving entities (defusedxml)."""
    import defusedxml.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except Exception as exc:  # ParseError and defusedxml's forbidden-construct errors
        raise DataError(f"rss: {feed}: not a feed: {exc}") from None
    atom = "{http://www.w3.org/2005/Atom}"
    channel = root.find("channel")
    outlet = (channel.findtext("title") if channel is not None else root.findtext(f"{atom}title")) or feed
    out = []
    for item in root.iter("item"):
        out.append(Article((item.findtext("title") or "").strip(), (item.findtext("link") or "").strip(), outlet.strip(),
                           _rfc822(item.findtext("pubDate")), (item.findtext("description") or "").strip()))
    for entry in root.iter(f"{atom}entry"):
        link = entry.find(f"{atom}link")
        out.append(Article((entry.findtext(f"{atom}title") or "").strip(),
                           link.get("href", "") if link is not None else "", outlet.strip(),
                           _iso(entry.findtext(f"{atom}updated") or entry.findtext(f"{atom}published")),
                           (entry.findtext(f"{atom}summary") or "").strip()))
    return out


class NewsSource(AltSource):
    """Source ``news``: NewsAPI first, RSS feeds when NewsAPI is cooling down, out of budget or failing."""

    name: ClassVar[str] = "news"
    keyed: ClassVar[bool] = True
    base_url: ClassVar[str] = "https://newsapi.org"
    description: ClassVar[str] = "NewsAPI (key: NEWSAPI_KEY; daily budget, 429 backoff) with RSS fallback"

    @property
    def offline(self) -> bool:
        return self.hub.is_offline("newsapi", True)

    @property
    def newsapi(self) -> SourceClient:
        return self.hub.client("newsapi", self.base_url, keyed=True, key_header="X-Api-Key")

    @property
    def rss(self) -> SourceClient:
        return self.hub.client("rss", "")

    def headlines(self, query: str, limit: int = 20) -> Sourced[list[Article]]:
        """Newest headlines about ``query`` from NewsAPI, else from RSS (filtered on the query words)."""
        try:
            return self._newsapi(query, limit)
        except DataError as exc:  # RateLimited, BudgetExhausted, SourceUnavailable, missing key
            reason = str(exc)
        rss = self._rss(query, limit)
        return Sourced(rss.value, rss.provenance, {**rss.meta, "fallback_reason": reason})

    def _newsapi(self, query: str, limit: int) -> Sourced[list[Article]]:
        fetch = self.newsapi.get("/v2/everything", {"q": query, "language": "en", "sortBy": "publishedAt",
                                                    "pageSize": min(100, limit)})
        body = fetch.json()
        if body.get("status") != "ok":
            raise DataError(f"newsapi: {body.get('code', '')}: {body.get('message', body)}")
        arts = [Article(a.get("title") or "", a.get("url") or "", (a.get("source") or {}).get("name") or "",
                        _iso(a.get("publishedAt")), a.get("description") or "") for a in body.get("articles", [])]
        return self._done("newsapi", fetch.url, fetch.fetched_at, fetch.offline, fetch.from_cache, arts[:limit], query)

    def _rss(self, query: str, limit: int) -> Sourced[list[Article]]:
        words = [w.lower() for w in query.replace('"', " ").split() if w.upper() not in ("AND", "OR", "NOT")]
        arts: list[Article] = []
        errors: list[str] = []
        last = None
        for feed in self.hub.config.rss_feeds:
            try:
                fetch = self.rss.get(feed)
                arts.extend(parse_rss(fetch.text, feed))
                last = fetch
            except DataError as exc:
                errors.append(str(exc))
        if last is None:
            raise DataError("news: NewsAPI and every RSS feed failed: " + "; ".join(errors))
        hits = [a for a in arts if not words or any(w in (a.title + " " + a.summary).lower() for w in words)]
        hits.sort(key=lambda a: a.published_ns or 0, reverse=True)
        out = self._done("rss", ",".join(self.hub.config.rss_feeds), last.fetched_at, last.offline, last.from_cache,
                         hits[:limit], query)
        return Sourced(out.value, out.provenance, {"feed_errors": errors})

    def _done(self, source: str, url: str, fetched: int, offline: bool, cached: bool, arts: list[Article],
              query: str) -> Sourced[list[Article]]:
        pub = max((a.published_ns for a in arts if a.published_ns), default=None)
        prov = Provenance(source, url, fetched, pub, offline, cached)
        self.hub.log.record(prov, query=query, articles=len(arts))
        return Sourced(arts, prov)

    def sample(self) -> Any:
        return self.headlines("stocks")


def _rfc822(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return dt_to_ns(parsedate_to_datetime(text.strip()))
    except (TypeError, ValueError):
        return None


def _iso(text: str | None) -> int | None:
    if not text:
        return None
    import pandas as pd

    try:
        ts = pd.Timestamp(text)
    except ValueError:
        return None
    return int((ts if ts.tzinfo else ts.tz_localize("UTC")).as_unit("ns").value)
