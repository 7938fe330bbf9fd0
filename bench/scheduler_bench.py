"""Benchmark the replay scheduler: fires per second on the simulated clock.

Run: ``.venv/bin/python -m bench.scheduler_bench [--json]``

Scenarios (each replayed the way the engine does: the clock steps forward and
``pop_due`` is asked for everything due up to the new time):

- 50 bots on daily NYSE close schedules over 20 years (2000-2019), once with 50 equal
  schedules (one shared trigger, computed once per close) and once with 50 distinct
  offsets (1m..50m: every job computes its own fire times);
- 10 hourly FX bots over 1 year (2019), shared and with 10 distinct timezones.

Each is set side by side with the naive way: a heap driven by ``get_next_fire_time``
on aware datetimes (what APScheduler itself does), on the same triggers.
"""

from __future__ import annotations

import argparse
import heapq
import json
import time
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from tradefleet.orchestrator.bot import Schedule
from tradefleet.orchestrator.clock import SimClock, dt_to_ns
from tradefleet.orchestrator.scheduler import SimScheduler, build_trigger

HOUR_NS = 3_600 * 1_000_000_000


def _replay(triggers: list[BaseTrigger], start: datetime, end: datetime, step_ns: int) -> tuple[int, float]:
    clock = SimClock(start)
    sim = SimScheduler(clock)
    t0 = time.perf_counter()
    for i, trigger in enumerate(triggers):
        sim.add(f"bot{i:02d}", trigger)
    fires, now, stop = 0, dt_to_ns(start), dt_to_ns(end)
    while now < stop:
        now = min(now + step_ns, stop)
        clock.set_ns(now)
        fires += len(sim.pop_due(now))
    return fires, time.perf_counter() - t0


def _naive(triggers: list[BaseTrigger], start: datetime, end: datetime) -> tuple[int, float]:
    t0 = time.perf_counter()
    heap = [(t.get_next_fire_time(None, start), i) for i, t in enumerate(triggers)]
    heapq.heapify(heap)
    fires = 0
    while heap and heap[0][0] <= end:
        fire, i = heapq.heappop(heap)
        fires += 1
        nxt = triggers[i].get_next_fire_time(fire, fire)
        if nxt is not None:
            heapq.heappush(heap, (nxt, i))
    return fires, time.perf_counter() - t0


def _scenarios() -> list[tuple[str, list[BaseTrigger], datetime, datetime, int]]:
    years20 = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC))
    year1 = (datetime(2019, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC))
    zones = ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Zurich",
             "Australia/Sydney", "America/Chicago", "Asia/Singapore", "Europe/Berlin", "Asia/Kolkata"]
    return [
        ("50 bots, NYSE close +5m (shared), 20 y", [build_trigger(Schedule.at_close("5m"))] * 50,
         *years20, 24 * HOUR_NS),
        ("50 bots, NYSE close +1..50m (distinct), 20 y",
         [build_trigger(Schedule.at_close(f"{m}m")) for m in range(1, 51)], *years20, 24 * HOUR_NS),
        ("10 bots, FX hourly (shared), 1 y", [build_trigger(Schedule.interval("1h", calendar="FX"))] * 10,
         *year1, HOUR_NS),
        ("10 bots, FX hourly (10 timezones), 1 y",
         [build_trigger(Schedule.interval("1h", timezone=z, calendar="FX")) for z in zones], *year1, HOUR_NS),
    ]


def main() -> None:
    """Run the scenarios and print fires/second for the replay and the naive heap."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rows = []
    for name, triggers, start, end, step in _scenarios():
        fires, secs = _replay(triggers, start, end, step)
        naive_fires, naive_secs = _naive(triggers, start, end - timedelta(microseconds=1))
        if naive_fires != fires:
            raise SystemExit(f"{name}: replay fired {fires} times, the naive heap {naive_fires}")
        rows.append({"scenario": name, "fires": fires, "seconds": round(secs, 3),
                     "fires_per_s": round(fires / secs), "naive_seconds": round(naive_secs, 3),
                     "naive_fires_per_s": round(fires / naive_secs), "speedup": round(naive_secs / secs, 1)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'scenario':46} {'fires':>8} {'replay/s':>10} {'naive/s':>10} {'ratio':>6}")
    for r in rows:
        print(f"{r['scenario']:46} {r['fires']:>8} {r['fires_per_s']:>10,} {r['naive_fires_per_s']:>10,} "
              f"{r['speedup']:>5}x")


if __name__ == "__main__":
    main()
