"""The watchdog on a SimClock: missed heartbeats and stale logs halt entries, alert, exit."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store

from tradefleet.dashboard.config import MetricsConfig
from tradefleet.dashboard.watchdog import Watchdog
from tests.dashboard.conftest import T0


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'wd.db'}")
    yield s
    s.close()


def test_healthy_while_beating(store: Store) -> None:
    clock = SimClock(T0)
    dog = Watchdog(store, clock, heartbeat_timeout_seconds=30)
    for _ in range(10):
        dog.beat("engine")
        clock.advance(29)
        assert dog.check() is None
    assert not store.control("fleet").halted and dog.tripped == ""


def test_missed_heartbeat_halts_alerts_and_exits(store: Store) -> None:
    clock, bus, alerts = SimClock(T0), InProcessBus(), []
    bus.subscribe(Topic.ALERTS, lambda _t, e: alerts.append(e))
    dog = Watchdog.from_config(MetricsConfig(heartbeat_timeout_seconds=30, exit_code=4), store, clock, bus)
    dog.beat("engine")
    dog.beat("scheduler")
    clock.advance(20)
    dog.beat("scheduler")
    clock.advance(11)  # engine silent 31 s, scheduler 11 s
    assert dog.check() == 4
    st = store.control("fleet")
    assert st.halted and st.actor == "watchdog" and "no heartbeat from engine for 31s" in st.reason
    assert "scheduler" not in st.reason
    assert [(a.kind, a.message) for a in alerts] == [("watchdog", st.reason)]
    assert dog.check() == 4 and len(alerts) == 1 and len(store.control_events()) == 1  # trips once


def test_stale_log(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "tradefleet.log"
    log.write_text("started\n")
    os.utime(log, ns=(T0, T0))
    clock = SimClock(T0)
    dog = Watchdog(store, clock, log_path=log, log_stale_seconds=600)
    clock.advance(600)
    assert dog.check() is None
    clock.advance(1)
    assert dog.check() == 3
    assert "log not written: " + str(log) in store.control("fleet").reason
    os.utime(log, ns=(clock.now_ns(), clock.now_ns()))
    assert dog.problems() == []


def test_missing_log_gets_grace_period(store: Store, tmp_path: Path) -> None:
    clock = SimClock(T0)
    dog = Watchdog(store, clock, log_path=tmp_path / "not-yet.log", log_stale_seconds=60)
    clock.advance(59)
    assert dog.problems() == []
    clock.advance(2)
    assert [p.kind for p in dog.problems()] == ["stale_log"]


def test_run_thread_calls_on_trip_with_exit_code(store: Store) -> None:
    clock = SimClock(T0)
    dog = Watchdog(store, clock, heartbeat_timeout_seconds=1, exit_code=7)
    dog.beat()
    clock.advance(2)
    got: list[int] = []
    done, stop = threading.Event(), threading.Event()

    def on_trip(code: int) -> None:
        got.append(code)
        done.set()

    thread = dog.run(0.001, stop, on_trip)
    assert done.wait(10)
    thread.join(10)
    stop.set()
    assert got == [7] and store.control("fleet").halted
