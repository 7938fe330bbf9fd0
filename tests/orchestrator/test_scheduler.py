"""Tests of schedule triggers, the replay scheduler and the live (APScheduler) scheduler."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tradefleet.orchestrator.bot import Schedule
from tradefleet.orchestrator.calendars import get_calendar
from tradefleet.orchestrator.clock import LiveClock, SimClock, dt_to_ns
from tradefleet.orchestrator.errors import ConfigError
from tradefleet.orchestrator.scheduler import (
    CalendarFilterTrigger,
    LiveScheduler,
    SchedulerError,
    SessionCloseTrigger,
    SimScheduler,
    build_trigger,
    next_fire_ns,
    parse_duration,
)

NY = ZoneInfo("America/New_York")


def _fires(trigger: BaseTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Fire times in [start, end] as APScheduler computes them live (now just after a fire)."""
    out: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire <= end:
        out.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return out


def _utc(fires: list[datetime]) -> list[datetime]:
    return [f.astimezone(UTC) for f in fires]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("text", "expected"), [
    ("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)), ("4h", timedelta(hours=4)),
    ("1d", timedelta(days=1)), ("1w", timedelta(weeks=1)), ("30s", timedelta(seconds=30)),
])
def test_parse_duration_valid(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["15", "1.5h", "h", "15min", "", "-5m", "1y"])
def test_parse_duration_invalid(text: str) -> None:
    with pytest.raises(ConfigError, match="e.g. '15m'"):
        parse_duration(text)


def test_parse_duration_signed_offset() -> None:
    assert parse_duration("-15m", signed=True) == timedelta(minutes=-15)


def test_build_trigger_bad_interval_names_it() -> None:
    with pytest.raises(ConfigError, match=r"interval '90x'"):
        build_trigger(Schedule.interval("90x"))


@pytest.mark.parametrize(("schedule", "match"), [
    (Schedule.crontab("5 16 * *"), "5 fields"),
    (Schedule.crontab("61 16 * * *"), "61 16"),
    (Schedule.crontab("0 9 * * 8"), "day-of-week"),
    (Schedule.crontab("0 9 * * *", timezone="Mars/Olympus"), "Mars/Olympus"),
    (Schedule(kind="close", calendar=None), "needs a calendar"),
    (Schedule(kind="interval"), "needs every"),
    (Schedule.at_close(offset="5 minutes"), "offset '5 minutes'"),
])
def test_build_trigger_bad_schedule(schedule: Schedule, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_trigger(schedule)


def test_build_trigger_shared_for_equal_schedules() -> None:
    assert build_trigger(Schedule.at_close()) is build_trigger(Schedule.at_close())


# --------------------------------------------------------------------------- cron


def test_cron_in_non_utc_timezone_follows_dst() -> None:
    trigger = build_trigger(Schedule.crontab("30 9 * * mon-fri", timezone="Europe/London"))
    fires = _fires(trigger, datetime(2024, 3, 29, tzinfo=UTC), datetime(2024, 4, 2, 23, tzinfo=UTC))
    # Friday in GMT (09:30 UTC), Monday and Tuesday in BST (08:30 UTC): London moved on Mar 31.
    assert _utc(fires) == [datetime(2024, 3, 29, 9, 30, tzinfo=UTC), datetime(2024, 4, 1, 8, 30, tzinfo=UTC),
                           datetime(2024, 4, 2, 8, 30, tzinfo=UTC)]
    assert all(f.tzinfo is not None and f.astimezone(ZoneInfo("Europe/London")).hour == 9 for f in fires)


def test_cron_weekday_numbers_follow_crontab() -> None:
    # crontab: 0 = Sunday, 1-5 = Monday-Friday (APScheduler 3 alone would read 0 as Monday)
    sundays = _fires(build_trigger(Schedule.crontab("0 12 * * 0")),
                     datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 7, 31, tzinfo=UTC))
    assert [f.date() for f in sundays] == [date(2024, 7, d) for d in (7, 14, 21, 28)]
    weekdays = _fires(build_trigger(Schedule.crontab("0 12 * * 1-5")),
                      datetime(2024, 7, 6, tzinfo=UTC), datetime(2024, 7, 13, tzinfo=UTC))
    assert [f.weekday() for f in weekdays] == [0, 1, 2, 3, 4]


