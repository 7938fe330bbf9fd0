"""Paper and live trading on the wall clock.

Bars arrive from a :class:`BarFeed` (a venue or data provider); each bot's schedule fires
through APScheduler (:class:`~tradefleet.orchestrator.scheduler.LiveScheduler`), and a fire evaluates
the bot's ``compute`` on the recent window and takes the last row, through the same
:class:`~tradefleet.orchestrator.botrunner.BotRunner` conversion as replay. Scheduler threads only
enqueue fires; one thread (the caller of :meth:`LiveRunner.run`) runs the engine, so risk
and execution stay single-writer.

Event-driven bots (prediction markets) run through the same engine and gates: their
``tick_source`` plugin's ``live(config, clock)`` gives a :class:`TickFeed`; on each fire the
runner refreshes it for the bot's instruments (venue books and domain sources, on the
engine's clock), appends the new quotes to the market as bid/ask bars, then fires the bot,
which reads the snapshot through ``at(now)``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import Bar
from tradefleet.orchestrator.errors import ConfigError, PluginError
from tradefleet.orchestrator.market import MarketState

if TYPE_CHECKING:
    from tradefleet.orchestrator.bot import BotSpec, Schedule
    from tradefleet.orchestrator.kernel import Kernel
    from tradefleet.orchestrator.registry import Registry


class BarFeed(Protocol):
    """Where live bars come from."""

    def poll(self, symbols: list[str], now_ns: int) -> list[Bar]:
        """Return bars of ``symbols`` closed since the previous poll, oldest first."""
        ...


class TickFeed(Protocol):
    """Where an event bot's live ticks come from (venue books joined with its sources)."""

    def refresh(self, symbols: list[str], now_ns: int) -> list[Bar]:
        """Read the venues and sources for ``symbols`` now; return their new quotes as bars
        whose low and high are the bid and ask."""
        ...

    def at(self, now_ns: int) -> Any:
        """The latest tick data at or before ``now_ns`` (what ``TickContext.data`` holds)."""
        ...


