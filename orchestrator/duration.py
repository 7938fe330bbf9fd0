"""Durations and bar timeframes: one parser, one meaning for each unit.

A duration is a whole number and a unit: ``30s``, ``15m``, ``4h``, ``1d``, ``1w``, ``1mo``.
Bot timeframes, schedule intervals and offsets, data-hub bar sizes, staleness limits and
breaker scaling all parse through :meth:`Duration.parse`; anything else raises the one
:class:`TimeframeError`.

==== ============ ======================================================================
unit meaning      length
==== ============ ======================================================================
s    second       1 s
m    minute       60 s (never a month: ``M`` is refused as ambiguous)
h    hour         3,600 s
d    day          86,400 s (a UTC day; a *session* day only through a calendar)
w    week         7 days; weekly bars close Sunday 00:00 UTC
mo   month        a **calendar month**: bars bucket on the 1st at 00:00 UTC and a count
                  over a span counts month starts; where one fixed length is needed
                  (staleness, scaling a limit) it is the mean month, 30.4375 days
                  (365.25 / 12), 2,629,800 s
==== ============ ======================================================================

Units are case-insensitive except ``M``. Where the old parsers disagreed, ``1mo`` was 30
days (the rules veto), 30.4 days (the risk engine's breakers) or 30.4375 days (the data
hub); it is now 30.4375 days everywhere, and an unknown unit always raises instead of
meaning 0 s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from tradefleet.orchestrator.clock import NS, dt_to_ns, ns_to_dt
from tradefleet.orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from tradefleet.orchestrator.calendars import MarketCalendar

__all__ = ["Duration", "TimeframeError", "MONTH_SECONDS", "UNITS", "BAR_UNITS", "parse_duration", "parse_timeframe"]

UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 7 * 86_400}
MONTH_SECONDS = 2_629_800  # the mean month, 30.4375 days (365.25 / 12)
BAR_UNITS = ("m", "h", "d", "w", "mo")  # bar timeframes start at one minute
_RX = re.compile(r"([+-]?)(\d+)([A-Za-z]+)")
_WEEK_END_OFFSET = 3 * 86_400  # the epoch is a Thursday; weekly bars close Sunday 00:00 UTC
_HINT = "e.g. '15m', '1h', '1d', '1mo'"


class TimeframeError(ConfigError, ValueError):
    """A duration or timeframe that is not a whole number and a known unit."""


@dataclass(frozen=True)
class Duration:
    """A whole number of one unit (``count`` may be negative only for offsets)."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text: object, what: str = "duration", *, signed: bool = False,
              units: tuple[str, ...] = ("s", *BAR_UNITS)) -> Duration:
        """Parse ``"15m"`` (``"-10m"`` if ``signed``); raise TimeframeError naming ``what``."""
        match = _RX.fullmatch(text.strip()) if isinstance(text, str) else None
        unit = match.group(3) if match else ""
        unit = unit if unit == "M" else unit.lower()
        if match is None or unit not in units or (match.group(1) and not signed):
            sign = "an optional sign, " if signed else ""
            names = ", ".join(units[:-1]) + f" or {units[-1]}"
            extra = " ('M' is ambiguous: 'm' is minutes, 'mo' months)" if unit == "M" else ""
            raise TimeframeError(f"{what} {text!r}: use {sign}a whole number and a unit {names}{extra}, {_HINT}")
        count = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
        if count == 0 and not signed:
            raise TimeframeError(f"{what} {text!r}: must be positive, {_HINT}")
        return cls(count, unit)

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"

    @property
    def calendar(self) -> bool:
        """True for months, whose length depends on where they fall."""
        return self.unit == "mo"

    @property
    def seconds(self) -> int:
        """Length in seconds (a month counts :data:`MONTH_SECONDS`)."""
        return self.count * (MONTH_SECONDS if self.unit == "mo" else UNITS[self.unit])

    @property
    def ns(self) -> int:
        """Length in nanoseconds (a month counts :data:`MONTH_SECONDS`)."""
        return self.seconds * NS

    def timedelta(self, what: str = "duration") -> timedelta:
        """The exact length; months have none (use a cron for a monthly schedule)."""
        if self.calendar:
            raise TimeframeError(f"{what} {str(self)!r}: a month has no fixed length; use a cron schedule "
                                 "or a unit s, m, h, d or w")
        return timedelta(seconds=self.seconds)

    def pandas_rule(self) -> str:
        """The pandas resample rule whose buckets end at bar close times."""
        n = self.count
        return {"s": f"{n}s", "m": f"{n}min", "h": f"{n}h", "d": f"{n}D", "w": f"{n}W-SUN", "mo": f"{n}MS"}[self.unit]

    def close_at_or_before(self, ts_ns: int) -> int:
        """The last bar close at or before ``ts_ns`` on this timeframe's UTC grid."""
        if self.calendar:
            t = ns_to_dt(ts_ns)
            months = t.year * 12 + t.month - 1
            months -= months % self.count
            return dt_to_ns(datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC))
        off = _WEEK_END_OFFSET * NS if self.unit == "w" else 0
        return (ts_ns - off) // self.ns * self.ns + off

    def bars_between(self, start_ns: int, end_ns: int, calendar: MarketCalendar | None = None) -> int:
        """How many bars close in ``(start_ns, end_ns]``.

        Without ``calendar``: bar closes on the UTC grid (months on the 1st). With one:
        only market time counts: intraday bars start at each session's open and the last
        one of a session closes with it (a 6.5 h session holds seven 1h bars); daily or
        longer bars count sessions (``1d``), or the weeks or months that hold a session
        close (``1w``, ``1mo``).
        """
        if end_ns <= start_ns:
            return 0
        if calendar is None:
            if self.calendar:
                return _months(end_ns) // self.count - _months(start_ns) // self.count
            return (self.close_at_or_before(end_ns) - self.close_at_or_before(start_ns)) // self.ns
        sessions = _sessions(calendar, start_ns, end_ns)
        if self.unit in ("s", "m", "h"):
            return sum(_intraday_closes(o, c, self.ns, start_ns, end_ns) for o, c in sessions)
        closes = [c for _, c in sessions if start_ns < c <= end_ns]
        if self.unit == "d":
            return len(closes) // self.count
        buckets = {self.close_at_or_before(c - 1) for c in closes}
        return len(buckets) // self.count


