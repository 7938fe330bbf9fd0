"""Signal workers and the leader: bot compute fans out, gating and orders stay single-writer.

The leader publishes a :class:`TickTask` on the ``tasks`` stream when a bot's schedule
fires. Any worker (consumer group ``workers``) evaluates the bot on the bars closed at the
tick time and returns an :class:`Evaluation` (each instrument's current target as a
candidate signal); the bus adds the evaluation and acknowledges the task in one
transaction. The leader (group ``leader``) keeps one tick in flight per bot, so a bot's
evaluations are applied in tick order; it turns target changes into signals (edge
triggering, the same rule as :class:`~tradefleet.orchestrator.botrunner.BotRunner`) and runs them
through the engine: gates, risk, the order manager and a :class:`FencedBroker`.

Exactly-once effects from at-least-once delivery: a task whose worker died is claimed by
another worker; an evaluation computed twice (a slow worker whose task was claimed) is
recognised by its (leader token, bot, seq) and dropped; signal ids and client order ids
are deterministic and stored once. A leader that lost the lease leaves evaluations
unacknowledged, so they are not consumed by a deposed process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.botrunner import BotRunner, SignalTable
from tradefleet.orchestrator.distributed.codec import register
from tradefleet.orchestrator.distributed.lease import LeaderLease, LeaseLost
from tradefleet.orchestrator.domain import Signal

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.orchestrator.distributed.redis_bus import Output, RedisStreamsBus
    from tradefleet.orchestrator.engine import Engine

TASKS = "tasks"
EVALUATIONS = "evaluations"
_ALWAYS = 2  # a "last target" no bot can have, so signal_for always returns the current one


@register
@dataclass(frozen=True, slots=True)
class TickTask:
    """Evaluate ``bot`` as of ``now_ns``; ``seq`` orders one leader's ticks of one bot.

    ``bars`` (live) carries the window the leader holds, per instrument, as rows of
    (close ts ns, open, high, low, close, volume), so workers need no data access and see
    exactly the market the gates see; without it (replay) workers read their history."""

    bot: str
    seq: int
    now_ns: int
    leader_token: int
    bars: dict[str, list[list[float]]] | None = None


def pack_bars(frame: pd.DataFrame) -> list[list[float]]:
    """A bar frame as JSON-able rows for :attr:`TickTask.bars`."""
    ts = frame.index.as_unit("ns").asi8.tolist()
    cols = frame[["open", "high", "low", "close", "volume"]].to_numpy(dtype="float64").tolist()
    return [[t, *row] for t, row in zip(ts, cols, strict=True)]


def unpack_bars(rows: list[list[float]]) -> pd.DataFrame:
    """The bar frame :func:`pack_bars` packed (UTC close-time index, float columns)."""
    import pandas as pd

    idx = pd.DatetimeIndex([int(r[0]) for r in rows], tz="UTC", name="ts").as_unit("ns")
    return pd.DataFrame([r[1:] for r in rows], index=idx, columns=["open", "high", "low", "close", "volume"],
                        dtype="float64")


@register
@dataclass(frozen=True, slots=True)
class Evaluation:
    """A worker's answer to a TickTask: the current target per instrument, or the error."""

    bot: str
    seq: int
    now_ns: int
    leader_token: int
    worker: str
    candidates: tuple[Signal, ...] = ()
    error: str = ""


class HistoryData:
    """Bars per symbol, cut at the tick time (never beyond it: no lookahead)."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self._ts = {s: f.index.as_unit("ns").asi8 for s, f in frames.items()}

    def window(self, symbol: str, now_ns: int, bars: int) -> pd.DataFrame | None:
        """The last ``bars`` bars of ``symbol`` closed at or before ``now_ns``."""
        import numpy as np

        frame = self.frames.get(symbol)
        if frame is None:
            return None
        end = int(np.searchsorted(self._ts[symbol], now_ns, side="right"))
        return frame.iloc[max(0, end - bars):end]


def evaluate(spec: BotSpec, runner: BotRunner, data: HistoryData, now_ns: int) -> tuple[Signal, ...]:
    """Each instrument's current target (FLAT included) as a candidate signal."""
    out: list[Signal] = []
    bars = runner.bot.warmup_bars()
    for inst in spec.instruments:
        frame = data.window(inst, now_ns, bars)
        if frame is None or len(frame) == 0:
            continue
        table = SignalTable.from_frame(spec.name, frame, runner.bot.compute(frame))
        runner.last[inst] = _ALWAYS
        sig = runner.signal_for(inst, len(frame) - 1, table, now_ns)
        if sig is not None:
            out.append(sig)
    return tuple(out)