# --------------------------------------------------------------------------- interval


def test_interval_grid_is_anchored() -> None:
    fires = _fires(build_trigger(Schedule.interval("15m")),
                   datetime(2024, 7, 1, 10, 7, tzinfo=UTC), datetime(2024, 7, 1, 11, 0, tzinfo=UTC))
    assert [(f.hour, f.minute) for f in fires] == [(10, 15), (10, 30), (10, 45), (11, 0)]
    four = _fires(build_trigger(Schedule.interval("4h")),
                  datetime(2024, 7, 1, 1, tzinfo=UTC), datetime(2024, 7, 1, 23, tzinfo=UTC))
    assert [f.hour for f in four] == [4, 8, 12, 16, 20]


def test_interval_bad_unit_and_zero() -> None:
    with pytest.raises(ConfigError, match="must be positive"):
        build_trigger(Schedule.interval("0m"))


# --------------------------------------------------------------------------- close


def test_close_trigger_half_day_holiday_and_dst() -> None:
    trigger = build_trigger(Schedule.at_close("5m"))
    assert isinstance(trigger, SessionCloseTrigger)
    fires = _fires(trigger, datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 7, 8, 23, tzinfo=UTC))
    assert [f.replace(tzinfo=None) for f in fires] == [
        datetime(2024, 7, 1, 16, 5), datetime(2024, 7, 2, 16, 5), datetime(2024, 7, 3, 13, 5),
        datetime(2024, 7, 5, 16, 5), datetime(2024, 7, 8, 16, 5)]
    assert all(f.tzinfo == NY for f in fires)
    dst = _utc(_fires(trigger, datetime(2024, 3, 8, tzinfo=UTC), datetime(2024, 3, 11, 23, tzinfo=UTC)))
    assert dst == [datetime(2024, 3, 8, 21, 5, tzinfo=UTC), datetime(2024, 3, 11, 20, 5, tzinfo=UTC)]


def test_close_trigger_negative_offset_and_fx() -> None:
    before = build_trigger(Schedule.at_close("-15m"))
    assert before.get_next_fire_time(None, datetime(2024, 7, 3, tzinfo=NY)) == datetime(2024, 7, 3, 12, 45, tzinfo=NY)
    fx = build_trigger(Schedule.at_close("1m", calendar="FX"))
    fires = _fires(fx, datetime(2024, 7, 5, 21, 5, tzinfo=UTC), datetime(2024, 7, 9, tzinfo=UTC))
    assert [f.replace(tzinfo=None) for f in fires] == [datetime(2024, 7, 8, 17, 1)]


def test_close_trigger_is_inclusive_of_now() -> None:
    trigger = build_trigger(Schedule.at_close())
    at = datetime(2024, 7, 2, 16, 5, tzinfo=NY)
    assert trigger.get_next_fire_time(None, at) == at
    assert trigger.get_next_fire_time(at, at) == datetime(2024, 7, 3, 13, 5, tzinfo=NY)


# --------------------------------------------------------------------------- calendar filter


def test_filter_intraday_cron_keeps_open_times_only() -> None:
    trigger = build_trigger(Schedule.crontab("*/30 * * * *", timezone="America/New_York", calendar="NYSE"))
    assert isinstance(trigger, CalendarFilterTrigger) and trigger.mode == "open"
    half_day = _fires(trigger, datetime(2024, 7, 3, tzinfo=NY), datetime(2024, 7, 5, 11, tzinfo=NY))
    assert [f.strftime("%d %H:%M") for f in half_day] == [
        "03 09:30", "03 10:00", "03 10:30", "03 11:00", "03 11:30", "03 12:00", "03 12:30",
        "05 09:30", "05 10:00", "05 10:30", "05 11:00"]