def parse_duration(text: object, what: str = "duration", *, signed: bool = False) -> timedelta:
    """Parse a fixed-length duration to a timedelta (``"-10m"`` if ``signed``)."""
    return Duration.parse(text, what, signed=signed).timedelta(what)


def parse_timeframe(text: object, what: str = "timeframe") -> Duration:
    """Parse a bar timeframe: a positive number of minutes, hours, days, weeks or months."""
    return Duration.parse(text, what, units=BAR_UNITS)


def _months(ts_ns: int) -> int:
    """Month starts (1st 00:00 UTC) at or before ``ts_ns``, counted from year 0."""
    t = ns_to_dt(ts_ns)
    return t.year * 12 + t.month - 1


def _sessions(calendar: MarketCalendar, start_ns: int, end_ns: int) -> list[tuple[int, int]]:
    """(open_ns, close_ns) of every session overlapping ``(start_ns, end_ns]``."""
    out: list[tuple[int, int]] = []
    for d in _dates(start_ns, end_ns):
        opened, closed = calendar.open_time(d), calendar.close_time(d)
        if opened is not None and closed is not None:
            o, c = dt_to_ns(opened), dt_to_ns(closed)
            if c > start_ns and o < end_ns:
                out.append((o, c))
    return out


def _intraday_closes(open_ns: int, close_ns: int, step: int, start_ns: int, end_ns: int) -> int:
    """Bars of one session closing in ``(start_ns, end_ns]``: ``open + k*step``, then the close."""
    last = -(-(close_ns - open_ns) // step)  # bars in the session; the last one ends at the close
    lo = max(1, (start_ns - open_ns) // step + 1)
    hi = min(last - 1, (end_ns - open_ns) // step)
    return max(0, hi - lo + 1) + (1 if start_ns < close_ns <= end_ns else 0)


def _dates(start_ns: int, end_ns: int) -> list[date]:
    """Every date that may label a session touching the span (a day of slack each side)."""
    first = ns_to_dt(start_ns).date() - timedelta(days=1)
    last = ns_to_dt(end_ns).date() + timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
