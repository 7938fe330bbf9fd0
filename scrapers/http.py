"""The one HTTP client every alternative-data source uses, live and offline.

:class:`SourceClient` wraps an ``httpx.Client`` with the source's limits: a TTL cache
(answers served from memory carry their original fetch time), a daily budget, a token
bucket, timeouts, retries on reads (timeouts, connection errors, 5xx) with doubling waits,
and an escalating cooldown after HTTP 429. Waits go through an injected sleeper, so tests
advance a SimClock instead of sleeping. Offline, the transport reads recorded fixtures:
same code path, no network, no budget spent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tradefleet.orchestrator.clock import NS, Clock, dt_to_ns
from tradefleet.scrapers.config import SourcePolicy
from tradefleet.scrapers.limits import BudgetLedger, Guard, Sleeper, SourceUnavailable, TransientDataError, TTLCache

__all__ = ["Fetch", "SourceClient", "SourceUnavailable"]
from tradefleet.scrapers.recorded import FixtureTransport


@dataclass(frozen=True)
class Fetch:
    """One HTTP answer: decoded body, URL (secrets removed), when it was fetched."""

    url: str
    status: int
    text: str
    headers: dict[str, str]
    fetched_at: int
    from_cache: bool = False
    offline: bool = False

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise SourceUnavailable(f"{self.url}: response is not JSON ({exc.msg} at {exc.pos})") from None


class SourceClient:
    """HTTP GETs for one source under its limits. ``secret_params`` never reach logs or cache keys."""

    def __init__(self, name: str, base_url: str, policy: SourcePolicy, clock: Clock, *,
                 offline: bool = False, sleep: Sleeper | None = None, headers: dict[str, str] | None = None,
                 params: dict[str, str] | None = None, secret_params: tuple[str, ...] = (),
                 transport: httpx.BaseTransport | None = None, ledger: BudgetLedger | None = None) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.clock = clock
        self.offline = offline
        self.fixed_params = dict(params or {})
        self.secret_params = secret_params
        self.guard = Guard(name, policy, clock, sleep, ledger)
        self.budget = self.guard.budget
        self.cooldown = self.guard.cooldown
        self.cache: TTLCache[Fetch] = TTLCache(policy.ttl_seconds, clock)
        if offline and transport is None:
            transport = FixtureTransport(name)
        self.http = httpx.Client(base_url=self.base_url, timeout=policy.timeout_seconds, transport=transport,
                                 headers=headers or {}, follow_redirects=False)
        self.network_requests = 0

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, Any] | None = None, use_cache: bool = True) -> Fetch:
        """GET ``path`` (relative to the base URL, or an absolute URL's path) under the limits."""
        if self.base_url and (path.startswith("http://") or path.startswith("https://")):
            path = httpx.URL(path).path  # follow-up links (NWS) keep our base URL
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        key = (path, tuple(sorted(query.items())))
        hit = self.cache.get(key) if use_cache else None
        if hit is not None:
            return _replace(hit.value, from_cache=True)
        fetch = self._fetch(path, {**self.fixed_params, **query})
        self.cache.put(key, fetch, fetch.fetched_at)
        return fetch

    def _fetch(self, path: str, query: dict[str, str]) -> Fetch:
        shown = self._public_url(path, query)
        if self.offline:
            return self._checked(self._send(path, query, shown))

        def once() -> Fetch:
            try:
                fetch = self._send(path, query, shown)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                raise TransientDataError(f"{type(exc).__name__}: {exc}") from None
            if fetch.status == 429:
                raise TransientDataError("HTTP 429", _retry_after(fetch.headers, self.clock), rate_limited=True)
            if fetch.status >= 500:
                raise TransientDataError(f"HTTP {fetch.status}")
            return self._checked(fetch)

        return self.guard.call(once, shown)

    def _send(self, path: str, query: dict[str, str], shown: str) -> Fetch:
        if not self.offline:
            self.network_requests += 1
        resp = self.http.get(path, params=query)
        return Fetch(shown, resp.status_code, resp.text, {k.lower(): v for k, v in resp.headers.items()},
                     self.clock.now_ns(), offline=self.offline)

    def _checked(self, fetch: Fetch) -> Fetch:
        if fetch.status in (401, 403):
            raise SourceUnavailable(f"{self.name}: key refused by {fetch.url} (HTTP {fetch.status}); check [data.keys]")
        if fetch.status >= 400:
            raise SourceUnavailable(f"{self.name}: HTTP {fetch.status} from {fetch.url}: {fetch.text[:160]}")
        return fetch

    def _public_url(self, path: str, query: dict[str, str]) -> str:
        shown = {k: ("***" if k in self.secret_params else v) for k, v in query.items()}
        qs = "&".join(f"{k}={v}" for k, v in shown.items())
        where = "fixtures:" + self.name if self.offline else self.base_url
        return f"{where}{path}" + (f"?{qs}" if qs else "")


def _replace(fetch: Fetch, **kw: Any) -> Fetch:
    from dataclasses import replace

    return replace(fetch, **kw)


def _retry_after(headers: dict[str, str], clock: Clock) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date)."""
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, (dt_to_ns(parsedate_to_datetime(raw)) - clock.now_ns()) / NS)
    except (TypeError, ValueError):
        return None
