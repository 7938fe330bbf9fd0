"""Paper and live trading on the wall clock.

Bars arrive from a :class:`BarFeed` (a venue or data provider); each bot's schedule fires
through APScheduler (:class:`~orchestrator.scheduler.LiveScheduler`), and a fire evaluates
the bot's ``compute`` on the recent window and takes the last row, through the same
:class:`~orchestrator.botrunner.BotRunner` conversion as replay. Scheduler threads only
enqueue fires; one thread (the caller of :meth:`LiveRunner.run`) runs the engine, so risk
and execution stay single-writer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol

from orchestrator.clock import NS, Clock
from orchestrator.domain import Bar
from orchestrator.kernel import Kernel
from orchestrator.market import MarketState


class BarFeed(Protocol):
    """Where live bars come from."""

    def poll(self, symbols: list[str], now_ns: int) -> list[Bar]:
        """Return bars of ``symbols`` closed since the previous poll, oldest first."""
        ...


class LiveRunner:
    """Drives one kernel from scheduled fires on a real (or simulated) clock."""

    def __init__(self, kernel: Kernel, market: MarketState, feed: BarFeed, clock: Clock,
                 control_poll_seconds: float = 1.0) -> None:
        self.kernel = kernel
        self.market = market
        self.feed = feed
        self.clock = clock
        self._fires: queue.Queue[tuple[str, int]] = queue.Queue()
        self._stop = threading.Event()
        self._poll_ns = int(control_poll_seconds * NS)
        self._next_control = 0
        self.fires = 0
        self.bars = 0

    def enqueue(self, job_id: str, fire_ns: int) -> None:
        """Scheduler callback: record a fire for the engine thread (thread-safe)."""
        self._fires.put((job_id, fire_ns))

    def stop(self) -> None:
        self._stop.set()

    def ingest(self, symbols: list[str]) -> int:
        """Pull new bars for ``symbols`` into the market and let the engine see them."""
        bars = self.feed.poll(symbols, self.clock.now_ns())
        for bar in bars:
            self.market.append(bar)
            self.kernel.engine.on_bar(bar)
        self.bars += len(bars)
        return len(bars)

    def handle_fire(self, job_id: str, fire_ns: int) -> None:
        """Evaluate one bot after bringing its instruments' bars up to date."""
        engine = self.kernel.engine
        runner = engine.runners.get(job_id)
        if runner is None:
            return
        self.ingest(list(runner.spec.instruments))
        now = self.clock.now_ns()
        if now >= self._next_control:
            engine.reload_control()
            self._next_control = now + self._poll_ns
        engine.on_fire(job_id, now)
        self.kernel.oms.collect_fills()
        self.fires += 1

    def run(self, schedule: Callable[[Callable[[str, int], None]], object], idle: Callable[[], None] | None = None,
            wait_seconds: float = 0.5) -> None:
        """Start the scheduler (``schedule(enqueue)`` must return an object with
        ``shutdown()``) and process fires until :meth:`stop`."""
        scheduler = schedule(self.enqueue)
        try:
            while not self._stop.is_set():
                try:
                    job_id, fire_ns = self._fires.get(timeout=wait_seconds)
                except queue.Empty:
                    if idle is not None:
                        idle()
                    continue
                self.handle_fire(job_id, fire_ns)
        finally:
            getattr(scheduler, "shutdown")()
