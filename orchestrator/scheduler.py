"""Bot schedules as APScheduler triggers, fired on a simulated clock (replay) or live.

:func:`build_trigger` turns a :class:`~tradefleet.orchestrator.bot.Schedule` into an APScheduler
``BaseTrigger``. The same trigger objects drive :class:`SimScheduler` (replay and tests,
on a :class:`~tradefleet.orchestrator.clock.SimClock`) and :class:`LiveScheduler` (APScheduler's
``BackgroundScheduler``), so a schedule fires at the same instants in replay as live.

Schedule kinds:

``cron``      a standard 5-field crontab in the schedule's timezone. Day-of-week numbers
              follow crontab (0 or 7 = Sunday, 1 = Monday); APScheduler 3 reads 0 as
              Monday, so numbers are translated to names before it sees them.
``interval``  every ``15m``/``1h``/``4h``/``1d``/``1w`` (``<int><s|m|h|d|w>``, parsed by
              :mod:`tradefleet.orchestrator.duration`; months have no fixed length: use a cron): fixed-length
              steps anchored at Monday 2000-01-03 00:00 in the schedule's timezone (so
              ``1h`` fires on the hour, ``15m`` at :00/:15/:30/:45). Steps are absolute
              durations (APScheduler semantics): use a cron for a local wall time.
``close``     ``offset`` after each session close of the calendar (16:05 New York, 13:05
              on half days, for the default ``5m``); the offset may be negative.

Calendar filter (``cron`` and ``interval`` with ``calendar`` set): a fire time ``t`` is kept

- for a *daily* schedule (a cron whose minute and hour fields are single numbers, or an
  interval of a day or more) iff ``calendar.trading_date(t)`` is a session, so
  ``"5 16 * * *"`` fires at 16:05 on NYSE sessions only, after the close;
- otherwise (intraday) iff ``calendar.is_open(t)`` (open inclusive, close exclusive), so
  ``"*/30 * * * *"`` on NYSE fires 09:30 ... 15:30 (12:30 on half days).

Skipped fire times are simply not returned; the next kept one is.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tradefleet.orchestrator.bot import Schedule
from tradefleet.orchestrator.calendars import MarketCalendar, get_calendar
from tradefleet.orchestrator.clock import EPOCH, Clock, LiveClock, SimClock, dt_to_ns
from tradefleet.orchestrator.duration import parse_duration
from tradefleet.orchestrator.errors import ConfigError, TradefleetError

if TYPE_CHECKING:
    from apscheduler.job import Job

__all__ = ["build_trigger", "parse_duration", "SessionCloseTrigger", "CalendarFilterTrigger",
           "next_fire_ns", "SimScheduler", "LiveScheduler", "SchedulerError"]

_US = 1_000  # ns per µs: APScheduler steps past a previous fire by one microsecond
_ANCHOR = datetime(2000, 1, 3)  # a Monday: interval grids start here, in the schedule's tz
_DOW = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class SchedulerError(TradefleetError):
    """A job id clash, an unknown job, or a trigger that does not move forward."""


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule timezone {name!r}: not an IANA zone such as 'America/New_York'") from None


def _aware(ns: int, tz: ZoneInfo) -> datetime:
    return (EPOCH + timedelta(microseconds=ns // _US)).astimezone(tz)


def _standard_dow(field: str) -> str:
    """Translate a crontab day-of-week field (0/7 = Sunday) to APScheduler day names."""
    if not any(ch.isdigit() for ch in field):
        return field  # '*' and names mean the same to APScheduler and to crontab
    days: set[int] = set()
    for item in field.lower().split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            lo, hi = 0, 6
        else:
            first, _, last = base.partition("-")
            lo = _dow_number(first, field)
            hi = _dow_number(last, field) if last else (6 if step_text else lo)
        if hi < lo or step < 1:
            raise ConfigError(f"cron day-of-week {field!r}: bad range {item!r}")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_DOW[d] for d in sorted(days))


def _dow_number(token: str, field: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _DOW:
        return _DOW.index(token)
    raise ConfigError(f"cron day-of-week {field!r}: {token!r} is not 0-7 or sun..sat")


def _cron(expr: str, tz: ZoneInfo) -> CronTrigger:
    fields = expr.split()
    if len(fields) != 5:
        raise ConfigError(f"schedule cron {expr!r}: expected 5 fields (minute hour day month weekday)")
    fields[4] = _standard_dow(fields[4])
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as exc:
        raise ConfigError(f"schedule cron {expr!r}: {exc}") from None


def _is_daily_cron(expr: str) -> bool:
    minute, hour = expr.split()[:2]
    return minute.isdigit() and hour.isdigit()


class SessionCloseTrigger(BaseTrigger):
    """Fire ``offset`` after every session close of ``calendar`` (half days included)."""

    def __init__(self, calendar: MarketCalendar, offset: timedelta, timezone: ZoneInfo) -> None:
        self.calendar = calendar
        self.offset = offset
        self.timezone = timezone
        self._offset_ns = (offset // timedelta(microseconds=1)) * _US

    def next_fire_ns(self, previous_ns: int | None, now_ns: int) -> int | None:
        """Return the first fire >= ``now_ns`` (and > ``previous_ns``), as APScheduler does."""
        start = now_ns if previous_ns is None else min(now_ns, previous_ns + _US)
        if start == previous_ns:  # as CronTrigger: never fire twice at one instant
            start += _US
        close = self.calendar.next_close_after(start - self._offset_ns - 1)
        return None if close is None else close + self._offset_ns

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        prev = None if previous_fire_time is None else dt_to_ns(previous_fire_time)
        fire = self.next_fire_ns(prev, dt_to_ns(now))
        return None if fire is None else _aware(fire, self.timezone)

    def __str__(self) -> str:
        return f"close[{self.calendar.name}{'+' if self.offset >= timedelta(0) else ''}{self.offset}]"


class CalendarFilterTrigger(BaseTrigger):
    """Wrap a trigger, keeping only fire times the calendar allows (see module doc).

    ``mode="open"`` keeps times when the market is open; ``mode="session"`` keeps times
    whose trading date is a session.
    """

    def __init__(self, inner: BaseTrigger, calendar: MarketCalendar,
                 mode: Literal["open", "session"], timezone: ZoneInfo) -> None:
        self.inner = inner
        self.calendar = calendar
        self.mode = mode
        self.timezone = timezone
        self._window: tuple[int, int] = (0, 0)  # last session looked up (immutable: thread-safe)

    def next_fire_ns(self, previous_ns: int | None, now_ns: int) -> int | None:
        """Return the inner trigger's next fire time that the calendar allows."""
        fire = next_fire_ns(self.inner, previous_ns, now_ns)
        for _ in range(100_000):  # a bound, not a limit: every step moves forward
            if fire is None:
                return None
            if self.mode == "session":
                if self.calendar.is_session(self.calendar.trading_date(fire)):
                    return fire
                later = next_fire_ns(self.inner, fire, fire)
            else:
                last = self._window
                if last[0] <= fire < last[1]:
                    return fire  # same session as last time: no calendar lookup
                window = self.calendar.session_after(fire)
                if window is None:
                    return None
                self._window = window
                if window[0] <= fire:
                    return fire
                # Jump to the first inner fire at or after the next open.
                later = next_fire_ns(self.inner, None, window[0])
                if later is not None and later <= fire:  # a trigger that ignores `now`
                    later = next_fire_ns(self.inner, fire, fire)
            if later is not None and later <= fire:
                raise SchedulerError(f"trigger {self.inner} does not move past {_aware(fire, UTC)}")
            fire = later
        raise SchedulerError(f"calendar {self.calendar.name} never allows trigger {self.inner}")

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        prev = None if previous_fire_time is None else dt_to_ns(previous_fire_time)
        fire = self.next_fire_ns(prev, dt_to_ns(now))
        return None if fire is None else _aware(fire, self.timezone)

    def __str__(self) -> str:
        return f"{self.inner} [{self.calendar.name} {self.mode}]"


