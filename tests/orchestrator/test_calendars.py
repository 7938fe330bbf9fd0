"""Tests of the NYSE, FX and crypto calendars, checked against real bundled data."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tradefleet.orchestrator.calendars import CryptoCalendar, FxCalendar, NyseCalendar, get_calendar
from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.errors import ConfigError

NY = ZoneInfo("America/New_York")


def _ns(*args: int, tz: ZoneInfo = NY) -> int:
    return dt_to_ns(datetime(*args, tzinfo=tz))  # type: ignore[misc]


@pytest.fixture(scope="module")
def nyse() -> NyseCalendar:
    cal = get_calendar("NYSE")
    assert isinstance(cal, NyseCalendar)
    return cal


def _weekday_closures(cal: NyseCalendar, year: int) -> list[date]:
    d, out = date(year, 1, 1), []
    while d.year == year:
        if d.weekday() < 5 and not cal.is_session(d):
            out.append(d)
        d += timedelta(days=1)
    return out


def test_get_calendar_cached_and_case_insensitive() -> None:
    assert get_calendar("NYSE") is get_calendar("nyse")
    assert isinstance(get_calendar("FX"), FxCalendar)
    assert isinstance(get_calendar("crypto"), CryptoCalendar)


def test_get_calendar_unknown_name_raises() -> None:
    with pytest.raises(ConfigError, match="LSE"):
        get_calendar("LSE")


def test_nyse_holidays_2018_exact(nyse: NyseCalendar) -> None:
    expected = [date(2018, 1, 1), date(2018, 1, 15), date(2018, 2, 19), date(2018, 3, 30),
                date(2018, 5, 28), date(2018, 7, 4), date(2018, 9, 3), date(2018, 11, 22),
                date(2018, 12, 5), date(2018, 12, 25)]
    assert _weekday_closures(nyse, 2018) == expected
    assert nyse.holidays(2018)[date(2018, 12, 5)] == "G. H. W. Bush day of mourning"


def test_nyse_holidays_2024_exact(nyse: NyseCalendar) -> None:
    expected = [date(2024, 1, 1), date(2024, 1, 15), date(2024, 2, 19), date(2024, 3, 29),
                date(2024, 5, 27), date(2024, 6, 19), date(2024, 7, 4), date(2024, 9, 2),
                date(2024, 11, 28), date(2024, 12, 25)]
    assert _weekday_closures(nyse, 2024) == expected


@pytest.mark.parametrize(("day", "session"), [
    (date(2021, 12, 31), True),    # New Year 2022 on a Saturday: no Friday holiday
    (date(2017, 1, 2), False),     # New Year on a Sunday: observed Monday
    (date(2021, 12, 24), False),   # Christmas on a Saturday: observed Friday
    (date(2020, 7, 3), False),     # July 4 on a Saturday: observed Friday
    (date(2021, 6, 18), True),     # Juneteenth only from 2022
    (date(2022, 6, 20), False),    # Juneteenth on a Sunday: observed Monday
    (date(1997, 1, 20), True),     # MLK only from 1998
    (date(1998, 1, 19), False),
    (date(1994, 4, 27), False),    # Nixon
    (date(2012, 10, 30), False),   # Sandy
    (date(2025, 1, 9), False),     # Carter
    (date(2024, 3, 30), False),    # Saturday
])
def test_nyse_observance_rules(nyse: NyseCalendar, day: date, session: bool) -> None:
    assert nyse.is_session(day) is session


@pytest.mark.parametrize(("day", "close"), [
    (date(2018, 7, 3), time(13)), (date(2018, 11, 23), time(13)), (date(2018, 12, 24), time(13)),
    (date(2024, 7, 3), time(13)), (date(2024, 11, 29), time(13)), (date(2024, 12, 24), time(13)),
    (date(2002, 7, 5), time(13)),   # July 4 on a Thursday before 2013: the Friday after
    (date(2013, 7, 3), time(13)),   # ... and the Wednesday before from 2013
    (date(2003, 12, 26), time(13)),
    (date(1992, 11, 27), time(14)),
    (date(1991, 12, 24), time(14)),
])
def test_nyse_half_days(nyse: NyseCalendar, day: date, close: time) -> None:
    assert nyse.is_half_day(day)
    assert nyse.close_time(day) == datetime.combine(day, close, NY)


@pytest.mark.parametrize("day", [date(2002, 7, 3), date(2019, 7, 5), date(1991, 11, 29),
                                 date(2018, 7, 2), date(2024, 12, 23)])
def test_nyse_full_days_that_look_like_half_days(nyse: NyseCalendar, day: date) -> None:
    assert nyse.is_session(day) and not nyse.is_half_day(day)
    assert nyse.close_time(day) == datetime.combine(day, time(16), NY)


def test_nyse_close_in_utc_follows_dst(nyse: NyseCalendar) -> None:
    winter, summer = nyse.close_time(date(2024, 1, 10)), nyse.close_time(date(2024, 7, 10))
    assert winter is not None and summer is not None
    assert winter.astimezone(UTC).time() == time(21)
    assert summer.astimezone(UTC).time() == time(20)
    # the Friday before and the Monday after the March 2024 switch
    assert nyse.close_ns(date(2024, 3, 8)) == _ns(2024, 3, 8, 21, tz=ZoneInfo("UTC"))
    assert nyse.close_ns(date(2024, 3, 11)) == _ns(2024, 3, 11, 20, tz=ZoneInfo("UTC"))
    opened = nyse.open_time(date(2024, 3, 11))
    assert opened is not None and opened.utcoffset() == timedelta(hours=-4)


def test_nyse_non_session_has_no_hours(nyse: NyseCalendar) -> None:
    assert nyse.open_time(date(2024, 12, 25)) is None
    assert nyse.close_time(date(2024, 12, 28)) is None
    assert not nyse.is_half_day(date(2024, 12, 25))


def test_nyse_is_open(nyse: NyseCalendar) -> None:
    assert nyse.is_open(_ns(2024, 7, 10, 9, 30))
    assert nyse.is_open(_ns(2024, 7, 10, 15, 59, 59))
    assert not nyse.is_open(_ns(2024, 7, 10, 16))
    assert not nyse.is_open(_ns(2024, 7, 10, 9, 29))
    assert not nyse.is_open(_ns(2024, 7, 3, 13, 30))   # half day
    assert nyse.is_open(_ns(2024, 7, 3, 12, 59))
    assert not nyse.is_open(_ns(2024, 7, 4, 12))       # holiday
    assert not nyse.is_open(_ns(2024, 7, 6, 12))       # Saturday


def test_nyse_next_close_after(nyse: NyseCalendar) -> None:
    assert nyse.next_close_after(_ns(2024, 7, 2, 10)) == _ns(2024, 7, 2, 16)
    assert nyse.next_close_after(_ns(2024, 7, 2, 16)) == _ns(2024, 7, 3, 13)  # strictly after
    assert nyse.next_close_after(_ns(2024, 7, 3, 14)) == _ns(2024, 7, 5, 16)  # skips July 4
    assert nyse.next_close_after(_ns(2035, 12, 31, 16)) is None               # end of range


def test_nyse_sessions(nyse: NyseCalendar) -> None:
    assert nyse.sessions(date(2024, 12, 23), date(2024, 12, 31)) == [
        date(2024, 12, 23), date(2024, 12, 24), date(2024, 12, 26), date(2024, 12, 27),
        date(2024, 12, 30), date(2024, 12, 31)]
    assert len(nyse.sessions(date(2018, 1, 1), date(2018, 12, 31))) == 251
    assert len(nyse.sessions(date(2024, 1, 1), date(2024, 12, 31))) == 252


def test_nyse_matches_real_sp500_series(nyse: NyseCalendar) -> None:
    import pandas as pd

    spec = importlib.util.find_spec("arch")
    assert spec is not None and spec.submodule_search_locations
    frame = pd.read_csv(Path(spec.submodule_search_locations[0]) / "data/sp500/sp500.csv.gz",
                        index_col=0, parse_dates=True)
    bars = [ts.date() for ts in frame.index]
    assert len(bars) > 5000
    # No anomalies: every bar is a session, every session between first and last has a bar.
    assert [d for d in bars if not nyse.is_session(d)] == []
    assert nyse.sessions(bars[0], bars[-1]) == sorted(set(bars))


def test_fx_weekend() -> None:
    fx = get_calendar("FX")
    assert fx.is_open(_ns(2024, 3, 8, 16, 59))        # Friday before the close
    assert not fx.is_open(_ns(2024, 3, 8, 17))        # Friday 17:00 NY: closed
    assert not fx.is_open(_ns(2024, 3, 9, 12))        # Saturday
    assert not fx.is_open(_ns(2024, 3, 10, 16, 59))   # Sunday before the open
    assert fx.is_open(_ns(2024, 3, 10, 17))           # Sunday 17:00 NY: open (Monday's session)
    assert not fx.is_session(date(2024, 3, 9)) and not fx.is_session(date(2024, 3, 10))
    assert fx.open_time(date(2024, 3, 11)) == datetime(2024, 3, 10, 17, tzinfo=NY)
    assert fx.close_time(date(2024, 3, 8)) == datetime(2024, 3, 8, 17, tzinfo=NY)
    assert fx.next_close_after(_ns(2024, 3, 8, 17)) == _ns(2024, 3, 11, 17)


def test_fx_christmas_and_new_year() -> None:
    fx = get_calendar("FX")
    assert not fx.is_session(date(2024, 12, 25)) and not fx.is_session(date(2025, 1, 1))
    assert not fx.is_open(_ns(2024, 12, 25, 3))
    assert fx.is_open(_ns(2024, 12, 25, 17))          # Dec 26's session opens
    assert fx.next_close_after(_ns(2024, 12, 24, 17)) == _ns(2024, 12, 26, 17)


def test_fx_is_open_agrees_with_session_hours() -> None:
    fx = get_calendar("FX")
    start = _ns(2024, 12, 20, 0, tz=ZoneInfo("UTC"))
    for hour in range(24 * 16):
        ts = start + hour * 3_600_000_000_000 + 1
        generic = any(
            (o := fx.open_time(d)) is not None and dt_to_ns(o) <= ts < (fx.close_ns(d) or 0)
            for d in fx.sessions(date(2024, 12, 18), date(2025, 1, 8)))
        assert fx.is_open(ts) is generic


def test_crypto_always_open() -> None:
    crypto = get_calendar("CRYPTO")
    assert all(crypto.is_session(date(2024, 12, 20) + timedelta(days=i)) for i in range(14))
    assert crypto.is_open(_ns(2024, 12, 25, 3)) and crypto.is_open(_ns(2024, 3, 9, 12))
    assert crypto.close_time(date(2024, 3, 9)) == datetime(2024, 3, 10, tzinfo=UTC)
    assert crypto.next_close_after(_ns(2024, 3, 9, 0, tz=ZoneInfo("UTC"))) == _ns(2024, 3, 10, tz=ZoneInfo("UTC"))
    assert len(crypto.sessions(date(2024, 1, 1), date(2024, 12, 31))) == 366


def test_session_after_and_trading_date(nyse: NyseCalendar) -> None:
    fx, crypto = get_calendar("FX"), get_calendar("CRYPTO")
    assert nyse.session_after(_ns(2024, 7, 3, 12)) == (_ns(2024, 7, 3, 9, 30), _ns(2024, 7, 3, 13))
    assert nyse.session_after(_ns(2024, 7, 3, 13)) == (_ns(2024, 7, 5, 9, 30), _ns(2024, 7, 5, 16))
    assert fx.session_after(_ns(2024, 3, 9, 12)) == (_ns(2024, 3, 10, 17), _ns(2024, 3, 11, 17))
    assert crypto.session_after(_ns(2024, 3, 9, 12, tz=ZoneInfo("UTC"))) == (
        _ns(2024, 3, 9, tz=ZoneInfo("UTC")), _ns(2024, 3, 10, tz=ZoneInfo("UTC")))
    assert nyse.trading_date(_ns(2024, 7, 3, 20)) == date(2024, 7, 3)
    assert fx.trading_date(_ns(2024, 7, 3, 16, 59)) == date(2024, 7, 3)
    assert fx.trading_date(_ns(2024, 7, 3, 17)) == date(2024, 7, 4)
    assert crypto.trading_date(_ns(2024, 7, 3, 21)) == date(2024, 7, 4)  # 01:00 UTC next day


def test_nyse_table_is_every_session_s_open_and_close() -> None:
    """The bisect table (built column-wise) holds, for every session 1990-2035 in order, the
    open and close ``datetime.combine(day, time, New York)`` gives, half days included."""
    cal = NyseCalendar()  # a table of its own, built here
    opens, closes = cal._table()
    days = cal.sessions(cal.FIRST, cal.LAST)
    want_open, want_close = [], []
    for d in days:
        start, end = cal._hours(d)
        want_open.append(dt_to_ns(start))
        want_close.append(dt_to_ns(end))
    assert len(days) > 11_500
    assert opens == want_open
    assert closes == want_close
    assert all(type(x) is int for x in (*opens[:3], *closes[-3:]))  # bisect compares plain ints