def test_filter_daily_cron_uses_session_dates() -> None:
    trigger = build_trigger(Schedule.crontab("5 16 * * *", timezone="America/New_York", calendar="NYSE"))
    assert isinstance(trigger, CalendarFilterTrigger) and trigger.mode == "session"
    fires = _fires(trigger, datetime(2024, 12, 20, tzinfo=NY), datetime(2025, 1, 3, tzinfo=NY))
    assert [f.date() for f in fires] == [date(2024, 12, d) for d in (20, 23, 24, 26, 27, 30, 31)] + [date(2025, 1, 2)]
    # a daily cron in another timezone is judged by the calendar's trading date
    tokyo = build_trigger(Schedule.crontab("0 6 * * *", timezone="Asia/Tokyo", calendar="NYSE"))
    nxt = tokyo.get_next_fire_time(None, datetime(2024, 7, 4, 12, tzinfo=UTC))
    assert nxt == datetime(2024, 7, 6, 6, tzinfo=ZoneInfo("Asia/Tokyo"))  # = Fri Jul 5 17:00 NY


def test_filter_fx_interval_skips_weekend() -> None:
    trigger = build_trigger(Schedule.interval("1h", calendar="FX"))
    fires = _utc(_fires(trigger, datetime(2024, 7, 5, 18, tzinfo=UTC), datetime(2024, 7, 7, 22, tzinfo=UTC)))
    assert fires == [datetime(2024, 7, 5, h, tzinfo=UTC) for h in (18, 19, 20)] + [
        datetime(2024, 7, 7, 21, tzinfo=UTC), datetime(2024, 7, 7, 22, tzinfo=UTC)]


def test_filter_daily_interval_and_crypto() -> None:
    daily = build_trigger(Schedule.interval("1d", timezone="America/New_York", calendar="NYSE"))
    assert isinstance(daily, CalendarFilterTrigger) and daily.mode == "session"
    fires = _fires(daily, datetime(2024, 7, 3, tzinfo=NY), datetime(2024, 7, 9, 12, tzinfo=NY))
    assert [f.date() for f in fires] == [date(2024, 7, 3), date(2024, 7, 5), date(2024, 7, 8), date(2024, 7, 9)]
    # fixed 24 h steps anchored at a winter midnight: 01:00 local under daylight saving time
    assert {f.astimezone(NY).hour for f in fires} == {1}
    crypto = build_trigger(Schedule.interval("4h", calendar="CRYPTO"))
    plain = build_trigger(Schedule.interval("4h"))
    window = (datetime(2024, 12, 24, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))
    assert _fires(crypto, *window) == _fires(plain, *window)


@pytest.mark.parametrize(("schedule", "mode"), [
    (Schedule.crontab("*/20 * * * *", "America/New_York", "NYSE"), "open"),
    (Schedule.crontab("15 10 * * *", "Europe/London", "NYSE"), "session"),
    (Schedule.interval("15m", "UTC", "NYSE"), "open"),
    (Schedule.interval("1h", "Asia/Kolkata", "FX"), "open"),
    (Schedule.crontab("0 18 * * *", "America/New_York", "FX"), "session"),
], ids=lambda v: v.describe() if isinstance(v, Schedule) else v)
def test_filter_equals_brute_force(schedule: Schedule, mode: str) -> None:
    """The filter's jumps give exactly the raw trigger's fires that the calendar allows."""
    trigger = build_trigger(schedule)
    assert isinstance(trigger, CalendarFilterTrigger) and trigger.mode == mode
    cal = trigger.calendar
    start, end = datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 15, tzinfo=UTC)
    raw = _fires(trigger.inner, start, end)  # APScheduler's own get_next_fire_time
    keep = [f for f in raw if (cal.is_open(dt_to_ns(f)) if mode == "open"
                               else cal.is_session(cal.trading_date(dt_to_ns(f))))]
    assert _fires(trigger, start, end) == keep and 0 < len(keep) < len(raw)


def test_close_trigger_equals_sessions_plus_offset() -> None:
    nyse = get_calendar("NYSE")
    trigger = build_trigger(Schedule.at_close("7m"))
    fires = _fires(trigger, datetime(2018, 1, 1, tzinfo=UTC), datetime(2019, 1, 1, tzinfo=UTC))
    closes = [nyse.close_time(d) for d in nyse.sessions(date(2018, 1, 1), date(2018, 12, 31))]
    assert fires == [c + timedelta(minutes=7) for c in closes if c is not None]
    assert len(fires) == 251


# --------------------------------------------------------------------------- replay


