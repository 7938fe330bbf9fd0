"""Client-side rate limiting: a token bucket per venue on an injected clock.

Each venue publishes a request budget (Alpaca 200/min, OANDA 100/s per connection, Kalshi
10 writes/s on the basic tier, Coinbase 30/s private, Binance 6000 weight/min...). The
adapter asks the bucket before each call; the bucket says how long to wait, and the caller
waits through an injected ``sleep`` so tests run on a :class:`~tradefleet.orchestrator.clock.SimClock`
without real sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from tradefleet.orchestrator.clock import NS, Clock

#: Published REST limits (requests per second, burst) per venue; conservative.
VENUE_LIMITS: dict[str, tuple[float, float]] = {
    "alpaca": (200 / 60, 10),
    "oanda": (100.0, 100),
    "kalshi": (10.0, 10),
    "polymarket": (50.0, 50),
    "coinbase": (30.0, 30),
    "binance": (20.0, 50),
}
DEFAULT_LIMIT: tuple[float, float] = (10.0, 10)
_EPS = 1e-6


@dataclass
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; time comes from ``clock``."""

    rate: float
    burst: float
    clock: Clock
    sleep: Callable[[float], None] | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"token bucket needs rate > 0 and burst >= 1, got {self.rate}, {self.burst}")
        self._tokens = float(self.burst)
        self._last_ns = self.clock.now_ns()
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def _refill(self) -> None:
        now = self.clock.now_ns()
        if now > self._last_ns:
            self._tokens = min(self.burst, self._tokens + (now - self._last_ns) / NS * self.rate)
            self._last_ns = now

    def try_acquire(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens if available and return 0, else return the seconds to wait."""
        with self._lock:
            self._refill()
            if self._tokens + _EPS >= cost:  # tolerate ns rounding of the clock
                self._tokens = max(0.0, self._tokens - cost)
                return 0.0
            return max((cost - self._tokens) / self.rate, 1e-6)

    def acquire(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens, waiting through ``sleep`` as needed; return the seconds waited."""
        total = 0.0
        while True:
            wait = self.try_acquire(cost)
            if wait <= 0:
                self.waited_s += total
                return total
            if self.sleep is None:
                raise RuntimeError("token bucket is empty and no sleep function was given")
            self.sleep(wait)
            total += wait


def bucket_for(venue: str, clock: Clock, sleep: Callable[[float], None] | None,
               override: tuple[float, float] | None = None) -> TokenBucket:
    """Return a bucket with ``venue``'s published limit (or ``override`` as (rate, burst))."""
    rate, burst = override or VENUE_LIMITS.get(venue, DEFAULT_LIMIT)
    return TokenBucket(rate=rate, burst=burst, clock=clock, sleep=sleep)
