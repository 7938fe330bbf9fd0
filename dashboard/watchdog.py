"""The watchdog: a stuck loop (missed heartbeats) or stale logs halt entries and exit.

Loops call :meth:`Watchdog.beat` (``"engine"``, ``"scheduler"``, ...) each time round.
:meth:`Watchdog.check` (on the injected clock) finds any source silent for longer than
``heartbeat_timeout_seconds`` and a log file not written for ``log_stale_seconds``; on
the first problem it halts the fleet's entries through the store (``set_control`` with
actor ``watchdog``), publishes an alert on the bus and reports the exit code the process
must end with, so that its supervisor restarts it (reconciliation runs on start).
:meth:`Watchdog.run` does this periodically on a thread and calls ``on_trip`` (default:
``os._exit``, the only exit a stuck main thread cannot block).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.execution.oms import Alert
from tradefleet.orchestrator.store.records import FLEET

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One reason the watchdog trips."""

    kind: str  # "heartbeat" | "stale_log"
    source: str
    age_seconds: float

    def describe(self) -> str:
        what = "no heartbeat from" if self.kind == "heartbeat" else "log not written:"
        return f"{what} {self.source} for {self.age_seconds:.0f}s"


class Watchdog:
    """Detect stuck loops and stale logs; halt entries, alert, and ask for a restart."""

    def __init__(self, store: Any, clock: Clock, *, heartbeat_timeout_seconds: float = 60.0,
                 log_path: str | Path | None = None, log_stale_seconds: float = 600.0,
                 bus: Any = None, exit_code: int = 3) -> None:
        self.store = store
        self.clock = clock
        self.timeout_ns = int(heartbeat_timeout_seconds * NS)
        self.log_path = Path(log_path) if log_path else None
        self.log_stale_ns = int(log_stale_seconds * NS)
        self.bus = bus
        self.exit_code = exit_code
        self.started_ns = clock.now_ns()
        self._beats: dict[str, int] = {}
        self._lock = threading.Lock()
        self.tripped: str = ""

    @classmethod
    def from_config(cls, cfg: Any, store: Any, clock: Clock, bus: Any = None) -> Watchdog:
        """Build from a :class:`~tradefleet.dashboard.config.MetricsConfig`."""
        return cls(store, clock, heartbeat_timeout_seconds=cfg.heartbeat_timeout_seconds,
                   log_path=cfg.log_path, log_stale_seconds=cfg.log_stale_seconds, bus=bus,
                   exit_code=cfg.exit_code)

    def beat(self, source: str = "engine") -> None:
        """Record that ``source`` is alive now."""
        with self._lock:
            self._beats[source] = self.clock.now_ns()

    def problems(self) -> list[Problem]:
        """What is wrong right now (empty when healthy)."""
        now = self.clock.now_ns()
        with self._lock:
            beats = dict(self._beats)
        out = [Problem("heartbeat", src, (now - ts) / NS) for src, ts in sorted(beats.items())
               if now - ts > self.timeout_ns]
        if self.log_path is not None:
            try:
                written = int(self.log_path.stat().st_mtime_ns)
            except OSError:
                written = self.started_ns  # not created yet: give it the grace period
            written = max(written, self.started_ns)
            if now - written > self.log_stale_ns:
                out.append(Problem("stale_log", str(self.log_path), (now - written) / NS))
        return out

    def check(self) -> int | None:
        """Trip on any problem: halt entries, alert; return the exit code (None: healthy)."""
        found = self.problems()
        if not found:
            return None
        reason = "watchdog: " + "; ".join(p.describe() for p in found)
        if not self.tripped:
            self.tripped = reason
            log.error("%s: halting entries and exiting for a restart", reason)
            self.store.set_control(FLEET, halted=True, reason=reason, actor="watchdog", ts_ns=self.clock.now_ns())
            if self.bus is not None:
                self.bus.publish(Topic.ALERTS, Alert("watchdog", reason, self.clock.now_ns()))
        return self.exit_code

    def run(self, interval_seconds: float, stop: threading.Event,
            on_trip: Callable[[int], None] | None = None) -> threading.Thread:
        """Check every ``interval_seconds`` of wall time on a daemon thread until ``stop``."""
        def loop() -> None:
            while not stop.wait(interval_seconds):
                try:
                    code = self.check()
                except Exception as exc:  # a store outage is itself a reason to restart
                    log.exception("watchdog check failed: %s", exc)
                    code = self.exit_code
                if code is not None:
                    (on_trip or os._exit)(code)
                    return

        thread = threading.Thread(target=loop, name="tradefleet-watchdog", daemon=True)
        thread.start()
        return thread