class LiveRunner:
    """Drives one kernel from scheduled fires on a real (or simulated) clock."""

    def __init__(self, kernel: Kernel, market: MarketState, feed: BarFeed, clock: Clock,
                 control_poll_seconds: float = 1.0, reconciler: Any = None, watchdog: Any = None,
                 maintenance: dict[str, Callable[[], object]] | None = None,
                 tick_feeds: dict[str, TickFeed] | None = None) -> None:
        self.kernel = kernel
        #: event bots' live tick feeds by bot name (the engine reads the same objects)
        self.tick_feeds = dict(tick_feeds or {})
        kernel.engine.tick_sources.update(self.tick_feeds)
        #: non-bot jobs (weekly model retraining): run off the engine thread, one at a time
        self.maintenance = dict(maintenance or {})
        self.jobs_run: list[Any] = []
        self._pool: Any = None
        self.reconciler = reconciler
        self.watchdog = watchdog
        self.market = market
        self.feed = feed
        self.clock = clock
        self._fires: queue.Queue[tuple[str, int]] = queue.Queue()
        self._stop = threading.Event()
        self._poll_ns = int(control_poll_seconds * NS)
        self._next_control = 0
        self.fires = 0
        self.bars = 0
        self._fills_seen = 0

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

    def ingest_ticks(self, name: str, symbols: list[str]) -> int:
        """Refresh an event bot's tick feed and put its new quotes in the market."""
        feed = self.tick_feeds[name]
        bars = feed.refresh(symbols, self.clock.now_ns())
        tape = getattr(feed, "tape", None)  # depth at the touch and public trades, when the feed has them
        for bar in bars:
            self.market.append(bar, quoted=True)
            if tape is not None:
                depth, prints = tape(bar.symbol)
                if depth is not None:
                    self.market.set_depth(bar.symbol, *depth)
                if prints:
                    self.market.add_prints(bar.symbol, prints)
            self.kernel.engine.on_bar(bar)
        self.bars += len(bars)
        return len(bars)

    def handle_fire(self, job_id: str, fire_ns: int) -> None:
        """Evaluate one bot after bringing its instruments' bars up to date (or start a
        maintenance job on its worker thread)."""
        if job_id in self.maintenance:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = self._pool or ThreadPoolExecutor(1, thread_name_prefix="tradefleet-maintenance")
            self.jobs_run.append(self._pool.submit(self.maintenance[job_id]))
            return
        engine = self.kernel.engine
        runner = engine.runners.get(job_id)
        if runner is None:
            return
        if job_id in self.tick_feeds:
            self.ingest_ticks(job_id, list(runner.spec.instruments))
        else:
            self.ingest(list(runner.spec.instruments))
        now = self.clock.now_ns()
        if now >= self._next_control:
            engine.reload_control()
            self.kernel.oms.load_halts()  # an operator clearing an account halt takes effect
            if self.reconciler is not None and self.reconciler.after_reconnect():  # reconnected venues
                self._sync_cash()
            self._next_control = now + self._poll_ns
        engine.on_fire(job_id, now)
        fills = self.kernel.oms.collect_fills()
        if any(f.venue != "paper" for f in fills) or engine.fills != self._fills_seen:
            self._sync_cash()  # a venue fill moved the venue's cash: size from its figure
        self.fires += 1

    def _sync_cash(self) -> None:
        from tradefleet.orchestrator.accounts import sync_cash

        self._fills_seen = self.kernel.engine.fills
        if self.reconciler is not None:  # paper and live runs only; a bare runner keeps its book
            sync_cash(self.kernel)

    def run(self, schedule: Callable[[Callable[[str, int], None]], object], idle: Callable[[], None] | None = None,
            wait_seconds: float = 0.5) -> None:
        """Start the scheduler (``schedule(enqueue)`` must return an object with
        ``shutdown()``) and process fires until :meth:`stop`."""
        scheduler = schedule(self.enqueue)
        try:
            while not self._stop.is_set():
                if self.watchdog is not None:
                    self.watchdog.beat("engine")  # a loop that stops beating is restarted
                try:
                    job_id, fire_ns = self._fires.get(timeout=wait_seconds)
                except queue.Empty:
                    if idle is not None:
                        idle()
                    continue
                self.handle_fire(job_id, fire_ns)
        finally:
            getattr(scheduler, "shutdown")()
            if self._pool is not None:
                self._pool.shutdown(wait=True)