def _plain_interval_ns(trigger: BaseTrigger) -> int | None:
    """Return the step of an IntervalTrigger with no jitter and no end date, else None."""
    if type(trigger) is IntervalTrigger and trigger.jitter is None and trigger.end_date is None:
        return int(trigger.interval // timedelta(microseconds=1)) * _US
    return None


def next_fire_ns(trigger: BaseTrigger, previous_ns: int | None, now_ns: int) -> int | None:
    """Return ``trigger.get_next_fire_time(previous, now)`` in ns, on fast paths when exact.

    Triggers defined here compute in ns natively (``get_next_fire_time`` is a wrapper
    over the same code). A plain ``IntervalTrigger`` is stepped in integer arithmetic,
    which equals APScheduler's result for whole-microsecond times; anything else goes
    through ``get_next_fire_time`` with aware datetimes.
    """
    native = getattr(trigger, "next_fire_ns", None)
    if native is not None:
        result: int | None = native(previous_ns, now_ns)
        return result
    step = _plain_interval_ns(trigger)
    if step is not None:
        if previous_ns is not None:
            return previous_ns + step
        start = dt_to_ns(trigger.start_date)
        return start if start > now_ns else start + -(-(now_ns - start) // step) * step
    prev = None if previous_ns is None else _aware(previous_ns, UTC)
    fire = trigger.get_next_fire_time(prev, _aware(now_ns, UTC))
    return None if fire is None else dt_to_ns(fire)


@cache
def build_trigger(schedule: Schedule) -> BaseTrigger:
    """Return the APScheduler trigger for ``schedule`` (shared for equal schedules).

    Raises :class:`ConfigError` naming the bad field for a malformed cron, interval,
    offset or timezone, or a ``close`` schedule without a calendar.
    """
    tz = _zone(schedule.timezone)
    calendar = get_calendar(schedule.calendar) if schedule.calendar else None
    if schedule.kind == "close":
        if calendar is None:
            raise ConfigError("schedule kind 'close' needs a calendar (NYSE, FX or CRYPTO)")
        return SessionCloseTrigger(calendar, parse_duration(schedule.offset, "schedule offset", signed=True), tz)
    trigger: BaseTrigger
    if schedule.kind == "cron":
        if not schedule.cron:
            raise ConfigError("schedule kind 'cron' needs a cron expression, e.g. '5 16 * * mon-fri'")
        trigger, daily = _cron(schedule.cron, tz), _is_daily_cron(schedule.cron)
    else:
        if not schedule.every:
            raise ConfigError("schedule kind 'interval' needs every, e.g. '15m' or '1h'")
        step = parse_duration(schedule.every, "schedule interval")  # positive: unsigned
        trigger = IntervalTrigger(seconds=step.total_seconds(), start_date=_ANCHOR.replace(tzinfo=tz),
                                  timezone=tz)
        daily = step >= timedelta(days=1)
    if calendar is None:
        return trigger
    return CalendarFilterTrigger(trigger, calendar, "session" if daily else "open", tz)


class _Job:
    __slots__ = ("trigger", "generation")

    def __init__(self, trigger: BaseTrigger, generation: int) -> None:
        self.trigger = trigger
        self.generation = generation


class SimScheduler:
    """Fire triggers on a simulated clock: the replay side of the scheduler.

    ``pop_due(until_ns)`` returns every fire time up to ``until_ns`` in time order (ties
    by job id), each computed by the job's trigger from its previous fire, as APScheduler
    would with no misfires. Jobs sharing one trigger object (equal schedules, see
    :func:`build_trigger`) compute each fire time once.
    """

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._jobs: dict[str, _Job] = {}
        self._heap: list[tuple[int, str, int]] = []
        self._generation = 0
        self._memo: dict[int, tuple[BaseTrigger, int, int | None]] = {}

    def add(self, job_id: str, trigger: BaseTrigger, not_before: int | None = None) -> int | None:
        """Schedule ``job_id``; return its first fire time (>= the clock's now, and >=
        ``not_before`` when given: a replayed job never fires before its data begins) or None."""
        if job_id in self._jobs:
            raise SchedulerError(f"scheduler job {job_id!r} already exists: remove it first")
        now = self.clock.now_ns()
        first = next_fire_ns(trigger, None, now if not_before is None else max(now, not_before))
        if first is None:
            return None
        self._generation += 1
        self._jobs[job_id] = _Job(trigger, self._generation)
        heapq.heappush(self._heap, (first, job_id, self._generation))
        return first

    def remove(self, job_id: str) -> None:
        """Unschedule ``job_id`` (its pending fires are dropped)."""
        if self._jobs.pop(job_id, None) is None:
            raise SchedulerError(f"scheduler job {job_id!r} does not exist")

    def jobs(self) -> list[str]:
        """Return the scheduled job ids, sorted."""
        return sorted(self._jobs)

    def next_fire_ns(self) -> int | None:
        """Return the earliest pending fire time, or None when nothing is scheduled."""
        heap = self._heap
        while heap:
            ns, job_id, generation = heap[0]
            job = self._jobs.get(job_id)
            if job is not None and job.generation == generation:
                return ns
            heapq.heappop(heap)  # a removed job's stale entry
        return None

    def pop_due(self, until_ns: int) -> list[tuple[int, str]]:
        """Return every ``(fire_ns, job_id)`` with ``fire_ns <= until_ns`` and advance them."""
        heap, jobs, due = self._heap, self._jobs, []
        while heap and heap[0][0] <= until_ns:
            ns, job_id, generation = heapq.heappop(heap)
            job = jobs.get(job_id)
            if job is None or job.generation != generation:
                continue
            due.append((ns, job_id))
            following = self._following(job.trigger, ns)
            if following is None:
                del jobs[job_id]
            else:
                heapq.heappush(heap, (following, job_id, generation))
        return due

    def _following(self, trigger: BaseTrigger, fire_ns: int) -> int | None:
        memo = self._memo.get(id(trigger))
        if memo is not None and memo[0] is trigger and memo[1] == fire_ns:
            return memo[2]
        following = next_fire_ns(trigger, fire_ns, fire_ns)
        if following is not None and following <= fire_ns:
            raise SchedulerError(f"trigger {trigger} does not move past {_aware(fire_ns, UTC)}")
        self._memo[id(trigger)] = (trigger, fire_ns, following)
        return following


# --------------------------------------------------------------------------- live

class _BoundRun:
    """A job as APScheduler's ``run_job`` sees it, with its scheduled time bound in."""

    def __init__(self, job: Job, run_time: datetime) -> None:
        self._job = job
        self.args = (*job.args, run_time)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __str__(self) -> str:
        return str(self._job)


def _executor(max_workers: int) -> Any:
    from apscheduler.executors.pool import ThreadPoolExecutor

    class FireTimeExecutor(ThreadPoolExecutor):  # type: ignore[misc]
        """Pass each run's scheduled fire time to the job function as its last argument."""

        def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
            # coalesce=True: the scheduler hands over one run time (the latest).
            super()._do_submit_job(_BoundRun(job, run_times[-1]), run_times[-1:])

    return FireTimeExecutor(max_workers)


class LiveScheduler:
    """Fire triggers on the wall clock with APScheduler's ``BackgroundScheduler`` (UTC).

    Each fire calls ``callback(job_id, scheduled_fire_time)`` on a worker thread; runs
    that piled up coalesce into one, a job never overlaps itself, and a run later than
    ``misfire_grace_time`` seconds is skipped (APScheduler's ``EVENT_JOB_MISSED``).
    """

    def __init__(self, callback: Callable[[str, datetime], None], *,
                 misfire_grace_time: int = 60, max_workers: int = 8, clock: Clock | None = None) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self._callback = callback
        self._clock: Clock = clock if clock is not None else LiveClock()
        self.scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": _executor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": misfire_grace_time})

    def add(self, job_id: str, trigger: BaseTrigger) -> None:
        """Schedule ``job_id`` (replacing a job of the same id)."""
        self.scheduler.add_job(self._fire, trigger, args=(job_id,), id=job_id, name=job_id,
                               replace_existing=True)

    def remove(self, job_id: str) -> None:
        """Unschedule ``job_id``."""
        from apscheduler.jobstores.base import JobLookupError

        try:
            self.scheduler.remove_job(job_id)
        except JobLookupError:
            raise SchedulerError(f"scheduler job {job_id!r} does not exist") from None

    def next_fire_time(self, job_id: str) -> datetime | None:
        """Return the next fire of ``job_id`` (before ``start``: as of the clock's now)."""
        job = self.scheduler.get_job(job_id)
        if job is None:
            raise SchedulerError(f"scheduler job {job_id!r} does not exist")
        if hasattr(job, "next_run_time"):  # a pending job (scheduler not started) has none yet
            result: datetime | None = job.next_run_time
            return result
        pending: datetime | None = job.trigger.get_next_fire_time(None, self._clock.now())
        return pending

    def start(self) -> None:
        """Start firing jobs on a background thread."""
        self.scheduler.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing; with ``wait``, let running callbacks finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    def _fire(self, job_id: str, scheduled: datetime | None = None) -> None:
        # `scheduled` is appended by the executor (the default only satisfies add_job's check)
        if scheduled is None:
            raise SchedulerError(f"job {job_id!r} ran without its scheduled fire time")
        self._callback(job_id, scheduled)
