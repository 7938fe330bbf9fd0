"""The one source of time.

Nothing else in tradefleet reads the wall clock: live code gets a :class:`LiveClock`,
replay and tests a :class:`SimClock` they advance. Times are UTC-aware datetimes at the
API and int nanoseconds on hot paths.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

NS = 1_000_000_000


def dt_to_ns(ts: datetime) -> int:
    """Convert an aware datetime to int nanoseconds since the epoch."""
    if ts.tzinfo is None:
        raise ValueError(f"naive datetime {ts!r}: tradefleet times must be timezone-aware")
    delta = ts - EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1_000


def ns_to_dt(ns: int) -> datetime:
    """Convert int nanoseconds since the epoch to an aware UTC datetime (µs precision)."""
    return datetime.fromtimestamp(ns // 1_000 / 1_000_000, tz=UTC)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    """Where every component reads the time from."""

    def now(self) -> datetime:
        """Return the current time, UTC-aware."""
        ...

    def now_ns(self) -> int:
        """Return the current time in nanoseconds since the epoch."""
        ...


class LiveClock:
    """The wall clock, used live and on paper."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ns(self) -> int:
        return time.time_ns()


class SimClock:
    """A clock that moves only when told to: replay, backtests and tests."""

    def __init__(self, start: datetime | int = 0) -> None:
        self._ns = start if isinstance(start, int) else dt_to_ns(start)

    def now(self) -> datetime:
        return ns_to_dt(self._ns)

    def now_ns(self) -> int:
        return self._ns

    def set_ns(self, ns: int) -> None:
        """Move the clock to ``ns``; time never runs backwards."""
        if ns < self._ns:
            raise ValueError(f"SimClock cannot run backwards: {ns} < {self._ns}")
        self._ns = ns

    def set(self, ts: datetime) -> None:
        """Move the clock to ``ts``."""
        self.set_ns(dt_to_ns(ts))

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.set_ns(self._ns + int(seconds * NS))