@contextmanager
def _bulk_start() -> Iterator[None]:
    """The start's bulk reads (every stored order and fill: tens of thousands of rows) without
    the cyclic garbage collector: they make no reference cycles, yet each full collection they
    trigger walks every object the process holds (bots, models, frames). The assembled kernel
    lives as long as the process, so it is frozen out of later collections too."""
    import gc

    gc.freeze()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_live(config: AppConfig, *, live: bool, bots: list[str] | None = None, store_url: str | None = None,
             feed: BarFeed | None = None, clock: Clock | None = None,
             scheduler: Callable[[Callable[[str, int], None], list[BotSpec], dict[str, Schedule]], object] | None = None,
             install_signals: bool = True, stop_when_idle: bool = False,
             registry: Registry | None = None) -> LiveRunner:
    """Trade on the wall clock: ``live`` uses the accounts with ``live = true`` (only bots
    with a passing validation), otherwise the paper broker plus any paper accounts.

    Returns the runner after it stopped (SIGINT/SIGTERM stop it; ``stop_when_idle`` stops
    it as soon as no fire is queued, for drained, scripted runs)."""
    import os
    import signal as signals
    import socket

    from tradefleet.orchestrator.clock import LiveClock
    from tradefleet.orchestrator.execution.reconcile import Reconciler
    from tradefleet.orchestrator.execution.router import Router, build_brokers, check_store_mode
    from tradefleet.orchestrator.kernel import assemble, paper_broker
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.app.replay import instruments_for, select_bots
    from tradefleet.orchestrator.store import Store
    from tradefleet.orchestrator.accounts import sync_cash
    from tradefleet.orchestrator.alerts.service import install as install_alerts
    from tradefleet.orchestrator.warmstart import warm_start

    from tradefleet.orchestrator.execution.secrets import install_redaction

    install_redaction()
    registry = registry or Registry.discover()
    specs = select_bots(registry, config, bots)
    if not specs:
        raise PluginError("no bots to run: every bot is disabled or broken (see 'tradefleet bots list')")
    clock = clock or LiveClock()
    tick_feeds, unfed = _tick_feeds(registry, config, clock, [s for s in specs if s.bot.event_driven])
    if unfed and bots:  # a bot the operator named must run or the start fails, saying why
        raise ConfigError("; ".join(f"bot {k}: {v}" for k, v in unfed.items()))
    for name, why in unfed.items():  # the whole fleet: event bots without configured markets sit out
        import logging

        logging.getLogger(__name__).warning("event bot %s left out: %s", name, why)
    specs = [s for s in specs if s.name not in unfed]
    if not specs:
        raise PluginError("no bots to run: " + "; ".join(f"{k}: {v}" for k, v in unfed.items()))
    url = store_url or config.engine.store_url
    store = Store.open(url)
    try:
        with store.run_lock(f"tradefleet run ({'live' if live else 'paper'}) pid {os.getpid()} on {socket.gethostname()}"):
            check_store_mode(store, live, url)
            if live:
                from tradefleet.backtest.records import unvalidated

                missing = unvalidated(store, [s.name for s in specs])
                if missing:
                    raise ConfigError(f"--live refuses bots without a passing validation: {', '.join(missing)} "
                                      f"(run 'tradefleet validate BOT', or leave them out with --bot)")
                from tradefleet.backtest.paper_period import paper_period_missing

                lacking = paper_period_missing(config.validation, [s.name for s in specs])
                if lacking:
                    raise ConfigError("--live needs a paper-trading period: " + "; ".join(lacking))
            chain_sources = live_chain_sources(config, specs)  # a bad [options] entry stops here: nothing stored
            run_id = store.start_run("live" if live else "paper", clock.now_ns())
            market = MarketState(config.paper.spread_bps)
            ticked = {i for s in specs if s.name in tick_feeds for i in s.instruments}
            instruments = instruments_for(sorted({i for s in specs for i in s.instruments} - ticked))
            for feed in {id(f): f for f in tick_feeds.values()}.values():
                instruments.update({k: v for k, v in feed.instruments().items() if k in ticked})
            paper = None if live else paper_broker(config, market, clock, "paper", instruments)
            brokers = build_brokers(config, _Bootstrap(clock, registry), live, paper)
            router = Router.from_config(brokers, config)
            kernel = assemble(config, store=store, registry=registry, specs=specs, clock=clock, market=market,
                              instruments=instruments, account=router.default, brokers=brokers,
                              route=router.account_for)
            kernel.engine.paper = paper
            if chain_sources:
                from tradefleet.risk.options.listing import OptionListing

                listing = OptionListing(kernel.engine, tuple(sorted(chain_sources)), sources=chain_sources)
                kernel.engine.bar_hooks.append(listing)
                kernel.engine.chains = listing.chain
                kernel.services.extras["option_listing"] = listing
            alerts = install_alerts(config, store, clock, kernel.services.bus)  # stored, then delivered
            kernel.services.extras["alerts"] = alerts
            if alerts is not None:
                for rec in registry.broken():
                    alerts.publish("plugin_broken", f"{rec.group} {rec.name} ({rec.target}): {rec.error}")
            with _bulk_start():  # the warm start's bulk reads and the first reconciliation
                kernel.services.extras["warm_start"] = warm_start(kernel, Decimal(repr(config.engine.starting_cash)))
                kernel.oms.load_halts()
                reconciler = Reconciler(kernel.oms, store, clock, kernel.services.bus)
                reconciler.run_all()
                sync_cash(kernel)  # sizing from the venues' money, not starting_cash
            for tf in tick_feeds.values():  # one data hub (limits, cache, provenance) for the whole process
                if getattr(tf, "hub", None) is not None:
                    kernel.services.extras.setdefault("data_hub", tf.hub)
            if feed is None:
                from tradefleet.scrapers.feed import HubBarFeed
                from tradefleet.scrapers.hub import DataHub

                feed = HubBarFeed(DataHub.from_services(kernel.services),
                                  {i: s.timeframe for s in specs if s.name not in tick_feeds for i in s.instruments})
            watchdog = _watchdog(config, store, clock, kernel)
            from tradefleet.ml_models.training.schedule import RetrainJob

            retrain = RetrainJob.from_config(config.ml, clock)
            maintenance: dict[str, Callable[[], object]] = {"ml-retrain": retrain}
            jobs = {"ml-retrain": retrain.schedule}
            calibration = calibration_job(config, kernel, store, clock)
            if calibration is not None:  # live fills recalibrate the impact model and the paper slippage
                maintenance[CALIBRATION_JOB], jobs[CALIBRATION_JOB] = calibration
            runner = LiveRunner(kernel, market, feed, clock, config.engine.control_poll_seconds, reconciler, watchdog,
                                maintenance, tick_feeds)
            if install_signals:
                for sig in (signals.SIGINT, signals.SIGTERM):
                    signals.signal(sig, lambda *_: runner.stop())
            stop_watch = threading.Event()
            if watchdog is not None:  # stuck loop or stale log: halt entries, alert, exit for the supervisor
                watchdog.run(config.metrics.watchdog_interval_seconds, stop_watch)
            hooks = _start_hooks(runner)  # runtime hooks other packages register (tradefleet.hooks)
            try:
                runner.run(lambda enqueue: (scheduler or _apscheduler)(enqueue, specs, jobs),
                           idle=runner.stop if stop_when_idle else None, wait_seconds=0.01 if stop_when_idle else 0.5)
            finally:
                stop_watch.set()
                for hook in reversed(hooks):
                    hook.stop()
            store.end_run(run_id, "stopped", {"fires": runner.fires, "bars": runner.bars,
                                              "equity": float(kernel.engine.ledger.equity())}, clock.now_ns())
            if alerts is not None:
                alerts.stop()
            return runner
    finally:
        store.close()