class SignalWorker:
    """Consumes tick tasks, computes bot signals, publishes evaluations."""

    def __init__(self, bus: RedisStreamsBus, specs: dict[str, BotSpec], data: HistoryData,
                 params: dict[str, dict[str, Any]] | None = None,
                 before_compute: Callable[[TickTask], None] | None = None) -> None:
        self.bus = bus
        self.specs = specs
        self.data = data
        self.params = params or {}
        self.before_compute = before_compute
        self.runners: dict[str, BotRunner] = {}
        self.done = 0
        bus.subscribe(TASKS, self.on_task)

    def runner(self, name: str) -> BotRunner:
        if name not in self.runners:
            spec = self.specs[name]
            self.runners[name] = BotRunner(spec, spec.build(self.params.get(name)))
        return self.runners[name]

    def on_task(self, _topic: object, task: TickTask) -> list[Output]:
        """Evaluate one task; the bus publishes the result and acknowledges atomically."""
        if self.before_compute is not None:
            self.before_compute(task)
        try:
            if task.bot not in self.specs:
                raise KeyError(f"bot {task.bot!r} is not known to this worker")
            data = self.data if task.bars is None else HistoryData(
                {sym: unpack_bars(rows) for sym, rows in task.bars.items()})
            cands = evaluate(self.specs[task.bot], self.runner(task.bot), data, task.now_ns)
            ev = Evaluation(task.bot, task.seq, task.now_ns, task.leader_token, self.bus.consumer, cands)
        except Exception as exc:  # the leader faults the bot; the worker keeps serving others
            ev = Evaluation(task.bot, task.seq, task.now_ns, task.leader_token, self.bus.consumer,
                            error=f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500])
        self.done += 1
        return [(EVALUATIONS, ev)]


@dataclass
class LeaderStats:
    dispatched: int = 0
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    signals: int = 0
    processed: list[str] = field(default_factory=list)  # signal ids, in order


class FleetLeader:
    """The single writer of one account: dispatches ticks, applies evaluations in order."""

    def __init__(self, engine: Engine, bus: RedisStreamsBus, lease: LeaderLease,
                 on_time: Callable[[int], None] | None = None) -> None:
        """``on_time(now_ns)`` runs before an evaluation is applied: a replay driver sets
        its simulated clock and market there; live needs nothing."""
        self.engine = engine
        self.on_time = on_time
        self.bus = bus
        self.lease = lease
        self.stats = LeaderStats()
        self._seq: dict[str, int] = {}
        self._in_flight: dict[str, TickTask] = {}
        self._queued: dict[str, deque[tuple[int, dict[str, list[list[float]]] | None]]] = {}
        bus.subscribe(EVALUATIONS, self.on_evaluation)

    def tick(self, bot: str, now_ns: int, bars: dict[str, list[list[float]]] | None = None) -> None:
        """A bot's schedule fired: queue the tick (one in flight per bot); ``bars`` is the
        window to evaluate on (live), else workers use their history (replay)."""
        self._queued.setdefault(bot, deque()).append((now_ns, bars))
        self._dispatch(bot)

    def ticks(self, items: Iterable[tuple[str, int]]) -> None:
        for bot, now_ns in items:
            self.tick(bot, now_ns)

    @property
    def idle(self) -> bool:
        """True when no tick is in flight or queued."""
        return not self._in_flight and not any(self._queued.values())

    def _dispatch(self, bot: str) -> None:
        if bot in self._in_flight or not self._queued.get(bot):
            return
        token = self.lease.check()
        seq = self._seq.get(bot, 0) + 1
        self._seq[bot] = seq
        now_ns, bars = self._queued[bot].popleft()
        task = TickTask(bot, seq, now_ns, token, bars)
        self._in_flight[bot] = task
        self.bus.publish(TASKS, task)
        self.stats.dispatched += 1

    def on_evaluation(self, _topic: object, ev: Evaluation) -> None:
        """Apply one evaluation (raises LeaseLost, leaving it pending, if deposed)."""
        token = self.lease.check()
        if ev.leader_token != token:
            self.stats.stale += 1  # a previous leader's tick: not ours to apply
            return
        task = self._in_flight.get(ev.bot)
        if task is None or task.seq != ev.seq:
            self.stats.duplicates += 1  # computed twice (claimed from a slow worker)
            return
        runner = self.engine.runners[ev.bot]
        if ev.error:
            self.engine.fault(runner, RuntimeError(f"on worker {ev.worker}: {ev.error}"))
        else:
            if self.on_time is not None:
                self.on_time(ev.now_ns)
            self._apply(runner, ev)
        del self._in_flight[ev.bot]
        self.stats.applied += 1
        self._dispatch(ev.bot)

    def _apply(self, runner: BotRunner, ev: Evaluation) -> None:
        runner.stats.evaluations += 1
        control = self.engine.control
        if runner.fault:
            return
        if control.fleet_paused or runner.name in control.paused_bots:
            runner.stats.skipped_paused += 1
            return
        for cand in ev.candidates:
            target = cand.direction.sign
            if target == runner.last.get(cand.instrument, 0):
                continue
            runner.last[cand.instrument] = target
            self.stats.signals += 1
            self.stats.processed.append(replace(cand, account=self.engine.account).signal_id)  # as stored
            self.engine.process_signal(runner, cand)


__all__ = ["EVALUATIONS", "TASKS", "Evaluation", "FleetLeader", "HistoryData", "LeaseLost", "SignalWorker",
           "TickTask", "evaluate", "pack_bars", "unpack_bars"]
