"""Paper and live trading on the wall clock with bot compute on the workers.

:class:`DistributedLiveRunner` is the one-process :class:`~tradefleet.app.live.LiveRunner`
with one change: a schedule fire becomes a :class:`~tradefleet.orchestrator.distributed.work.TickTask`
carrying the bars the leader holds (so workers need no data access and evaluate exactly
the market the gates see) instead of a local ``compute``. Portfolio bots and event bots
(prediction markets: the leader builds their snapshots from the venues' books and sources)
are evaluated by the leader itself: their intents need the book, one decision each. Bars, gates, risk, the order
manager and the fenced brokers stay in this process: one writer per account.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import TYPE_CHECKING

from tradefleet.orchestrator.distributed.lease import FencedBroker, LeaderLease, LeaseLost
from tradefleet.orchestrator.distributed.work import FleetLeader, pack_bars
from tradefleet.app.live import BarFeed, LiveRunner, TickFeed

if TYPE_CHECKING:
    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.orchestrator.clock import Clock
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus
    from tradefleet.orchestrator.kernel import Kernel
    from tradefleet.orchestrator.market import MarketState


class DistributedLiveRunner(LiveRunner):
    """Drives one kernel from scheduled fires; bots are evaluated by the workers."""

    def __init__(self, kernel: Kernel, market: MarketState, feed: BarFeed, clock: Clock, bus: RedisStreamsBus,
                 lease: LeaderLease, control_poll_seconds: float = 1.0, renew_seconds: float = 5.0,
                 tick_feeds: dict[str, TickFeed] | None = None) -> None:
        super().__init__(kernel, market, feed, clock, control_poll_seconds, tick_feeds=tick_feeds)
        self.bus = bus
        self.lease = lease
        self.leader = FleetLeader(kernel.engine, bus, lease)
        self._renew_ns = int(renew_seconds * 1e9)
        self._renewed_at = 0
        self.deposed = False

    def handle_fire(self, job_id: str, fire_ns: int) -> None:
        """Bring the bot's bars up to date and send its tick, with the window, to the workers."""
        engine = self.kernel.engine
        runner = engine.runners.get(job_id)
        if runner is None or runner.fault:
            return
        if job_id in self.tick_feeds:  # an event bot: venue books and sources read here
            self.ingest_ticks(job_id, list(runner.spec.instruments))
        else:
            self.ingest(list(runner.spec.instruments))
        now = self.clock.now_ns()
        if now >= self._next_control:
            engine.reload_control()
            self._next_control = now + self._poll_ns
        if runner.spec.bot.portfolio or runner.spec.bot.event_driven:
            # a portfolio bot decides on the whole universe with the book's context, an event
            # bot on the snapshot the leader just built from the venues (its quotes, orders and
            # cancels are intents, one decision each): both run here, in the single writer
            self.keep_lease()
            engine.on_fire(job_id, now)
            self.fires += 1
            return
        warmup = runner.bot.warmup_bars()
        bars = {i: pack_bars(self.market.frame(i, warmup)) for i in runner.spec.instruments
                if self.market.last_bar(i) is not None}
        self.keep_lease()
        self.leader.tick(job_id, now, bars)
        self.fires += 1

    def keep_lease(self) -> None:
        """Renew the lease every ``renew_seconds``; raise LeaseLost if it was taken."""
        now = self.lease.clock.now_ns()
        if now - self._renewed_at >= self._renew_ns or not self.lease.held:
            if not self.lease.renew():
                raise LeaseLost(f"lease {self.lease.name}: lost by {self.lease.holder}")
            self._renewed_at = now

    def pump(self, block_ms: int = 0) -> int:
        """Apply the evaluations that arrived (waiting up to ``block_ms``); collect fills."""
        failures = self.bus.stats.failures
        n = self.bus.poll(block_ms=block_ms)
        if self.bus.stats.failures > failures:
            self.lease.check()  # a deposed leader stops here; its evaluations stay pending
        if n:
            self.kernel.oms.collect_fills()
        return n

    def run(self, schedule: Callable[[Callable[[str, int], None]], object], idle: Callable[[], None] | None = None,
            wait_seconds: float = 0.5) -> None:
        """Take the lease, start the scheduler, then alternate fires and evaluations until
        :meth:`stop` (or until the lease is lost: ``deposed`` is then True)."""
        if not self.lease.acquire():
            raise LeaseLost(f"lease {self.lease.name} is held by another leader; see 'tradefleet lease status'")
        self._renewed_at = self.lease.clock.now_ns()
        scheduler = schedule(self.enqueue)
        try:
            while not self._stop.is_set():
                try:
                    job_id, fire_ns = self._fires.get_nowait()
                except queue.Empty:
                    self.keep_lease()
                    self.pump(block_ms=int(wait_seconds * 1000) if self.leader.idle else 20)
                    if idle is not None and self.leader.idle and self._fires.empty():
                        idle()
                    continue
                self.handle_fire(job_id, fire_ns)
        except LeaseLost:
            self.deposed = True
        finally:
            getattr(scheduler, "shutdown")()
            if not self.deposed:
                self.lease.release()


