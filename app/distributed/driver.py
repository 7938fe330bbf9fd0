"""The leader's replay driver: history on a simulated clock, bot compute on the workers.

Each bot fires at the close of each of its bars (its timeframe). Fire times are taken in
global time order; at each one the driver moves the clock and the market, dispatches the
ticks of every bot that fires, and waits until the workers' evaluations are applied, so
gates and the paper broker see exactly the state a one-process replay would. Bots of one
time step compute in parallel on however many workers are running.

Event bots (prediction markets) are evaluated by the leader itself on their tick source's
snapshot (quotes as bid/ask bars, public trades as the prints maker quotes fill on), and
their contracts settle at 1 or 0 at the end, as in the one-process replay.
"""

from __future__ import annotations

import heapq
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.clock import Clock, LiveClock, SimClock
from tradefleet.orchestrator.distributed.lease import FencedBroker, LeaderLease, LeaseLost
from tradefleet.orchestrator.distributed.work import FleetLeader
from tradefleet.orchestrator.errors import TradefleetError

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus
    from tradefleet.orchestrator.domain import Instrument
    from tradefleet.orchestrator.kernel import Kernel
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.orchestrator.store import Store


class WorkersStalled(TradefleetError):
    """No evaluation arrived within the wait limit: no worker is consuming tasks."""


@dataclass
class DriverResult:
    """What one leader did."""

    steps: int
    dispatched: int
    signals: int
    orders: int
    deposed: bool
    processed: list[str]


class DistributedReplay:
    """One leader replaying ``frames`` through ``specs`` with compute on the workers."""

    def __init__(self, config: AppConfig, *, store: Store, registry: Registry, specs: list[BotSpec],
                 frames: dict[str, pd.DataFrame], instruments: dict[str, Instrument], bus: RedisStreamsBus,
                 account: str = "paper", holder: str | None = None, lease_clock: Clock | None = None,
                 wall: Clock | None = None, tick_sources: dict[str, Any] | None = None) -> None:
        from tradefleet.orchestrator.kernel import assemble, paper_broker
        from tradefleet.orchestrator.market import MarketState

        first = min(int(f.index.as_unit("ns").asi8[0]) for f in frames.values())
        self.clock = SimClock(first - 1)
        self.market = MarketState(config.paper.spread_bps)
        #: event bots' recorded tick sources by bot name (evaluated here, not on a worker)
        self.tick_sources = dict(tick_sources or {})
        quoted = {i for s in specs if s.name in self.tick_sources for i in s.instruments}
        for sym, frame in frames.items():
            self.market.load(sym, frame, quoted=sym in quoted)
        for src in {id(v): v for v in self.tick_sources.values()}.values():
            tape = getattr(src, "tape", None)
            for sym, (ts, px, size) in (tape() if tape is not None else {}).items():
                if sym in frames:
                    self.market.load_tape(sym, ts, px, size)
        self.frames = frames
        self.specs = specs
        self.lease = LeaderLease(store.engine, config.scale.lease.name,
                                 holder or f"{socket.gethostname()}:{os.getpid()}", lease_clock or LiveClock(),
                                 config.scale.lease.ttl_seconds)
        self.paper = paper_broker(config, self.market, self.clock, account, instruments)
        self.broker = FencedBroker(self.paper, self.lease)
        self.kernel: Kernel = assemble(config, store=store, registry=registry, specs=specs, clock=self.clock,
                                       market=self.market, instruments=instruments, account=account,
                                       brokers={account: self.broker}, bus=bus)
        # resting orders still fill on bars; the kernel's events (signals, decisions, orders,
        # fills, alerts) go on the Redis bus for the dashboard and Telegram processes
        self.kernel.engine.paper = self.paper
        self.kernel.engine.tick_sources = dict(self.tick_sources)
        self.leader = FleetLeader(self.kernel.engine, bus, self.lease)
        self.bus = bus
        self.wall = wall or LiveClock()
        self._renew_ns = int(config.scale.lease.renew_seconds * 1e9)
        self._renewed_at = 0
        self._control_every = int(config.engine.control_poll_seconds * 1e9)
        self._control_at = self.wall.now_ns()
        self._rows = {s: -1 for s in frames}

    def fire_times(self, start_ns: int | None = None) -> list[tuple[int, list[str]]]:
        """Every (time, bots firing then) in time order, from ``start_ns`` on."""
        by_time: dict[int, list[str]] = {}
        for spec in self.specs:
            for inst in spec.instruments:
                for ts in self.frames[inst].index.as_unit("ns").asi8.tolist():
                    if start_ns is None or ts >= start_ns:
                        bots = by_time.setdefault(int(ts), [])
                        if spec.name not in bots:
                            bots.append(spec.name)
        return sorted(by_time.items())

    def advance(self, now_ns: int) -> None:
        """Move the clock and every market up to ``now_ns``; feed closed bars to the engine."""
        bars = []
        for sym in self.frames:
            ts = self.market.timestamps(sym)
            row = self._rows[sym]
            while row + 1 < len(ts) and ts[row + 1] <= now_ns:
                row += 1
                heapq.heappush(bars, (int(ts[row]), sym, row))
            self._rows[sym] = row
        while bars:
            ts_bar, sym, row = heapq.heappop(bars)
            self.clock.set_ns(max(self.clock.now_ns(), ts_bar))
            self.kernel.engine.on_bar(self.market.advance(sym, row))
        self.clock.set_ns(max(self.clock.now_ns(), now_ns))

    def run(self, start_ns: int | None = None, *, stop_after: int | None = None, wait_seconds: float = 60.0,
            pump: Callable[[], object] | None = None, force: bool = False) -> DriverResult:
        """Lead the replay; return early (``deposed``) if the lease is lost."""
        if not self.lease.acquire(force=force):
            raise LeaseLost(f"lease {self.lease.name} is held by another leader; see 'tradefleet lease status'")
        self._renewed_at = self.lease.clock.now_ns()
        steps = 0
        deposed = False
        try:
            for now_ns, bots in self.fire_times(start_ns):
                if stop_after is not None and steps >= stop_after:
                    break
                self.keep_lease()
                self._poll_control()
                self.advance(now_ns)
                self.leader.ticks((b, now_ns) for b in bots if b not in self.tick_sources)
                for b in bots:  # event bots: on the snapshot the leader holds, in the single writer
                    if b in self.tick_sources:
                        self.kernel.engine.on_fire(b, now_ns)
                self._wait(wait_seconds, pump)
                steps += 1
            else:
                self.settle()
        except LeaseLost:
            deposed = True
        finally:
            if not deposed:
                self.lease.release()  # done (or failing): the next leader need not wait for the TTL
        return DriverResult(steps, self.leader.stats.dispatched, self.leader.stats.signals,
                            sum(r.stats.orders for r in self.kernel.engine.runners.values()), deposed,
                            list(self.leader.stats.processed))

    def settle(self) -> int:
        """Binary contracts resolve at the end of the replay: close every position in them at
        1 or 0 from the tick sources' recorded outcomes; return how many settled."""
        last = max((int(self.market.timestamps(s)[-1]) for s in self.frames), default=0)
        n = 0
        for src in {id(v): v for v in self.tick_sources.values()}.values():
            for instrument, yes in src.settlements().items():
                if instrument in self.frames:
                    self.kernel.engine.settle(instrument, yes, last)
                    n += 1
        if n:
            self.kernel.oms.collect_fills()
        return n

    def _poll_control(self) -> None:
        """Re-read pause/halt from the store every ``engine.control_poll_seconds`` of wall time
        (control events on the bus make the engine reload at once as well)."""
        now = self.wall.now_ns()
        if now - self._control_at >= self._control_every:
            self.kernel.engine.reload_control()
            self._control_at = now

    def keep_lease(self) -> None:
        """Renew the lease every ``renew_seconds`` (lease clock); raise LeaseLost if it was taken."""
        now = self.lease.clock.now_ns()
        if now - self._renewed_at >= self._renew_ns or not self.lease.held:
            if not self.lease.renew():
                raise LeaseLost(f"lease {self.lease.name}: lost by {self.lease.holder}")
            self._renewed_at = now

    def _wait(self, wait_seconds: float, pump: Callable[[], object] | None) -> None:
        deadline = self.wall.now_ns() + int(wait_seconds * 1e9)
        while not self.leader.idle:
            self.keep_lease()
            if pump is not None:
                pump()
            failures = self.bus.stats.failures
            self.bus.poll()
            if self.bus.stats.failures > failures:
                self.lease.check()  # a deposed leader stops here (its evaluations stay pending)
            if self.wall.now_ns() > deadline:
                raise WorkersStalled(f"no evaluation for {wait_seconds:.0f} s on {self.bus.stream('tasks')}: "
                                     "are workers running ('tradefleet worker')?")


