"""Replay: the real kernel driven through history on a simulated clock.

Bars of every instrument the enabled bots trade are merged in time order; each bot's
schedule fires on the simulated clock through the same APScheduler triggers used live;
signals pass every configured gate and fill on the paper broker. ``speed`` (simulated
seconds per wall second) slows it down; 0 runs as fast as it computes.
"""

from __future__ import annotations

import gc
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.orchestrator.clock import NS, Clock, LiveClock, SimClock, ns_to_dt
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import Instrument
from tradefleet.orchestrator.errors import DataError, PluginError
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.kernel import assemble
from tradefleet.orchestrator.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.orchestrator.engine import Engine
    from tradefleet.orchestrator.store import Store

DAY_NS = 86_400 * NS
JOB_GRACE_NS = 7 * DAY_NS


@dataclass(frozen=True)
class ReplayProgress:
    """A snapshot for the live terminal view."""

    sim_ns: int
    done: int
    total: int
    equity: float
    cash: float
    fills: int
    signals: int
    open_positions: int
    halted: bool
    paused: bool


@dataclass
class BotSummary:
    name: str
    family: str
    instruments: list[str]
    status: str
    evaluations: int
    signals: int
    orders: int
    rejected: int
    fills: int
    closed_trades: int
    win_rate: float | None
    realized_pnl: float
    unrealized_pnl: float
    error: str = ""


@dataclass
class ReplaySummary:
    run_id: int
    account: str
    store_url: str
    start: str
    end: str
    bars: int
    fires: int
    bar_events: int
    wall_seconds: float
    events_per_second: float
    starting_cash: float
    cash: float
    positions_value: float
    equity: float
    total_return_pct: float
    realized_pnl: float
    unrealized_pnl: float
    fees: float
    signals: int
    orders: int
    fills: int
    rejected: int
    open_positions: int
    halted: bool
    stages: list[str]
    bots: list[BotSummary] = field(default_factory=list)
    skipped_bots: dict[str, str] = field(default_factory=dict)
    broken_plugins: list[dict[str, str]] = field(default_factory=list)
    #: what may trade at the end of the run and why not (:func:`tradefleet.risk.trading_state.trading_state`)
    trading_state: dict[str, Any] = field(default_factory=dict)
    #: capital utilisation (avg gross exposure / equity per account, fleet, bot) and size refusals
    capital: dict[str, Any] = field(default_factory=dict)
    #: each ensemble source: votes cast, abstentions and why (the commonest reasons)
    ensemble: dict[str, Any] = field(default_factory=dict)
    #: where each option underlying's chain came from: model-priced or "quotes from <file>"
    option_chains: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not out["option_chains"]:  # runs without option bots keep their summary (and digest) as before
            del out["option_chains"]
        return out


def resolve_frames(config: AppConfig, symbols: list[str], start: str | None, end: str | None
                   ) -> tuple[dict[str, pd.DataFrame], dict[str, Instrument]]:
    """Load each symbol from ``[replay.data]`` (dataset name or file) or the bundled data,
    cut to [start, end]."""
    frames, instruments, missing = load_history(config, symbols, end)
    if missing:
        raise DataError(next(iter(missing.values())))
    lo = _day_ns(start) if start else None
    return {s: f.loc[f.index.as_unit("ns").asi8 >= lo] if lo is not None else f for s, f in frames.items()}, instruments


