"""Retry policy for venue *reads*: exponential backoff with jitter, honouring Retry-After.

Writes are never retried here: a write that may have reached the venue raises
:class:`~tradefleet.orchestrator.errors.OrderStateUnknown` and is settled by a query. The policy waits
through an injected ``sleep`` (a SimClock advance in tests) so no test sleeps for real.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tradefleet.orchestrator.errors import TransientBrokerError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    """Retry a read up to ``attempts`` times on :class:`TransientBrokerError`."""

    attempts: int = 4
    base_s: float = 0.25
    cap_s: float = 10.0
    max_retry_after_s: float = 60.0
    sleep: Callable[[float], None] = field(default=lambda s: None)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    waits: list[float] = field(default_factory=list)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Return the wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after_s)
        backoff = min(self.cap_s, self.base_s * (2 ** attempt))
        return backoff * (0.5 + self.rng.random() / 2)  # "equal jitter"

    def call(self, fn: Callable[[], T], what: str = "read") -> T:
        """Run ``fn``; on a transient error wait and retry; re-raise the last error."""
        for attempt in range(self.attempts):
            try:
                return fn()
            except TransientBrokerError as exc:
                if attempt == self.attempts - 1:
                    raise TransientBrokerError(f"{what}: gave up after {self.attempts} attempts: {exc}",
                                               exc.retry_after) from None
                wait = self.delay(attempt, exc.retry_after)
                self.waits.append(wait)
                self.sleep(wait)
        raise AssertionError("unreachable")


def parse_retry_after(value: str | None) -> float | None:
    """Parse a Retry-After header given in seconds (HTTP-date forms are treated as absent)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None