def replay_inputs(config: AppConfig, registry: Registry, specs: list[BotSpec]
                  ) -> tuple[list[BotSpec], dict[str, pd.DataFrame], dict[str, Instrument], dict[str, Any]]:
    """What the leader replays: bar bots' history, event bots' recorded quotes and their tick
    sources (``[replay] snapshots``); bots whose data is missing are left out. Returns
    (specs, frames, instruments, tick sources by bot name)."""
    from tradefleet.app.replay import load_history

    sources: dict[str, Any] = {}
    built: dict[str, Any] = {}
    for spec in specs:
        name = getattr(spec.bot, "tick_source", None) if spec.bot.event_driven else None
        if name:
            if name not in built:
                built[name] = registry.get("providers", name).from_config(config)
            sources[spec.name] = built[name]
    specs = [s for s in specs if not s.bot.event_driven or s.name in sources]
    ticked = {i for s in specs if s.name in sources for i in s.instruments}
    frames, instruments, missing = load_history(config, sorted({i for s in specs for i in s.instruments} - ticked),
                                                config.replay.end)
    for src in {id(v): v for v in sources.values()}.values():
        frames.update({k: f for k, f in src.frames().items() if k in ticked})
        instruments.update({k: v for k, v in src.instruments().items() if k in ticked})
    missing = {**missing, **{i: "no recorded quotes" for i in ticked if i not in frames}}
    specs = [s for s in specs if not set(s.instruments) & set(missing)]
    needed = {i for s in specs for i in s.instruments}
    return specs, {k: v for k, v in frames.items() if k in needed}, instruments, \
        {k: v for k, v in sources.items() if any(s.name == k for s in specs)}
