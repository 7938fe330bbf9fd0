"""Per-source limits on the injected clock: rate limit, daily budget, 429 cooldown, TTL cache.

Nothing here sleeps or reads the wall clock: waits are returned (or handed to an injected
sleeper by the caller), so tests drive everything with a :class:`~tradefleet.orchestrator.clock.SimClock`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from tradefleet.orchestrator.clock import NS, Clock, SimClock
from tradefleet.orchestrator.errors import DataError

DAY_NS = 86_400 * NS
T = TypeVar("T")

Sleeper = Callable[[float], None]


def default_sleeper(clock: Clock) -> Sleeper:
    """Advance a SimClock, else really sleep (live: the wall clock moves by itself)."""
    if isinstance(clock, SimClock):
        return clock.advance
    import time

    return time.sleep


class BudgetExhausted(DataError):
    """The source's daily request budget is spent; it resets at 00:00 UTC."""


class RateLimited(DataError):
    """The source answered 429 (or is cooling down after one); no request was sent."""

    def __init__(self, message: str, retry_at_ns: int) -> None:
        super().__init__(message)
        self.retry_at_ns = retry_at_ns


class SourceUnavailable(DataError):
    """The source could not answer (timeouts, 5xx after retries, refused key, bad payload)."""


class TransientDataError(DataError):
    """A read failed in a way a retry may fix (timeout, connection, 5xx); ``rate_limited`` for 429."""

    def __init__(self, message: str, retry_after: float | None = None, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class RateLimiter:
    """Token bucket: ``burst`` requests back to back, then ``per_minute`` on average."""

    def __init__(self, per_minute: float, burst: int, clock: Clock) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._tokens = float(burst)
        self._at = clock.now_ns()

    def wait_seconds(self) -> float:
        """Return how long to wait before the next request may go (0: now)."""
        self._refill()
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate

    def take(self) -> None:
        """Spend one token (call after waiting :meth:`wait_seconds`)."""
        self._refill()
        self._tokens -= 1.0

    def _refill(self) -> None:
        now = self.clock.now_ns()
        self._tokens = min(self.burst, self._tokens + (now - self._at) / NS * self.rate)
        self._at = now


class DailyBudget:
    """At most ``limit`` network requests per UTC day; ``ledger`` keeps the count across restarts."""

    def __init__(self, source: str, limit: int, clock: Clock, ledger: BudgetLedger | None = None) -> None:
        self.source = source
        self.limit = limit
        self.clock = clock
        self.ledger = ledger
        self.day, self.used = clock.now_ns() // DAY_NS, 0
        if ledger is not None:
            day, used = ledger.get(source)
            if day == self.day:
                self.used = used

    @property
    def remaining(self) -> int:
        self._roll()
        return max(0, self.limit - self.used)

    def spend(self) -> None:
        """Count one request, or raise BudgetExhausted when the day's budget is spent."""
        self._roll()
        if self.used >= self.limit:
            raise BudgetExhausted(f"{self.source}: daily budget of {self.limit} requests spent; "
                                  f"resets at 00:00 UTC (raise [data.policies.{self.source}].daily_budget)")
        self.used += 1
        if self.ledger is not None:
            self.ledger.put(self.source, self.day, self.used)

    def _roll(self) -> None:
        today = self.clock.now_ns() // DAY_NS
        if today != self.day:
            self.day, self.used = today, 0


class BudgetLedger:
    """Requests spent per source and UTC day, in a JSON file (so a restart loop cannot
    spend a metered API's budget twice). Thread-safe; ``path`` None keeps it in memory."""

    def __init__(self, path: str | Path | None = None) -> None:
        import threading

        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._data: dict[str, list[int]] = {}
        if self.path is not None and self.path.exists():
            try:
                self._data = {k: [int(v[0]), int(v[1])] for k, v in json.loads(self.path.read_text()).items()}
            except (ValueError, TypeError, IndexError, AttributeError) as exc:
                raise DataError(f"{self.path}: unreadable budget ledger ({exc}); delete it to reset") from None

    def get(self, source: str) -> tuple[int, int]:
        """``(day, used)`` of ``source`` (day -1 when unknown)."""
        with self._lock:
            day, used = self._data.get(source, [-1, 0])
            return day, used

    def put(self, source: str, day: int, used: int) -> None:
        with self._lock:
            self._data[source] = [day, used]
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self._data, sort_keys=True))
                os.replace(tmp, self.path)


