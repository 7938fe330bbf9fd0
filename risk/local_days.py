"""Local calendar days of one time zone: which day an instant falls on, and when it ends.

The daily-loss guard, the per-fleet and per-bot daily budgets and the trades-per-day
counter all reset at local midnight, and each computed the local date of ``now``
(``datetime.fromtimestamp``, ~1.7 us) and the next midnight (a zone-aware
``datetime.timestamp``, ~3 us) in its own copy of the same code whenever a day ended (every
tick of a daily-bar replay).

:class:`LocalDays` keeps the midnights of a run of consecutive days in a sorted list and
answers with one ``bisect``; the table grows by blocks as time moves on, and one table per
zone is shared by everything in the process that asks (:func:`local_days`), so each midnight
is computed once (about 1% of a single daily bot's loop saved). A midnight is
the first instant of the local date, as ``datetime.combine(day, time.min, tz)`` gives it
(fold 0: where midnight is skipped by a DST jump, the instant of the jump; where it
repeats, its first occurrence). Instants are compared as integer nanoseconds, so one
nanosecond before midnight is still the old day (``fromtimestamp`` of a float rounds such
an instant up to the new day).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from tradefleet.orchestrator.clock import NS

BLOCK = 64        # days of midnights computed at once when the table grows
MAX_GAP = 4_000   # a jump further than this from the table starts a new table


class LocalDays:
    """The local days of ``tz`` (see the module doc)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        # (ordinal of the first day, midnights of that day and the following ones); replaced
        # whole when it grows, so a reader in another thread sees one consistent table
        self._table: tuple[int, list[int]] = (0, [])
        self._lock = threading.Lock()

    def midnight(self, ordinal: int) -> int:
        """The first instant (ns since the epoch) of the local date with ``ordinal``."""
        return int(datetime.combine(date.fromordinal(ordinal), time.min, self.tz).timestamp()) * NS

    def day(self, now_ns: int) -> tuple[date, int]:
        """The local date of ``now_ns`` and the first instant of the next date."""
        first, starts = self._table
        if starts and starts[0] <= now_ns < starts[-1]:
            i = bisect_right(starts, now_ns) - 1
            return date.fromordinal(first + i), starts[i + 1]
        return self._grow(now_ns)

    def _grow(self, now_ns: int) -> tuple[date, int]:
        # exactly like fromtimestamp, but in integer nanoseconds (see the module doc)
        guess = datetime.fromtimestamp(now_ns // NS, tz=self.tz).date().toordinal()
        with self._lock:
            first, starts = self._table
            last = first + len(starts) - 1  # the last day whose midnight is in the table
            if not starts or guess < first - MAX_GAP or guess > last + MAX_GAP:
                lo, hi = guess - 1, guess + BLOCK
                starts = [self.midnight(o) for o in range(lo, hi + 1)]
            else:
                lo, hi = min(first, guess - BLOCK), max(last, guess + BLOCK)
                starts = ([self.midnight(o) for o in range(lo, first)] + starts
                          + [self.midnight(o) for o in range(last + 1, hi + 1)])
            self._table = (lo, starts)
        i = bisect_right(starts, now_ns) - 1
        return date.fromordinal(lo + i), starts[i + 1]


_SHARED: dict[str, LocalDays] = {}


def local_days(tz: str | ZoneInfo) -> LocalDays:
    """The process's one :class:`LocalDays` of ``tz`` (a zone name or a ``ZoneInfo``)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    key = zone.key
    if key is None:  # a zone read from a file of its own: not shared
        return LocalDays(zone)
    days = _SHARED.get(key)
    if days is None:
        days = _SHARED.setdefault(key, LocalDays(zone))
    return days