def load_history(config: AppConfig, symbols: list[str], end: str | None
                 ) -> tuple[dict[str, pd.DataFrame], dict[str, Instrument], dict[str, str]]:
    """Every bar of each symbol up to ``end`` (inclusive), its instrument, and the symbols
    that have no data source (with the reason). A broken file still raises DataError."""
    from tradefleet.scrapers.bundled import BY_SYMBOL, DATASETS, load_dataset
    from tradefleet.scrapers.files import load_bar_file
    from tradefleet.scrapers.gaps import calendar_for

    frames: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    hi = _day_ns(end) + DAY_NS if end else None
    for sym in symbols:
        source = config.replay.data.get(sym)
        if source is None and sym not in BY_SYMBOL:
            missing[sym] = (f"no bundled data for {sym!r} (bundled: {', '.join(sorted(BY_SYMBOL))}); "
                            f"map it to a file under [replay.data]")
            continue
        if source is None:
            frame = load_dataset(BY_SYMBOL[sym].name)
        elif source in DATASETS:
            frame = load_dataset(source)
        else:
            frame = load_bar_file(source, calendar=calendar_for(instruments_for([sym])[sym].asset_class.value),
                                  tz=config.data.file_timezone, max_missing=config.data.max_missing_bars)
        frames[sym] = frame.loc[frame.index.as_unit("ns").asi8 < hi] if hi is not None else frame
    return frames, instruments_for(list(frames)), missing


def instruments_for(symbols: list[str]) -> dict[str, Instrument]:
    """The instrument definition of each symbol (bundled ones carry tick and lot sizes)."""
    from tradefleet.scrapers.bundled import INSTRUMENTS

    return {s: INSTRUMENTS.get(s) or Instrument(s, _guess_class(s)) for s in symbols}


def _day_ns(day: str) -> int:
    import pandas as pd

    try:
        return int(pd.Timestamp(day, tz="UTC").as_unit("ns").value)
    except (ValueError, TypeError):
        raise DataError(f"date {day!r}: use YYYY-MM-DD") from None


def _guess_class(symbol: str) -> Any:
    from tradefleet.orchestrator.domain import AssetClass

    return AssetClass.FX if "/" in symbol and len(symbol) == 7 else AssetClass.EQUITY


def select_bots(registry: Registry, config: AppConfig, names: list[str] | None) -> list[BotSpec]:
    """The bots to run: those named (must exist and be healthy), else every enabled one."""
    if names:
        return [registry.bot(n) for n in names]
    for name in config.bots:
        if name not in registry.records["bots"]:
            raise PluginError(f"config [bots.{name}]: no bot named {name!r}; see 'tradefleet bots list'")
    return [s for n, s in sorted(registry.bots().items()) if config.bots.get(n) is None or config.bots[n].enabled]


