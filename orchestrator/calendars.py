"""Market calendars: when NYSE, FX and crypto markets are in session.

No third-party calendar library: the rules are written here and checked against real
data (every bar of the bundled S&P 500 series falls on a session and every session has a
bar). ``get_calendar(name)`` returns a cached instance.

A *session* is labelled by a ``date``: for the NYSE the trading day itself (09:30-16:00
America/New_York, 13:00 on half days); for FX the trading day that *closes* at 17:00
New York (it opened at 17:00 the evening before, so Monday's session opens Sunday 17:00);
for crypto the UTC calendar day (00:00 to 24:00 UTC). Open and close times are aware
datetimes in the exchange timezone; ``*_ns`` methods use int nanoseconds since the epoch.
"""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from dateutil.easter import easter

from tradefleet.orchestrator.clock import dt_to_ns, ns_to_dt
from tradefleet.orchestrator.errors import ConfigError

__all__ = ["MarketCalendar", "NyseCalendar", "FxCalendar", "CryptoCalendar", "get_calendar",
           "CALENDAR_NAMES", "nyse_holidays", "nyse_early_closes"]

CALENDAR_NAMES = ("NYSE", "FX", "CRYPTO")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
_DAY = timedelta(days=1)
_DAY_NS = 86_400 * 1_000_000_000
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


class MarketCalendar(ABC):
    """Sessions of one market. Subclasses define which dates are sessions and their hours."""

    name: str
    tz: ZoneInfo

    @abstractmethod
    def is_session(self, d: date) -> bool:
        """Return True if the market holds a session labelled ``d``."""

    @abstractmethod
    def _hours(self, d: date) -> tuple[datetime, datetime]:
        """Return (open, close) of the session labelled ``d`` (assumed to be a session)."""

    def open_time(self, d: date) -> datetime | None:
        """Return the aware open time of session ``d``, or None if ``d`` is not a session."""
        return self._hours(d)[0] if self.is_session(d) else None

    def close_time(self, d: date) -> datetime | None:
        """Return the aware close time of session ``d``, or None if ``d`` is not a session."""
        return self._hours(d)[1] if self.is_session(d) else None

    def is_half_day(self, d: date) -> bool:
        """Return True if ``d`` is a session that closes early."""
        return False

    def sessions(self, start: date, end: date) -> list[date]:
        """Return every session date in ``[start, end]``, in order."""
        out: list[date] = []
        d = start
        while d <= end:
            if self.is_session(d):
                out.append(d)
            d += _DAY
        return out

    def close_ns(self, d: date) -> int | None:
        """Return the close of session ``d`` in ns, or None if ``d`` is not a session."""
        close = self.close_time(d)
        return None if close is None else dt_to_ns(close)

    def is_open(self, ts_ns: int) -> bool:
        """Return True if the market is in session at ``ts_ns`` (open inclusive, close exclusive)."""
        local = self._local_date(ts_ns)
        for d in (local - _DAY, local, local + _DAY):
            if self.is_session(d):
                start, end = self._hours(d)
                if dt_to_ns(start) <= ts_ns < dt_to_ns(end):
                    return True
        return False

    def next_close_after(self, ts_ns: int) -> int | None:
        """Return the first session close strictly after ``ts_ns`` (ns), None past the range."""
        window = self.session_after(ts_ns)
        return None if window is None else window[1]

    def session_after(self, ts_ns: int) -> tuple[int, int] | None:
        """Return (open_ns, close_ns) of the first session closing strictly after ``ts_ns``.

        That is the session in progress at ``ts_ns`` if the market is open (then
        ``open_ns <= ts_ns``), else the next one; None past the calendar's range.
        """
        d = self._local_date(ts_ns) - _DAY
        for _ in range(30):  # no market here is closed for more than a few days running
            if self.is_session(d):
                start, end = self._hours(d)
                close = dt_to_ns(end)
                if close > ts_ns:
                    return dt_to_ns(start), close
            d += _DAY
        return None

    def trading_date(self, ts_ns: int) -> date:
        """Return the session label ``ts_ns`` counts toward: the exchange-local date.

        (FX overrides it: from 17:00 New York a time counts toward the next day.) A
        daily schedule bound to a calendar fires only when this date is a session.
        """
        return self._local_date(ts_ns)

    def _local_date(self, ts_ns: int) -> date:
        return ns_to_dt(ts_ns).astimezone(self.tz).date()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