def live_chain_sources(config: AppConfig, specs: list[BotSpec]) -> dict[str, Any]:
    """The live option chain source of each option bot's underlying (``[options.alpaca_chains]``:
    underlying -> alpaca account whose keys read Alpaca's snapshot endpoint).

    An option bot's underlying without an entry gets no chain (logged): a paper or live run
    never trades options against model prices. A bad entry raises ConfigError naming it."""
    import logging

    from tradefleet.orchestrator.domain import AssetClass

    unders = sorted({i for s in specs if s.asset_class is AssetClass.OPTION for i in s.instruments})
    if not unders:
        return {}
    wanted = config.options.alpaca_chains
    out: dict[str, Any] = {}
    for u in unders:
        name = wanted.get(u)
        if name is None:
            logging.getLogger(__name__).warning("option underlying %s has no live chain ([options.alpaca_chains]): "
                                                "its option bots get no chain", u)
            continue
        acct = config.accounts.get(name)
        if acct is None or acct.venue != "alpaca":
            raise ConfigError(f"[options.alpaca_chains] {u} = {name!r}: not an alpaca account under [accounts]")
        if acct.api_key is None or acct.api_secret is None:
            raise ConfigError(f"[options.alpaca_chains] {u} = {name!r}: the account has no api_key/api_secret")
        from tradefleet.orchestrator.execution.secrets import resolve_secret
        from tradefleet.risk.options.alpaca_chain import AlpacaChainSource

        key, secret = resolve_secret(acct.api_key), resolve_secret(acct.api_secret)
        out[u] = AlpacaChainSource.from_keys(key.get_secret_value(), secret.get_secret_value(),  # type: ignore[union-attr]
                                             config.options.alpaca_data_url)
    return out


CALIBRATION_JOB = "tca-calibrate"