SCHEDULES = [
    Schedule.at_close(),
    Schedule.at_close("-30m"),
    Schedule.crontab("5 16 * * 1-5", "America/New_York", "NYSE"),
    Schedule.crontab("*/15 * * * *", "America/New_York", "NYSE"),
    Schedule.crontab("0 8 * * mon", "Europe/London"),
    Schedule.interval("1h", calendar="FX"),
    Schedule.interval("4h", "Asia/Tokyo"),
    Schedule.interval("1d", "America/New_York", "NYSE"),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.describe())
def test_replay_fires_equal_trigger_fires(schedule: Schedule) -> None:
    start, end = datetime(2024, 2, 20, tzinfo=UTC), datetime(2024, 4, 10, tzinfo=UTC)
    trigger = build_trigger(schedule)
    expected = [dt_to_ns(f) for f in _fires(trigger, start, end)]
    sim = SimScheduler(SimClock(start))
    sim.add("bot", trigger)
    got = [ns for ns, _ in sim.pop_due(dt_to_ns(end))]
    assert got == expected and len(got) > 5


def test_replay_plain_interval_fast_path_matches_apscheduler() -> None:
    odd = IntervalTrigger(minutes=7, seconds=3, start_date=datetime(2024, 1, 1, 0, 0, 11, 5, tzinfo=UTC))
    start, end = datetime(2024, 3, 9, tzinfo=UTC), datetime(2024, 3, 12, tzinfo=UTC)
    expected = [dt_to_ns(f) for f in _fires(odd, start, end)]
    assert next_fire_ns(odd, None, dt_to_ns(start)) == expected[0]
    sim = SimScheduler(SimClock(start))
    sim.add("odd", odd)
    assert [ns for ns, _ in sim.pop_due(dt_to_ns(end))] == expected


def test_replay_orders_by_time_then_job_id() -> None:
    clock = SimClock(datetime(2024, 7, 1, tzinfo=UTC))
    sim = SimScheduler(clock)
    close = build_trigger(Schedule.at_close())
    for job in ("c", "a", "b"):
        sim.add(job, close)  # one shared trigger object
    sim.add("hourly", build_trigger(Schedule.interval("1h")))
    due = sim.pop_due(dt_to_ns(datetime(2024, 7, 2, 21, tzinfo=UTC)))
    assert due == sorted(due)
    closes = [(ns, j) for ns, j in due if j != "hourly"]
    c1, c2 = dt_to_ns(datetime(2024, 7, 1, 20, 5, tzinfo=UTC)), dt_to_ns(datetime(2024, 7, 2, 20, 5, tzinfo=UTC))
    assert closes == [(c1, "a"), (c1, "b"), (c1, "c"), (c2, "a"), (c2, "b"), (c2, "c")]
    assert sum(j == "hourly" for _, j in due) == 46  # 00:00 Jul 1 .. 21:00 Jul 2 inclusive
    assert sim.next_fire_ns() == dt_to_ns(datetime(2024, 7, 2, 22, tzinfo=UTC))


def test_replay_remove_add_and_errors() -> None:
    clock = SimClock(datetime(2024, 7, 1, tzinfo=UTC))
    sim = SimScheduler(clock)
    trigger = build_trigger(Schedule.interval("1h"))
    sim.add("x", trigger)
    with pytest.raises(SchedulerError, match="already exists"):
        sim.add("x", trigger)
    sim.remove("x")
    assert sim.next_fire_ns() is None and sim.pop_due(dt_to_ns(datetime(2025, 1, 1, tzinfo=UTC))) == []
    with pytest.raises(SchedulerError, match="does not exist"):
        sim.remove("x")
    clock.set(datetime(2024, 7, 1, 5, 30, tzinfo=UTC))
    assert sim.add("x", trigger) == dt_to_ns(datetime(2024, 7, 1, 6, tzinfo=UTC))  # re-added: now-based
    assert sim.jobs() == ["x"]


def test_replay_one_shot_trigger_finishes() -> None:
    clock = SimClock(datetime(2024, 7, 1, tzinfo=UTC))
    sim = SimScheduler(clock)
    at = datetime(2024, 7, 1, 12, tzinfo=UTC)
    sim.add("once", DateTrigger(run_date=at))
    assert sim.pop_due(dt_to_ns(at) + 10**12) == [(dt_to_ns(at), "once")]
    assert sim.jobs() == [] and sim.next_fire_ns() is None
    assert sim.add("past", DateTrigger(run_date=datetime(2024, 6, 1, tzinfo=UTC))) is not None