# --------------------------------------------------------------------------- NYSE rules


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """Return the ``n``-th (1-based; -1 = last) ``weekday`` of ``month``."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + month // 12, month % 12 + 1, 1)
    last = nxt - _DAY
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _nearest_weekday(d: date) -> date:
    """Observe a Saturday holiday on Friday and a Sunday holiday on Monday."""
    if d.weekday() == SAT:
        return d - _DAY
    if d.weekday() == SUN:
        return d + _DAY
    return d


# One-off full-day closures from 1990 on (national mourning, 9/11, hurricane Sandy).
NYSE_SPECIAL_CLOSURES: dict[date, str] = {
    date(1994, 4, 27): "Nixon day of mourning",
    date(2001, 9, 11): "September 11",
    date(2001, 9, 12): "September 11",
    date(2001, 9, 13): "September 11",
    date(2001, 9, 14): "September 11",
    date(2004, 6, 11): "Reagan day of mourning",
    date(2007, 1, 2): "Ford day of mourning",
    date(2012, 10, 29): "Hurricane Sandy",
    date(2012, 10, 30): "Hurricane Sandy",
    date(2018, 12, 5): "G. H. W. Bush day of mourning",
    date(2025, 1, 9): "Carter day of mourning",
}

# One-off 13:00 closes that no recurring rule covers (Friday after Christmas).
NYSE_SPECIAL_EARLY_CLOSES: dict[date, time] = {
    date(1997, 12, 26): time(13),
    date(2003, 12, 26): time(13),
}


@cache
def nyse_holidays(year: int) -> dict[date, str]:
    """Return the NYSE full-day holidays (weekdays only) of ``year`` by rule, with names."""
    days: dict[date, str] = {}
    new_year = date(year, 1, 1)
    if new_year.weekday() == SUN:
        days[new_year + _DAY] = "New Year's Day (observed)"
    elif new_year.weekday() != SAT:  # Saturday: no Friday holiday (NYSE rule 51)
        days[new_year] = "New Year's Day"
    if year >= 1998:
        days[_nth_weekday(year, 1, MON, 3)] = "Martin Luther King Jr. Day"
    days[_nth_weekday(year, 2, MON, 3)] = "Washington's Birthday"
    days[easter(year) - timedelta(days=2)] = "Good Friday"
    days[_nth_weekday(year, 5, MON, -1)] = "Memorial Day"
    if year >= 2022:
        days[_nearest_weekday(date(year, 6, 19))] = "Juneteenth"
    days[_nearest_weekday(date(year, 7, 4))] = "Independence Day"
    days[_nth_weekday(year, 9, MON, 1)] = "Labor Day"
    days[_nth_weekday(year, 11, THU, 4)] = "Thanksgiving Day"
    days[_nearest_weekday(date(year, 12, 25))] = "Christmas Day"
    days.update({d: why for d, why in NYSE_SPECIAL_CLOSURES.items() if d.year == year})
    return days


@cache
def nyse_early_closes(year: int) -> dict[date, time]:
    """Return the NYSE early closes of ``year`` by rule: date -> local close time.

    Rules (NYSE closings history, as in pandas_market_calendars):
    - July 3 at 13:00 from 1995 when it is a Monday, Tuesday or Thursday; a Wednesday
      July 3 only from 2013: from 1996 to 2012, when July 4 was a Thursday the half day
      was Friday July 5 instead.
    - The day after Thanksgiving: 14:00 in 1992, 13:00 from 1993 (none before 1992).
    - Christmas Eve on a Monday-Thursday: 14:00 before 1993, 13:00 from 1993 (a Friday
      December 24 is the observed Christmas holiday).
    - One-offs: December 26 of 1997 and 2003 at 13:00.
    """
    days: dict[date, time] = {}
    july3 = date(year, 7, 3)
    if year >= 1995 and (july3.weekday() in (MON, TUE, THU) or (july3.weekday() == WED and year >= 2013)):
        days[july3] = time(13)
    july5 = date(year, 7, 5)
    if 1996 <= year <= 2012 and july5.weekday() == FRI:
        days[july5] = time(13)
    if year >= 1992:
        days[_nth_weekday(year, 11, THU, 4) + _DAY] = time(14) if year == 1992 else time(13)
    eve = date(year, 12, 24)
    if eve.weekday() <= THU:
        days[eve] = time(14) if year < 1993 else time(13)
    days.update({d: t for d, t in NYSE_SPECIAL_EARLY_CLOSES.items() if d.year == year})
    return days


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _seconds(t: time) -> int:
    """Seconds after midnight of a wall-clock time."""
    return t.hour * 3600 + t.minute * 60 + t.second


class NyseCalendar(MarketCalendar):
    """New York Stock Exchange: 09:30-16:00 America/New_York, holidays 1990-2035 by rule.

    Dates outside ``[FIRST, LAST]`` are not sessions (the rules are only checked there),
    so ``next_close_after`` returns None after the last close of 2035.
    """

    name = "NYSE"
    tz = NEW_YORK
    FIRST = date(1990, 1, 1)
    LAST = date(2035, 12, 31)
    OPEN = time(9, 30)
    CLOSE = time(16)

    def __init__(self) -> None:
        self._closes: list[int] | None = None  # every session close in order, built lazily
        self._opens: list[int] = []

    def is_session(self, d: date) -> bool:
        return (self.FIRST <= d <= self.LAST and d.weekday() < SAT
                and d not in nyse_holidays(d.year))

    def is_half_day(self, d: date) -> bool:
        return self.is_session(d) and d in nyse_early_closes(d.year)

    def _hours(self, d: date) -> tuple[datetime, datetime]:
        close = nyse_early_closes(d.year).get(d, self.CLOSE)
        return (datetime.combine(d, self.OPEN, self.tz), datetime.combine(d, close, self.tz))

    def holidays(self, year: int) -> dict[date, str]:
        """Return the weekday closures of ``year`` (date -> reason)."""
        return dict(sorted(nyse_holidays(year).items()))

    def _table(self) -> tuple[list[int], list[int]]:
        """All ~11.6k sessions' opens and closes, so is_open/next_close_after are a bisect.

        Built column-wise (~8 ms instead of ~84 ms one session at a time, paid inside the
        first replay that schedules on NYSE closes): the weekdays less the holidays, then
        local open and close times made UTC by pandas' vectorised ``tz_localize``. Opens and
        closes (09:30, 13:00, 14:00, 16:00) never fall in a New York DST gap or overlap, so
        each instant is the one ``datetime.combine(day, time, tz)`` gives (a test compares
        every session with :meth:`sessions` and :meth:`_hours`)."""
        if self._closes is None:
            import numpy as np
            import pandas as pd

            years = range(self.FIRST.year, self.LAST.year + 1)
            ords = np.arange(self.FIRST.toordinal(), self.LAST.toordinal() + 1, dtype=np.int64)
            holidays = np.array([d.toordinal() for y in years for d in nyse_holidays(y)], dtype=np.int64)
            ords = ords[((ords - 1) % 7 < SAT) & ~np.isin(ords, holidays)]  # ordinal 1 is a Monday
            close_s = np.full(len(ords), _seconds(self.CLOSE), dtype=np.int64)
            for y in years:
                for d, t in nyse_early_closes(y).items():
                    i = int(np.searchsorted(ords, d.toordinal()))
                    if i < len(ords) and ords[i] == d.toordinal():
                        close_s[i] = _seconds(t)
            midnight = (ords - _EPOCH_ORDINAL) * 86_400

            def utc(local_s: np.ndarray) -> list[int]:
                naive = pd.DatetimeIndex((local_s * 1_000_000_000).astype("datetime64[ns]"))
                return naive.tz_localize(self.tz).asi8.tolist()  # type: ignore[no-any-return]

            self._opens, self._closes = utc(midnight + _seconds(self.OPEN)), utc(midnight + close_s)
        return self._opens, self._closes

    def is_open(self, ts_ns: int) -> bool:
        opens, closes = self._table()
        i = bisect.bisect_right(closes, ts_ns)
        return i < len(closes) and opens[i] <= ts_ns

    def next_close_after(self, ts_ns: int) -> int | None:
        _, closes = self._table()
        i = bisect.bisect_right(closes, ts_ns)
        return closes[i] if i < len(closes) else None

    def session_after(self, ts_ns: int) -> tuple[int, int] | None:
        opens, closes = self._table()
        i = bisect.bisect_right(closes, ts_ns)
        return (opens[i], closes[i]) if i < len(closes) else None


# --------------------------------------------------------------------------- FX, crypto


class FxCalendar(MarketCalendar):
    """Spot FX, 24/5: each session runs 17:00-17:00 America/New_York.

    Session ``d`` (Monday to Friday) opens at 17:00 New York on the day before ``d`` and
    closes at 17:00 on ``d``: the week opens Sunday 17:00 and closes Friday 17:00. The
    sessions labelled December 25 and January 1 are closed (no trading from 17:00 the
    evening before until 17:00 on the holiday).
    """

    name = "FX"
    tz = NEW_YORK
    ROLL = time(17)

    def is_session(self, d: date) -> bool:
        return d.weekday() < SAT and (d.month, d.day) not in ((12, 25), (1, 1))

    def _hours(self, d: date) -> tuple[datetime, datetime]:
        return (datetime.combine(d - _DAY, self.ROLL, self.tz), datetime.combine(d, self.ROLL, self.tz))

    def is_open(self, ts_ns: int) -> bool:
        return self.is_session(self.trading_date(ts_ns))

    def trading_date(self, ts_ns: int) -> date:
        local = ns_to_dt(ts_ns).astimezone(self.tz)
        return local.date() + _DAY if local.time() >= self.ROLL else local.date()


class CryptoCalendar(MarketCalendar):
    """Crypto, 24/7: every UTC calendar day is a session from 00:00 to 24:00 UTC."""

    name = "CRYPTO"
    tz = UTC

    def is_session(self, d: date) -> bool:
        return True

    def _hours(self, d: date) -> tuple[datetime, datetime]:
        start = datetime.combine(d, time(0), self.tz)
        return start, start + _DAY

    def is_open(self, ts_ns: int) -> bool:
        return True

    def session_after(self, ts_ns: int) -> tuple[int, int] | None:
        start = ts_ns // _DAY_NS * _DAY_NS
        return start, start + _DAY_NS


_CLASSES: dict[str, type[MarketCalendar]] = {"NYSE": NyseCalendar, "FX": FxCalendar, "CRYPTO": CryptoCalendar}


def get_calendar(name: str) -> MarketCalendar:
    """Return the shared calendar ``name`` (``NYSE``, ``FX`` or ``CRYPTO``, any case)."""
    if name.upper() not in _CLASSES:
        raise ConfigError(f"unknown market calendar {name!r}: use one of {', '.join(CALENDAR_NAMES)}")
    return _instance(name.upper())


@cache
def _instance(name: str) -> MarketCalendar:
    return _CLASSES[name]()