def run_distributed_paper(config: AppConfig, bus: RedisStreamsBus, *, bots: list[str] | None = None,
                          store_url: str | None = None, feed: BarFeed | None = None, clock: Clock | None = None,
                          install_signals: bool = True,
                          started: Callable[[DistributedLiveRunner], None] | None = None,
                          scheduler: Callable[[Callable[[str, int], None], list[BotSpec]], object] | None = None,
                          stop_when_idle: bool = False) -> DistributedLiveRunner:
    """Paper-trade on the wall clock as the fleet leader, bots computed on the workers.

    The same assembly as ``tradefleet run --paper`` (store, paper broker, kernel, data-hub
    feed, APScheduler triggers), with the paper broker behind the lease's fence and
    :class:`DistributedLiveRunner` in place of the one-process runner. Live accounts stay
    with ``tradefleet run --live`` until their adapters are fenced the same way.
    ``scheduler`` and ``stop_when_idle`` are for drained, scripted runs (as in ``run_live``)."""
    import os
    import signal as signals
    import socket

    from tradefleet.orchestrator.clock import LiveClock
    from tradefleet.orchestrator.errors import PluginError
    from tradefleet.orchestrator.kernel import assemble, paper_broker
    from tradefleet.app.live import _apscheduler
    from tradefleet.orchestrator.market import MarketState
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.app.replay import instruments_for, select_bots
    from tradefleet.orchestrator.store import Store

    from tradefleet.app.live import _tick_feeds
    from tradefleet.orchestrator.errors import ConfigError

    registry = Registry.discover()
    specs = select_bots(registry, config, bots)
    clock = clock or LiveClock()
    # event bots: the leader reads their venues' books and sources ([prediction])
    tick_feeds, unfed = _tick_feeds(registry, config, clock, [s for s in specs if s.bot.event_driven])
    if unfed and bots:  # a bot the operator named must run or the start fails, saying why
        raise ConfigError("; ".join(f"bot {k}: {v}" for k, v in unfed.items()))
    specs = [s for s in specs if s.name not in unfed]
    if not specs:
        raise PluginError("no bots to run: " + ("; ".join(f"{k}: {v}" for k, v in unfed.items())
                                                 or "every bot is disabled or broken"))
    store = Store.open(store_url or config.engine.store_url)
    try:
        run_id = store.start_run("paper", clock.now_ns())
        holder = f"{socket.gethostname()}:{os.getpid()}"
        lease = LeaderLease(store.engine, config.scale.lease.name, holder, clock, config.scale.lease.ttl_seconds)
        market = MarketState(config.paper.spread_bps)
        ticked = {i for s in specs if s.name in tick_feeds for i in s.instruments}
        instruments = instruments_for(sorted({i for s in specs for i in s.instruments} - ticked))
        for tf in {id(f): f for f in tick_feeds.values()}.values():
            instruments.update({k: v for k, v in tf.instruments().items() if k in ticked})
        paper = paper_broker(config, market, clock, "paper", instruments)
        kernel = assemble(config, store=store, registry=registry, specs=specs, clock=clock, market=market,
                          instruments=instruments, account="paper", brokers={"paper": FencedBroker(paper, lease)},
                          bus=bus)
        kernel.engine.paper = paper
        from decimal import Decimal

        from tradefleet.orchestrator.execution.reconcile import Reconciler
        from tradefleet.orchestrator.warmstart import warm_start

        from tradefleet.orchestrator.alerts.service import install as install_alerts

        kernel.services.extras["alerts"] = install_alerts(config, store, clock, kernel.services.bus)
        kernel.services.extras["warm_start"] = warm_start(kernel, Decimal(repr(config.engine.starting_cash)))
        kernel.oms.load_halts()
        Reconciler(kernel.oms, store, clock, kernel.services.bus).run_all()
        if feed is None:
            from tradefleet.scrapers.feed import HubBarFeed
            from tradefleet.scrapers.hub import DataHub

            feed = HubBarFeed.for_specs(DataHub.from_services(kernel.services),
                                        [s for s in specs if s.name not in tick_feeds])
        runner = DistributedLiveRunner(kernel, market, feed, clock, bus, lease, config.engine.control_poll_seconds,
                                       config.scale.lease.renew_seconds, tick_feeds)
        if install_signals:
            for sig in (signals.SIGINT, signals.SIGTERM):
                signals.signal(sig, lambda *_: runner.stop())
        if started is not None:
            started(runner)
        runner.run(lambda enqueue: (scheduler or _apscheduler)(enqueue, specs),
                   idle=runner.stop if stop_when_idle else None, wait_seconds=0.02 if stop_when_idle else 0.5)
        if kernel.services.extras["alerts"] is not None:
            kernel.services.extras["alerts"].stop()
        store.end_run(run_id, "deposed" if runner.deposed else "stopped",
                      {"fires": runner.fires, "bars": runner.bars, "equity": float(kernel.engine.ledger.equity())},
                      clock.now_ns())
        return runner
    finally:
        store.close()