def calibration_job(config: AppConfig, kernel: Kernel, store: Any, clock: Clock) -> tuple[Callable[[], object], Schedule] | None:
    """The scheduled recalibration (``[execution] calibrate_every``) from the live accounts'
    fills (``calibrate_accounts``, else every account with ``live = true``), or None when
    it is off or no account is live (paper fills never calibrate)."""
    from tradefleet.orchestrator.bot import Schedule
    from tradefleet.orchestrator.execution.calibrate import CalibrationJob

    ex = config.execution
    live = ex.calibrate_accounts if ex.calibrate_accounts is not None else \
        [name for name, acc in config.accounts.items() if acc.live]
    for name in live:
        acc = config.accounts.get(name)
        if acc is None or not acc.live:
            raise ConfigError(f"execution.calibrate_accounts: {name!r} is not a live account in [accounts] "
                              "(paper fills only measure the paper broker's own assumptions and never calibrate)")
    if not ex.calibrate_every or not live:
        return None
    job = CalibrationJob(kernel.engine, store, kernel.account, live, clock, ex.calibrate_min_samples,
                         ex.paper_calibration)
    return job, Schedule.interval(ex.calibrate_every)


def _start_hooks(runner: LiveRunner) -> list[Any]:
    """Start every ``tradefleet.hooks`` hook (``factory(runner)`` -> object with start/stop, or
    None); a broken one is logged and left out, the run goes on."""
    import logging

    from tradefleet.orchestrator.extensions import HOOKS, discover

    started: list[Any] = []
    for ext in discover(HOOKS):
        try:
            if ext.error:
                raise RuntimeError(ext.error)
            hook = ext.obj(runner)
            if hook is not None:
                hook.start()
                started.append(hook)
        except Exception as exc:
            logging.getLogger(__name__).warning("runtime hook %s (%s) left out: %s", ext.name, ext.target, exc)
    return started


def _tick_feeds(registry: Any, config: AppConfig, clock: Clock,
                specs: list[BotSpec]) -> tuple[dict[str, TickFeed], dict[str, str]]:
    """Each event bot's live tick feed, from its ``tick_source`` plugin's ``live(config, clock)``
    (one feed per plugin, shared by its bots), and why the others cannot run."""
    built: dict[str, Any] = {}
    out: dict[str, TickFeed] = {}
    unfed: dict[str, str] = {}
    for spec in specs:
        name = getattr(spec.bot, "tick_source", None)
        cls = registry.get("providers", name) if name else None
        if cls is None or not hasattr(cls, "live"):
            unfed[spec.name] = f"its tick source {name!r} has no live feed"
            continue
        if name not in built:
            built[name] = cls.live(config, clock)
        missing = [i for i in spec.instruments if i not in built[name].instruments()]
        if missing:
            unfed[spec.name] = f"{', '.join(missing)} not in [prediction.markets] (name each contract's venue and id)"
            continue
        out[spec.name] = built[name]
    return out, unfed


def _watchdog(config: AppConfig, store: Any, clock: Clock, kernel: Kernel) -> Any:
    """The dashboard package's watchdog on the wall clock (None on a simulated clock)."""
    from tradefleet.orchestrator.clock import LiveClock

    if not isinstance(clock, LiveClock):
        return None
    from tradefleet.dashboard.watchdog import Watchdog

    return Watchdog.from_config(config.metrics, store, clock, kernel.services.bus)


class _Bootstrap:
    """The two services adapters need before the kernel exists."""

    def __init__(self, clock: Clock, registry: object) -> None:
        self.clock = clock
        self.registry = registry


def _apscheduler(enqueue: Callable[[str, int], None], specs: list[BotSpec], jobs: dict[str, Schedule]) -> object:
    from tradefleet.orchestrator.clock import dt_to_ns
    from tradefleet.orchestrator.scheduler import LiveScheduler, build_trigger

    sched = LiveScheduler(lambda job, when: enqueue(job, dt_to_ns(when)))
    for spec in specs:
        sched.add(spec.name, build_trigger(spec.schedule))
    for name, schedule in jobs.items():
        sched.add(name, build_trigger(schedule))
    sched.start()
    return sched
