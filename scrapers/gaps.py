"""Holes in a bar series, judged against the instrument's calendar and timeframe.

A weekend is not a hole for an equity (NYSE sessions) or for spot FX (24/5), but it is for
crypto (24/7); a missing hour is a hole only when the market was open. Bars expected
between two consecutive bars are counted with :meth:`Duration.bars_between` on the
calendar; more than ``max_missing`` of them in a row is an error naming the first missing
bar. Only spans longer than ``max_missing`` bars are counted, so a long file costs little.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tradefleet.orchestrator.clock import ns_to_dt
from tradefleet.orchestrator.duration import Duration, parse_timeframe

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.calendars import MarketCalendar

DEFAULT_MAX_MISSING = 3
_CALENDAR_OF_CLASS = {"crypto": "CRYPTO", "fx": "FX", "equity": "NYSE", "index": "NYSE", "option": "NYSE"}


@dataclass(frozen=True)
class Hole:
    """``missing`` expected bars between row ``row - 1`` and row ``row`` (0-based), the first at ``first_ns``."""

    row: int
    missing: int
    first_ns: int
    calendar: str

    def describe(self, tf: str, since: object, max_missing: int) -> str:
        first = ns_to_dt(self.first_ns)
        when = f"{first:%Y-%m-%d}" if parse_timeframe(tf).seconds >= 86_400 else f"{first:%Y-%m-%d %H:%M}Z"
        return (f"{self.missing} missing {tf} bars since {since} ({self.calendar} calendar; at most {max_missing} "
                f"allowed); the first missing bar is {when}")


def calendar_for(asset_class: str | None) -> str | None:
    """The calendar name of an asset class (None: unknown, e.g. prediction markets)."""
    return _CALENDAR_OF_CLASS.get(str(asset_class).lower()) if asset_class else None


def infer_calendar(index: pd.DatetimeIndex, tf: str) -> str:
    """Guess the calendar of a series: bars on a UTC weekend day mean 24/7; intraday bars
    outside NYSE hours mean 24/5 (FX); otherwise NYSE sessions."""
    from tradefleet.orchestrator.calendars import get_calendar

    days = index.dayofweek
    if ((days == 5) | ((days == 6) & (index.hour >= 1) & (index.hour < 20))).any():
        return "CRYPTO"
    if parse_timeframe(tf).seconds < 86_400:
        nyse = get_calendar("NYSE")
        ns = index.as_unit("ns").asi8
        sample = ns[:: max(1, len(ns) // 200)]
        if not all(nyse.is_open(int(t) - 1) for t in sample):
            return "FX"
    return "NYSE"


def find_hole(index: pd.DatetimeIndex, tf: str, calendar: str | None = None,
              max_missing: int = DEFAULT_MAX_MISSING) -> Hole | None:
    """The first span of more than ``max_missing`` missing bars, or None."""
    from tradefleet.orchestrator.calendars import get_calendar

    if len(index) < 2:
        return None
    d = parse_timeframe(tf)
    intraday_or_daily = d.unit in ("m", "h", "d")
    name = (calendar or infer_calendar(index, tf)) if intraday_or_daily else "UTC"
    cal = get_calendar(name) if intraday_or_daily else None
    ns = index.as_unit("ns").asi8
    step = np.diff(ns)
    for i in np.flatnonzero(step > max_missing * d.ns):  # shorter spans cannot hold more missing bars
        a, b = int(ns[i]), int(ns[i + 1])
        missing = d.bars_between(a, b, cal) - 1
        if missing > max_missing:
            return Hole(int(i) + 1, missing, _first_missing(d, cal, a), name)
    return None


def _first_missing(d: Duration, cal: MarketCalendar | None, after_ns: int) -> int:
    """The close of the first bar expected after ``after_ns``."""
    if cal is None:
        return d.close_at_or_before(after_ns) + d.ns
    if d.unit == "d":  # the first session labelled after the bar's UTC date (bars are stamped by day or at the close)
        from datetime import timedelta

        from tradefleet.orchestrator.clock import dt_to_ns

        day = ns_to_dt(after_ns).date() + timedelta(days=1)
        while not cal.is_session(day):
            day += timedelta(days=1)
        close = cal.close_time(day)
        return dt_to_ns(close) if close is not None else after_ns
    lo, hi = after_ns, after_ns + 40 * max(d.ns, 86_400 * 10**9)
    while hi - lo > 60 * 10**9:  # bisect to the minute on "one bar closes in (after, t]"
        mid = (lo + hi) // 2
        if d.bars_between(after_ns, mid, cal) >= 1:
            hi = mid
        else:
            lo = mid
    return hi // (60 * 10**9) * (60 * 10**9)  # closes fall on whole minutes