def test_filter_wraps_foreign_trigger() -> None:
    cron = CronTrigger(hour="*", minute="0", timezone=UTC)
    wrapped = CalendarFilterTrigger(cron, get_calendar("NYSE"), "open", NY)
    fires = _utc(_fires(wrapped, datetime(2024, 7, 5, tzinfo=UTC), datetime(2024, 7, 8, 15, tzinfo=UTC)))
    # NYSE open 13:30-20:00 UTC in summer: on-the-hour fires 14:00..19:00
    assert [f.hour for f in fires] == [14, 15, 16, 17, 18, 19, 14, 15]


# --------------------------------------------------------------------------- live


def test_live_scheduler_fires_with_scheduled_times() -> None:
    fired: list[tuple[str, datetime]] = []
    done = threading.Event()

    def callback(job_id: str, scheduled: datetime) -> None:
        fired.append((job_id, scheduled))
        if len(fired) == 1:
            raise RuntimeError("a faulting tick must not stop the schedule")
        if len(fired) >= 3:
            done.set()

    start = LiveClock().now().replace(microsecond=0)
    trigger = IntervalTrigger(seconds=0.2, start_date=start)
    live = LiveScheduler(callback, misfire_grace_time=30)
    live.add("tick", trigger)
    live.start()
    try:
        assert done.wait(timeout=20)
    finally:
        live.shutdown()
    assert [j for j, _ in fired[:3]] == ["tick"] * 3
    times = [t for _, t in fired[:3]]
    assert times == sorted(set(times))
    for t in times:  # each is a fire time of the trigger's grid, not the time it ran
        steps = (t - start) / timedelta(seconds=0.2)
        assert abs(steps - round(steps)) < 1e-4


def test_live_scheduler_never_overlaps_a_job() -> None:
    blocked, release, second = threading.Event(), threading.Event(), threading.Event()
    running: list[int] = []
    overlaps: list[int] = []
    lock = threading.Lock()

    def callback(job_id: str, scheduled: datetime) -> None:
        with lock:
            running.append(1)
            overlaps.append(len(running))
        if not blocked.is_set():
            blocked.set()
            release.wait(timeout=20)  # hold the first run while more fire times pass
        else:
            second.set()
        with lock:
            running.pop()

    refused = threading.Event()
    live = LiveScheduler(callback, misfire_grace_time=30)
    live.scheduler.add_listener(lambda _e: refused.set(), EVENT_JOB_MAX_INSTANCES)
    live.add("slow", IntervalTrigger(seconds=0.1, start_date=LiveClock().now()))
    live.start()
    try:
        assert blocked.wait(timeout=20)
        assert refused.wait(timeout=20)  # a due run was refused while the first was running
        release.set()
        assert second.wait(timeout=20)   # and the job keeps firing afterwards
    finally:
        release.set()
        live.shutdown()
    assert max(overlaps) == 1


def test_live_scheduler_skips_misfires() -> None:
    called: list[str] = []
    missed = threading.Event()
    events: list[JobExecutionEvent] = []
    live = LiveScheduler(lambda job_id, _: called.append(job_id), misfire_grace_time=1)

    def on_missed(event: JobExecutionEvent) -> None:
        events.append(event)
        missed.set()

    live.scheduler.add_listener(on_missed, EVENT_JOB_MISSED)
    late = LiveClock().now() - timedelta(seconds=30)
    live.start()
    try:
        live.add("late", DateTrigger(run_date=late))
        assert missed.wait(timeout=20)
    finally:
        live.shutdown()
    assert called == [] and events[0].job_id == "late"


def test_live_scheduler_job_lookup() -> None:
    live = LiveScheduler(lambda *_: None)
    live.add("close", build_trigger(Schedule.at_close()))
    nxt = live.next_fire_time("close")
    assert nxt is not None and nxt.tzinfo is not None
    assert get_calendar("NYSE").is_session(nxt.astimezone(NY).date())
    live.remove("close")
    with pytest.raises(SchedulerError):
        live.remove("close")
    with pytest.raises(SchedulerError):
        live.next_fire_time("close")