class Replay:
    """One replay run against one store."""

    def __init__(self, config: AppConfig, *, bots: list[str] | None = None, start: str | None = None,
                 end: str | None = None, store_url: str | None = None, speed: float | None = None,
                 progress: Callable[[ReplayProgress], None] | None = None, registry: Registry | None = None,
                 wall: Clock | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.bot_names = bots
        self.start = start if start is not None else config.replay.start
        self.end = end if end is not None else config.replay.end
        self.store_url = store_url or config.engine.store_url
        self.speed = config.replay.speed if speed is None else speed
        self.progress = progress
        self.registry = registry
        self.wall = wall or LiveClock()
        self.sleep = sleep
        self.skipped: dict[str, str] = {}
        self.start_ns: int | None = None
        self.sources: dict[str, Any] = {}
        self.quoted: set[str] = set()

    def _tick_sources(self, registry: Registry, specs: list[BotSpec]) -> dict[str, Any]:
        """Each event bot's recorded tick source (a ``tradefleet.providers`` plugin)."""
        built: dict[str, Any] = {}
        out = {}
        for spec in specs:
            name = getattr(spec.bot, "tick_source", None)
            if not name:
                continue
            if name not in built:
                built[name] = registry.get("providers", name).from_config(self.config)
            out[spec.name] = built[name]
        return out

    def run(self) -> ReplaySummary:
        from tradefleet.orchestrator.store import Store

        registry = self.registry or Registry.discover()
        specs = select_bots(registry, self.config, self.bot_names)
        if not specs:
            raise PluginError("no bots to run: every bot is disabled or broken (see 'tradefleet bots list')")
        self.sources = self._tick_sources(registry, [s for s in specs if s.bot.event_driven])
        ticked = {i: src for s in specs if s.name in self.sources for i in s.instruments
                  for src in [self.sources[s.name]]}
        symbols = sorted({i for s in specs for i in s.instruments} - set(ticked))
        frames, instruments, missing = load_history(self.config, symbols, self.end)
        for src in {id(v): v for v in ticked.values()}.values():  # recorded quotes of event bots
            quoted = src.frames()
            hi = _day_ns(self.end) + DAY_NS if self.end else None
            frames.update({k: (f.loc[f.index.as_unit("ns").asi8 < hi] if hi is not None else f)
                           for k, f in quoted.items() if k in ticked})
            instruments.update({k: v for k, v in src.instruments().items() if k in ticked})
        self.quoted = set(ticked)
        for sym in ticked:
            if sym not in frames:
                missing[sym] = f"no recorded quotes for {sym!r} in the tick source"
        self.start_ns = _day_ns(self.start) if self.start else None
        empty = {s for s, f in frames.items() if len(f) == 0 or (self.start_ns is not None and f.index[-1].value < self.start_ns)}
        window = f"between {self.start or 'the start'} and {self.end or 'the end'}"
        for s in specs:
            why = [missing[i] for i in s.instruments if i in missing]
            if s.bot.event_driven and s.name not in self.sources:
                why.append("event-driven without a tick source to replay")
            elif not why and set(s.instruments) & empty:
                why.append(f"no bars for {', '.join(sorted(set(s.instruments) & empty))} {window}")
            if why:
                self.skipped[s.name] = "; ".join(why)
        specs = [s for s in specs if s.name not in self.skipped]
        if not specs:
            raise DataError(f"no bot has data to replay {window}: " + "; ".join(f"{k}: {v}" for k, v in self.skipped.items()))
        needed = {i for s in specs for i in s.instruments}
        frames = {s: f for s, f in frames.items() if s in needed}
        self.chain_files = load_option_chain_files(self.config, specs)  # a bad file stops here: nothing stored
        store = Store.open(self.store_url)
        try:
            with store.run_lock(f"tradefleet run pid {os.getpid()} on {socket.gethostname()}"):
                return self._run(store, registry, specs, frames, instruments)
        finally:
            store.close()

    # -- assembly ---------------------------------------------------------------------
    def _run(self, store: Store, registry: Registry, specs: list[BotSpec], frames: dict[str, pd.DataFrame],
             instruments: dict[str, Instrument]) -> ReplaySummary:
        first = min(int(f.index.as_unit("ns").asi8[0]) for f in frames.values())
        clock = SimClock(max(first, self.start_ns or first) - 1)
        run_id = store.start_run("replay", clock.now_ns())
        market = MarketState(self.config.paper.spread_bps)
        for sym, frame in frames.items():
            market.load(sym, frame, quoted=sym in self.quoted)
        for src in {id(v): v for v in self.sources.values()}.values():  # public trades: what maker quotes fill on
            tape = getattr(src, "tape", None)
            for sym, (ts, px, size) in (tape() if tape is not None else {}).items():
                if sym in frames:
                    market.load_tape(sym, ts, px, size)
        kernel = assemble(self.config, store=store, registry=registry, specs=specs, clock=clock, market=market,
                          instruments=instruments, account=f"replay-{run_id}")
        engine = kernel.engine
        engine.tick_sources = dict(self.sources)
        self.listing = install_options(engine, specs, getattr(self, "chain_files", None))
        for runner in engine.runners.values():
            if runner.spec.bot.event_driven:
                continue
            try:
                runner.precompute(frames)
            except Exception as exc:  # isolate the bot, keep the fleet
                engine.fault(runner, exc)
        warm_up_gates(engine.pipeline.gates)
        # one transaction, committed at each control poll and each order intent
        with store.batch(), setup_heap_frozen():
            stats = self._loop(engine, clock, market, frames)
        return self._finish(engine, store, run_id, kernel.account, frames, stats)

    # -- the loop -----------------------------------------------------------------------
    def _loop(self, engine: Engine, clock: SimClock, market: MarketState, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
        from tradefleet.orchestrator.scheduler import SimScheduler, build_trigger

        symbols = list(frames)
        stamps = [market.timestamps(s) for s in symbols]
        # bars before --from are warm-up history: visible to compute, never traded on
        first = [int(np.searchsorted(t, self.start_ns)) if self.start_ns is not None else 0 for t in stamps]
        for sym, k0 in zip(symbols, first, strict=True):
            if k0 > 0:
                market.advance(sym, k0 - 1)
        ev_ts = np.concatenate([t[k0:] for t, k0 in zip(stamps, first, strict=True)])
        ev_sym = np.concatenate([np.full(len(t) - k0, i, dtype=np.int32) for i, (t, k0) in enumerate(zip(stamps, first, strict=True))])
        ev_row = np.concatenate([np.arange(k0, len(t), dtype=np.int64) for t, k0 in zip(stamps, first, strict=True)])
        order = np.argsort(ev_ts, kind="stable")
        ev_ts, ev_sym, ev_row = ev_ts[order].tolist(), ev_sym[order].tolist(), ev_row[order].tolist()

        sched = SimScheduler(clock)
        spans = {}
        lo = self.start_ns or 0
        for name, runner in engine.runners.items():
            ts = [market.timestamps(i) for i in runner.spec.instruments]
            spans[name] = (max(lo, min(int(t[0]) for t in ts)), max(int(t[-1]) for t in ts) + JOB_GRACE_NS)
        pending = sorted((begin, name) for name, (begin, _end) in spans.items())
        triggers = {name: build_trigger(engine.runners[name].spec.schedule) for name in spans}

        store = engine.services.store
        n = len(ev_ts)
        fires = 0
        wall0 = self.wall.now_ns()
        sim0 = ev_ts[0] if n else 0
        next_ui = next_ctl = wall0
        ctl_every = int(self.config.engine.control_poll_seconds * NS)
        last_day = -1
        for k in range(n):
            ts = ev_ts[k]
            while pending and pending[0][0] <= ts:
                begin, name = pending.pop(0)
                # the clock still reads the previous event: after a gap in the data (the bundled
                # history ends years before the prediction session) a job added now would fire
                # through the whole gap, before any bar of its own exists
                sched.add(name, triggers[name], not_before=begin)
            fires += self._fire_due(engine, sched, spans, ts - 1)
            clock.set_ns(ts)
            engine.on_bar(market.advance(symbols[ev_sym[k]], ev_row[k]))
            if k + 1 == n or ev_ts[k + 1] != ts:  # every bar of this instant is in: mark the book
                engine.mark(ts)
            day = ts // DAY_NS
            if day != last_day:
                if last_day >= 0:
                    engine.snapshot_equity(ts)
                last_day = day
            # the wall clock is read at every event (tens of ns): pacing (--speed) and control
            # polls must not wait for a batch of events (a year of daily bars is ~250 events)
            now = self.wall.now_ns()
            if now >= next_ctl:
                engine.reload_control()
                store.commit()
                next_ctl = now + ctl_every
            if self.progress is not None and now >= next_ui:
                self.progress(self._progress(engine, ts, k, n))
                next_ui = now + NS // 10
            while self.speed > 0 and (ahead := (ts - sim0) / self.speed / NS - (now - wall0) / NS) > 1e-3:
                self.sleep(min(ahead, 1.0))  # in steps, so control changes still apply within a second
                now = self.wall.now_ns()
                if now >= next_ctl:
                    engine.reload_control()
                    store.commit()
                    next_ctl = now + ctl_every
        if n:
            fires += self._fire_due(engine, sched, spans, ev_ts[-1])
            for source in {id(v): v for v in self.sources.values()}.values():  # binary contracts resolve
                for instrument, yes in source.settlements().items():
                    if instrument in frames:
                        engine.settle(instrument, yes, ev_ts[-1])
            engine.snapshot_equity(ev_ts[-1])
            save_report = getattr(engine.pipeline.risk, "save_report", None)
            if save_report is not None:  # the report `tradefleet risk` shows is the book at the end
                save_report(ev_ts[-1])
        store.commit()
        if self.progress is not None and n:
            self.progress(self._progress(engine, ev_ts[-1], n, n))
        return {"bars": n, "fires": fires, "wall_ns": self.wall.now_ns() - wall0,
                "start": ev_ts[0] if n else 0, "end": ev_ts[-1] if n else 0}

    @staticmethod
    def _fire_due(engine: Engine, sched: Any, spans: dict[str, tuple[int, int]], until: int) -> int:
        count = 0
        for fire_ns, name in sched.pop_due(until):
            if fire_ns > spans[name][1]:  # past its data: retire the job
                if name in sched.jobs():
                    sched.remove(name)
                continue
            engine.on_fire(name, fire_ns)
            count += 1
        return count

    def _progress(self, engine: Engine, ts: int, done: int, total: int) -> ReplayProgress:
        eq = engine.ledger.equity()
        c = engine.control
        return ReplayProgress(ts, done, total, float(eq), float(engine.ledger.cash()), engine.fills,
                              sum(r.stats.signals for r in engine.runners.values()),
                              engine.ledger.open_position_count(), c.halted, c.fleet_paused)

    # -- summary ----------------------------------------------------------------------
    def _finish(self, engine: Engine, store: Store, run_id: int, account: str, frames: dict[str, pd.DataFrame],
                stats: dict[str, Any]) -> ReplaySummary:
        ledger = engine.ledger
        start_cash = float(self.config.engine.starting_cash)
        cash, value = float(ledger.cash()), float(ledger.positions_value())
        bots = []
        for name, r in sorted(engine.runners.items()):
            results = engine.trade_results.get(name, [])
            unreal = sum(float(ledger.unrealized(p, _mark(engine, p.instrument, p.avg_price)))
                         for p in ledger.positions() if p.bot == name and p.quantity)
            bots.append(BotSummary(
                name, r.spec.family, list(r.spec.instruments), "faulted" if r.fault else "ok",
                r.stats.evaluations, r.stats.signals, r.stats.orders, r.stats.rejected,
                engine.fills_by_bot.get(name, 0), len(results),
                (sum(1 for x in results if x > 0) / len(results)) if results else None,
                float(ledger.realized(name)), unreal, r.fault,
            ))
        wall_s = stats["wall_ns"] / NS
        events = stats["bars"] + stats["fires"]
        summary = ReplaySummary(
            run_id=run_id, account=account, store_url=_redact(self.store_url),
            start=ns_to_dt(stats["start"]).isoformat() if stats["bars"] else "",
            end=ns_to_dt(stats["end"]).isoformat() if stats["bars"] else "",
            bars=stats["bars"], fires=stats["fires"], bar_events=events, wall_seconds=round(wall_s, 3),
            events_per_second=round(events / wall_s, 1) if wall_s > 0 else 0.0,
            starting_cash=start_cash, cash=round(cash, 2), positions_value=round(value, 2),
            equity=round(cash + value, 2), total_return_pct=round((cash + value) / start_cash * 100 - 100, 4),
            realized_pnl=round(float(ledger.realized()), 2), unrealized_pnl=round(sum(b.unrealized_pnl for b in bots), 2),
            fees=round(float(ledger.fees_paid), 2), signals=sum(b.signals for b in bots),
            orders=sum(b.orders for b in bots), fills=engine.fills, rejected=sum(b.rejected for b in bots),
            open_positions=ledger.open_position_count(), halted=engine.control.halted,
            stages=engine.pipeline.names, bots=bots, skipped_bots=dict(self.skipped),
            broken_plugins=[{"group": r.group, "name": r.name, "error": r.error} for r in engine.services.registry.broken()],
        )
        if getattr(self, "listing", None) is not None:
            from tradefleet.risk.options.quote_file import chain_sources

            summary.option_chains = chain_sources(self.listing)
        summary.trading_state = _trading_state(store, account, stats["end"] if stats["bars"] else None)
        summary.capital = engine.capital_report()
        for gate in engine.pipeline.gates:
            if gate.name == "ensemble" and callable(getattr(gate, "report", None)):
                summary.ensemble = gate.report()
        store.end_run(run_id, "completed", summary.to_dict(), engine.services.clock.now_ns())
        store.commit()
        return summary


@contextmanager
def setup_heap_frozen() -> Iterator[None]:
    """Leave the objects alive when the loop starts out of the cyclic collector's passes
    while it runs, and hand them back after.

    They live as long as the replay: modules, the data, compiled code, regime models (about
    250k objects in a one-bot replay, 450k in the default run). Every full pass of the
    collector walked them all: 0.12-0.16 s each, a quarter of a one-bot loop; 2.4 s of the
    default run's loop in 9 passes. Collection of what the loop allocates is unchanged; a
    cycle left over from the setup waits until the replay ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def warm_up_gates(gates: list[Any]) -> None:
    """Let each gate load what it computes with (``warm_up()``, optional) before the loop's
    clock starts: the regime filter's compiled loop used to load inside the first bar's
    evaluation, which only moved time into the loop's figure (the bots' indicators, which
    loaded it before the loop, no longer use numba)."""
    for gate in gates:
        warm = getattr(gate, "warm_up", None)
        if callable(warm):
            warm()


def install_options(engine: Engine, specs: list[BotSpec], files: Any = None) -> Any:
    """Give the engine an option market (model-priced chains, or quote files; expiry and
    assignment) when a bot trades options; None otherwise or without the risk component."""
    try:
        from tradefleet.risk.options.listing import install
    except ImportError:
        return None
    return install(engine, specs, files=files)


def load_option_chain_files(config: AppConfig, specs: list[BotSpec]) -> dict[str, Any]:
    """Every ``[options.chain_files]`` entry loaded and validated when a bot trades options
    (a bad file raises ChainDataError naming file, line and value, before anything is stored)."""
    from tradefleet.orchestrator.domain import AssetClass

    files = config.options.chain_files
    if not files or not any(s.asset_class is AssetClass.OPTION for s in specs):
        return {}
    from tradefleet.risk.options.quote_file import load_chain_files

    return load_chain_files(files)


def _mark(engine: Engine, instrument: str, fallback: Decimal) -> Decimal:
    """The last close of ``instrument`` (the position's own price if none)."""
    close = engine.services.market.last_close(instrument)
    return Decimal(repr(close)) if close is not None else fallback


def _trading_state(store: Store, account: str, end_ns: int | None) -> dict[str, Any]:
    """The one trading state of the replay's account at its simulated end."""
    try:
        from tradefleet.risk.trading_state import trading_state
    except ImportError:  # the risk component is not installed: the kernel's controls only
        return {}
    return trading_state(store, account, end_ns)


def _redact(url: str) -> str:
    """The store URL with any password hidden."""
    from tradefleet.orchestrator.store.connect import display_url, parse_url

    return display_url(parse_url(url))


def run_replay(config: AppConfig, bots: list[str] | None = None, start: str | None = None, end: str | None = None,
               store_url: str | None = None, **kwargs: Any) -> ReplaySummary:
    """Run a replay and return its summary (the API backtests and tests call)."""
    return Replay(config, bots=bots, start=start, end=end, store_url=store_url, **kwargs).run()


