"""The local-day table shared by the daily-loss guard, the scoped daily budgets and the
trades-per-day counter: the same day and the same midnight as aware ``datetime`` arithmetic,
in zones whose clocks change at midnight, by half an hour, or skipped a whole date."""

from __future__ import annotations

import random
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tradefleet.risk import local_days as mod
from tradefleet.risk.config import DailyLossConfig, PortfolioRiskConfig
from tradefleet.risk.daily_loss import DailyLossGuard
from tradefleet.risk.limits import TradeCounter
from tradefleet.risk.local_days import LocalDays, local_days
from tradefleet.risk.persistence import MemoryRiskStore
from tradefleet.risk.scoped_loss import ScopedDailyLoss
from tradefleet.risk.state import StateBook
from tradefleet.risk.alerts import AlertSink

NS = 10**9
ZONES = ["America/New_York", "Europe/London", "UTC", "America/Santiago", "Asia/Beirut", "Australia/Lord_Howe",
         "Pacific/Apia"]


def _midnight(tz: ZoneInfo, d: date) -> int:
    """The reference: an aware local midnight (fold 0), in ns."""
    return int(datetime.combine(d, time.min, tz).timestamp()) * NS


def _reference(tz: ZoneInfo, now_ns: int) -> tuple[date, int]:
    """The local date of ``now_ns`` (whole seconds, so exact) and the next date's midnight."""
    today = datetime.fromtimestamp(now_ns // NS, tz=tz).date()
    return today, _midnight(tz, date.fromordinal(today.toordinal() + 1))


@pytest.mark.parametrize("zone", ZONES)
def test_every_midnight_1990_2040_and_the_instants_around_it(zone: str) -> None:
    """Every third day 1990-2040: the nanosecond before a midnight is the old day (its end is
    that midnight), the midnight itself and the instant after are the new day."""
    tz = ZoneInfo(zone)
    days = LocalDays(tz)
    for o in range(date(1990, 1, 1).toordinal(), date(2040, 1, 1).toordinal(), 3):
        d = date.fromordinal(o)
        m = _midnight(tz, d)
        end = _midnight(tz, date.fromordinal(o + 1))
        if end == m:  # a date skipped whole (Apia, 2011-12-30): its instants belong to the next one
            continue
        assert days.day(m) == (d, end), d
        assert days.day(m + 1) == (d, end), d
        assert days.day(end - 1) == (d, end), d
        assert days.day(m - 1)[1] == m, d


@pytest.mark.parametrize("zone", ZONES)
def test_random_instants_in_any_order_agree_with_datetime(zone: str) -> None:
    """Instants jumping back and forth (the table grows both ways, and starts anew after a
    long gap) give what ``fromtimestamp`` and an aware midnight give."""
    tz = ZoneInfo(zone)
    days = LocalDays(tz)
    rng = random.Random(7)  # generated instants
    lo, hi = _midnight(tz, date(1950, 1, 1)), _midnight(tz, date(2090, 1, 1))
    for _ in range(400):
        now = rng.randrange(lo, hi) if rng.random() < 0.3 else \
            (rng.randrange(lo, hi) // NS) * NS + rng.choice([0, 1, NS - 1])
        assert days.day(now) == _reference(tz, now), now


def test_a_long_gap_starts_a_new_table_instead_of_filling_it() -> None:
    days = LocalDays(ZoneInfo("America/New_York"))
    days.day(_midnight(days.tz, date(2000, 1, 1)))
    days.day(_midnight(days.tz, date(2100, 1, 1)))
    first, starts = days._table
    assert date.fromordinal(first) > date(2099, 1, 1) and len(starts) <= mod.BLOCK + 2


def test_one_table_per_zone_is_shared_by_every_guard() -> None:
    zone = "Asia/Tokyo"
    cfg = PortfolioRiskConfig()
    guard = DailyLossGuard(DailyLossConfig(pct=0.05, timezone=zone), zone, MemoryRiskStore(), MemoryRiskStore())
    counter = TradeCounter(zone)
    scoped = ScopedDailyLoss(cfg.model_copy(update={"daily_loss": cfg.daily_loss.model_copy(update={"timezone": zone})}),
                             zone, StateBook(AlertSink(None), MemoryRiskStore()))
    assert guard.days is counter.days is scoped.days is local_days(ZoneInfo(zone)) is local_days(zone)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe"])
def test_the_guards_roll_at_the_table_s_midnight(zone: str) -> None:
    """The daily-loss guard and the trades-per-day counter read their day and its end from
    the table: the halt of one day is gone one nanosecond after the day's last instant."""
    tz = ZoneInfo(zone)
    guard = DailyLossGuard(DailyLossConfig(pct=0.05, timezone=zone), zone, MemoryRiskStore(), MemoryRiskStore())
    d = date(2026, 4, 5)  # Lord Howe leaves DST that morning (half an hour)
    m = _midnight(tz, d)
    end = _midnight(tz, date(2026, 4, 6))
    guard.update(m + 3_600 * NS, 100_000.0)
    assert guard.update(m + 7_200 * NS, 90_000.0) and guard.day == d.isoformat()
    assert guard.day_end_ns() == end
    assert guard.update(end - 1, 90_000.0)  # still that day: still halted
    assert not guard.update(end, 90_000.0) and guard.day == "2026-04-06"
    counter = TradeCounter(zone)
    counter.add("b", "f", end - 1)
    assert counter.day == d.isoformat() and counter.today("bot", "b") == 1
    counter.add("b", "f", end)
    assert counter.day == "2026-04-06" and counter.today("bot", "b") == 1
