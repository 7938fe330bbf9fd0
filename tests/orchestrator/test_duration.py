"""The kernel's one duration/timeframe type: parse, format, lengths, bar counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradefleet.orchestrator.calendars import get_calendar
from tradefleet.orchestrator.clock import NS, dt_to_ns
from tradefleet.orchestrator.duration import MONTH_SECONDS, Duration, TimeframeError, parse_duration, parse_timeframe
from tradefleet.orchestrator.errors import ConfigError


def _ns(*args: int) -> int:
    return dt_to_ns(datetime(*args, tzinfo=UTC))


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("1m", 60), ("15m", 900), ("1h", 3_600), ("4h", 14_400), ("1d", 86_400), ("1w", 604_800),
    ("1mo", 2_629_800), ("3mo", 3 * 2_629_800), (" 4H ", 14_400), ("1D", 86_400),
])
def test_duration_parse_lengths(text: str, seconds: int) -> None:
    d = Duration.parse(text)
    assert d.seconds == seconds and d.ns == seconds * NS


def test_duration_formats_normalised() -> None:
    assert str(Duration.parse(" 4H ")) == "4h" and str(Duration.parse("1MO")) == "1mo"
    assert Duration.parse("60m") != Duration.parse("1h")  # formats differ even where lengths agree


def test_month_is_the_mean_month_everywhere() -> None:
    assert MONTH_SECONDS == 30.4375 * 86_400 == 365.25 / 12 * 86_400
    assert parse_timeframe("1mo").calendar and not parse_timeframe("1w").calendar


@pytest.mark.parametrize("text", ["", "m", "15", "1.5h", "15min", "1y", "tick", "fortnight", "-5m", "0m", None, 15])
def test_duration_unknown_raises_one_error(text: object) -> None:
    with pytest.raises(TimeframeError, match=r"e\.g\. '15m'"):
        Duration.parse(text)


def test_timeframe_error_is_a_config_and_value_error() -> None:
    assert issubclass(TimeframeError, ConfigError) and issubclass(TimeframeError, ValueError)


def test_capital_m_is_ambiguous() -> None:
    with pytest.raises(TimeframeError, match="'M' is ambiguous"):
        parse_timeframe("1M")


def test_timeframes_start_at_a_minute() -> None:
    with pytest.raises(TimeframeError, match="unit m, h, d, w or mo"):
        parse_timeframe("30s")


def test_signed_offsets_and_timedeltas() -> None:
    assert parse_duration("-10m", signed=True) == timedelta(minutes=-10)
    assert parse_duration("0m", signed=True) == timedelta(0)
    assert parse_duration("90s") == timedelta(seconds=90)
    with pytest.raises(TimeframeError, match="a month has no fixed length"):
        parse_duration("1mo", "schedule interval")


@pytest.mark.parametrize(("tf", "rule"), [("15m", "15min"), ("4h", "4h"), ("1d", "1D"), ("1w", "1W-SUN"),
                                          ("1mo", "1MS"), ("30s", "30s")])
def test_pandas_rule(tf: str, rule: str) -> None:
    assert Duration.parse(tf).pandas_rule() == rule


def test_close_grid() -> None:
    t = _ns(2024, 7, 3, 10, 37)  # a Wednesday
    assert Duration.parse("15m").close_at_or_before(t) == _ns(2024, 7, 3, 10, 30)
    assert Duration.parse("1d").close_at_or_before(t) == _ns(2024, 7, 3)
    assert Duration.parse("1w").close_at_or_before(t) == _ns(2024, 6, 30)  # Sunday 00:00 UTC
    assert Duration.parse("1mo").close_at_or_before(t) == _ns(2024, 7, 1)
    assert Duration.parse("3mo").close_at_or_before(t) == _ns(2024, 7, 1)
    assert Duration.parse("3mo").close_at_or_before(_ns(2024, 6, 3)) == _ns(2024, 4, 1)


def test_bars_between_on_the_utc_grid() -> None:
    start, end = _ns(2024, 1, 1), _ns(2024, 3, 1)
    assert Duration.parse("1d").bars_between(start, end) == 60  # 2024 is a leap year
    assert Duration.parse("1h").bars_between(start, start + 3 * 3_600 * NS) == 3
    assert Duration.parse("1mo").bars_between(start, end) == 2  # Feb 1 and Mar 1
    assert Duration.parse("1mo").bars_between(_ns(2024, 1, 31), _ns(2024, 2, 1)) == 1  # a one-day span
    assert Duration.parse("1w").bars_between(start, end) == 8  # Sundays Jan 7 .. Feb 25
    assert Duration.parse("3mo").bars_between(start, _ns(2024, 7, 2)) == 2  # Apr 1 and Jul 1
    assert Duration.parse("1d").bars_between(end, start) == 0


def test_bars_between_on_a_market_calendar() -> None:
    nyse = get_calendar("NYSE")
    # 2024-07-01 .. 2024-07-08: sessions Jul 1, 2, 3 (half day, 13:00 close), 5, 8; Jul 4 is a holiday
    start, end = _ns(2024, 6, 30), _ns(2024, 7, 8, 23)
    assert Duration.parse("1d").bars_between(start, end, nyse) == 5
    assert Duration.parse("1h").bars_between(start, end, nyse) == 4 * 7 + 4  # 6.5 h sessions, one 3.5 h
    assert Duration.parse("30m").bars_between(start, end, nyse) == 4 * 13 + 7
    monday = _ns(2024, 7, 8, 13, 30)  # 09:30 New York
    assert Duration.parse("1h").bars_between(monday, monday + 3_600 * NS, nyse) == 1
    assert Duration.parse("1h").bars_between(monday, monday + 3_599 * NS, nyse) == 0
    assert Duration.parse("1h").bars_between(monday + 6 * 3_600 * NS, _ns(2024, 7, 8, 20), nyse) == 1  # 16:00
    assert Duration.parse("1w").bars_between(start, end, nyse) == 2
    assert Duration.parse("1mo").bars_between(start, end, nyse) == 1