class Cooldown:
    """Escalating backoff after 429s: base, 2x base, 4x base ... capped; reset on success.

    A ``Retry-After`` longer than the escalated wait wins."""

    def __init__(self, source: str, base_s: float, cap_s: float, clock: Clock) -> None:
        self.source = source
        self.base_s = base_s
        self.cap_s = cap_s
        self.clock = clock
        self.strikes = 0
        self.until_ns = 0

    def check(self) -> None:
        """Raise RateLimited while cooling down."""
        now = self.clock.now_ns()
        if now < self.until_ns:
            raise RateLimited(f"{self.source}: cooling down after HTTP 429 for another "
                              f"{(self.until_ns - now) / NS:.0f} s (strike {self.strikes})", self.until_ns)

    def strike(self, retry_after_s: float | None) -> float:
        """Record a 429; return the wait in seconds."""
        wait = min(self.cap_s, self.base_s * 2 ** self.strikes)
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, self.cap_s))
        self.strikes += 1
        self.until_ns = self.clock.now_ns() + int(wait * NS)
        return wait

    def reset(self) -> None:
        self.strikes = 0
        self.until_ns = 0


@dataclass(frozen=True)
class CacheEntry(Generic[T]):
    fetched_at: int
    value: T


class TTLCache(Generic[T]):
    """Answers by key, fresh for ``ttl_s`` seconds of clock time."""

    def __init__(self, ttl_s: float, clock: Clock) -> None:
        self.ttl_ns = int(ttl_s * NS)
        self.clock = clock
        self._items: dict[Any, CacheEntry[T]] = {}

    def get(self, key: Any) -> CacheEntry[T] | None:
        hit = self._items.get(key)
        if hit is None or self.clock.now_ns() - hit.fetched_at >= self.ttl_ns:
            return None
        return hit

    def put(self, key: Any, value: T, fetched_at: int | None = None) -> CacheEntry[T]:
        entry = CacheEntry(self.clock.now_ns() if fetched_at is None else fetched_at, value)
        self._items[key] = entry
        return entry

    def clear(self) -> None:
        self._items.clear()


class Guard:
    """All limits of one source around a read: cooldown, budget, rate limit, retries.

    ``call(fn)`` raises RateLimited (after a 429: no retry, the cooldown escalates),
    BudgetExhausted, or SourceUnavailable once ``retries`` transient failures are spent."""

    def __init__(self, name: str, policy: Any, clock: Clock, sleep: Sleeper | None = None,
                 ledger: BudgetLedger | None = None) -> None:
        self.name = name
        self.policy = policy
        self.clock = clock
        self.sleep = sleep or default_sleeper(clock)
        self.limiter = RateLimiter(policy.rate_per_minute, policy.burst, clock)
        self.budget = DailyBudget(name, policy.daily_budget, clock, ledger)
        self.cooldown = Cooldown(name, policy.cooldown_seconds, policy.max_cooldown_seconds, clock)

    def call(self, fn: Callable[[], T], what: str, requests: int = 1) -> T:
        """Run ``fn`` (one read of ``requests`` network requests) under the limits."""
        self.cooldown.check()
        attempt = 0
        while True:
            for _ in range(requests):
                self.budget.spend()
            wait = self.limiter.wait_seconds()
            if wait > 0:
                self.sleep(wait)
            self.limiter.take()
            try:
                out = fn()
            except TransientDataError as exc:
                if exc.rate_limited:
                    wait_s = self.cooldown.strike(exc.retry_after)
                    raise RateLimited(f"{self.name}: HTTP 429 from {what}; backing off {wait_s:.0f} s "
                                      f"(strike {self.cooldown.strikes})", self.cooldown.until_ns) from None
                if attempt >= self.policy.retries:
                    raise SourceUnavailable(f"{self.name}: {what} failed after {attempt + 1} attempt(s): {exc}") from None
                self.sleep(self.policy.backoff_seconds * 2 ** attempt)
                attempt += 1
                continue
            self.cooldown.reset()
            return out
