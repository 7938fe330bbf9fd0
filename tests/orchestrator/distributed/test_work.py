"""Workers and the leader in one process (no Redis): evaluation parity with the live
runner, ordering, duplicate/stale evaluations, bot errors and a deposed leader."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.botrunner import BotRunner
from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.distributed.lease import FencedBroker, LeaderLease, LeaseLost
from tradefleet.orchestrator.distributed.work import (EVALUATIONS, TASKS, Evaluation, FleetLeader, HistoryData, SignalWorker,
                                           TickTask, evaluate)
from tradefleet.orchestrator.kernel import assemble, paper_broker
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import load_history
from tradefleet.orchestrator.store import Store

BOT = "spx-sma-trend"


class FakeBus:
    """Records publishes; delivers nothing by itself (the test hands events over)."""

    consumer = "fake"

    def __init__(self) -> None:
        self.published: dict[str, list[Any]] = defaultdict(list)
        self.handlers: dict[str, list[Any]] = defaultdict(list)

    def subscribe(self, topic: Any, handler: Any) -> None:
        self.handlers[str(topic)].append(handler)

    def publish(self, topic: Any, event: Any) -> None:
        self.published[str(topic)].append(event)


@pytest.fixture(scope="module")
def world() -> tuple[Registry, Any, dict[str, Any], dict[str, Any]]:
    registry = Registry.discover()
    spec = registry.bot(BOT)
    frames, instruments, _missing = load_history(AppConfig(), list(spec.instruments), "2012-12-31")
    return registry, spec, frames, instruments


def test_evaluation_matches_the_live_runner_on_the_same_window(world: Any) -> None:
    _registry, spec, frames, _ = world
    data = HistoryData(frames)
    frame = frames["SPX"]
    times = frame.index.as_unit("ns").asi8[-300::7].tolist()
    worker_runner = BotRunner(spec, spec.build(None))
    for now in times:
        [cand] = evaluate(spec, worker_runner, data, now)
        live = BotRunner(spec, spec.build(None))
        window = frame.loc[frame.index.as_unit("ns").asi8 <= now].iloc[-live.bot.warmup_bars():]
        live.last["SPX"] = -cand.direction.sign or 1  # force an emission whatever the target
        [sig] = live.live_signals({"SPX": window}, now)
        assert (sig.signal_id, sig.entry, sig.confidence, sig.ts_event) == (cand.signal_id, cand.entry,
                                                                             cand.confidence, cand.ts_event)
        assert cand.ts_event <= now  # never a bar after the tick


def _leader(world: Any, tmp_path: Path, bus: FakeBus, clock: SimClock) -> tuple[FleetLeader, LeaderLease, Store]:
    registry, spec, frames, instruments = world
    store = Store.open(f"sqlite:///{tmp_path / 'tf.db'}")
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}})
    market = MarketState()
    for sym, frame in frames.items():
        market.load(sym, frame)
        market.advance(sym, len(frame) - 1)
    lease = LeaderLease(store.engine, "leader:paper", "me", clock, 10)
    paper = paper_broker(cfg, market, SimClock(int(frames["SPX"].index[-1].value)), "paper", instruments)
    kernel = assemble(cfg, store=store, registry=registry, specs=[spec], clock=SimClock(int(frames["SPX"].index[-1].value)),
                      market=market, instruments=instruments, account="paper",
                      brokers={"paper": FencedBroker(paper, lease)})
    assert lease.acquire()
    return FleetLeader(kernel.engine, bus, lease), lease, store


def test_leader_applies_in_order_and_drops_duplicates_and_stale(world: Any, tmp_path: Path) -> None:
    _registry, spec, frames, _ = world
    lbus, wbus, clock = FakeBus(), FakeBus(), SimClock(NS)
    leader, lease, store = _leader(world, tmp_path, lbus, clock)
    worker = SignalWorker(wbus, {BOT: spec}, HistoryData(frames))  # type: ignore[arg-type]
    times = frames["SPX"].index.as_unit("ns").asi8[-120:].tolist()
    leader.ticks((BOT, t) for t in times)
    assert len(lbus.published[TASKS]) == 1  # one tick in flight per bot
    ref_runner = BotRunner(spec, spec.build(None))
    for t in times:
        task = lbus.published[TASKS][-1]
        assert isinstance(task, TickTask) and task.now_ns == t and task.leader_token == lease.token
        [(topic, ev)] = worker.on_task(TASKS, task)
        assert topic == EVALUATIONS
        leader.on_evaluation(topic, ev)
        leader.on_evaluation(topic, ev)  # delivered twice: applied once
        ref_runner.live_signals({"SPX": HistoryData(frames).window("SPX", t, ref_runner.bot.warmup_bars())}, t)
    assert leader.idle and leader.stats.applied == len(times) and leader.stats.duplicates == len(times)
    assert leader.engine.runners[BOT].last == ref_runner.last
    assert leader.stats.signals > 0
    stale = Evaluation(BOT, 999, times[-1], (lease.token or 0) + 5, "w")
    leader.on_evaluation(EVALUATIONS, stale)
    assert leader.stats.stale == 1
    store.close()


def test_worker_error_faults_the_bot_and_deposed_leader_defers(world: Any, tmp_path: Path) -> None:
    _registry, spec, frames, _ = world
    lbus, clock = FakeBus(), SimClock(NS)
    leader, lease, store = _leader(world, tmp_path, lbus, clock)
    worker = SignalWorker(FakeBus(), {}, HistoryData(frames))  # knows no bot
    leader.tick(BOT, frames["SPX"].index[-1].value)
    [(_topic, ev)] = worker.on_task(TASKS, lbus.published[TASKS][-1])
    assert "not known to this worker" in ev.error
    leader.on_evaluation(EVALUATIONS, ev)
    assert "not known" in leader.engine.runners[BOT].fault
    other = LeaderLease(store.engine, "leader:paper", "other", clock, 10)
    assert other.acquire(force=True)
    with pytest.raises(LeaseLost, match="superseded"):
        leader.tick(BOT, frames["SPX"].index[-1].value + 1)  # dispatch checks the lease first
    with pytest.raises(LeaseLost) as info:
        leader.on_evaluation(EVALUATIONS, ev)
    assert info.value.defer_entry  # the bus leaves the entry pending for the new leader
    store.close()


def test_pause_from_another_process_reaches_the_leader_over_redis(world: Any, tmp_path: Path, prefix: str) -> None:
    from tradefleet.orchestrator.bus import Topic
    from tradefleet.app.distributed.runtime import bus_for

    registry, spec, frames, instruments = world
    env = {"TRADEFLEET__SCALE__BUS__KIND": "redis", "TRADEFLEET__SCALE__BUS__PREFIX": prefix,
           "TRADEFLEET__SCALE__BUS__BLOCK_MS": "20", "TRADEFLEET__PIPELINE__STAGES": '["risk"]'}
    from tradefleet.app.config import load_config

    cfg = load_config(None, env)
    store = Store.open(f"sqlite:///{tmp_path / 'tf.db'}")
    leader_bus = bus_for(cfg, "leader")
    market = MarketState()
    kernel = assemble(cfg, store=store, registry=registry, specs=[spec], clock=SimClock(NS), market=market,
                      instruments=instruments, account="paper", bus=leader_bus)
    assert not kernel.engine.control.fleet_paused
    dashboard_bus = bus_for(cfg, "dashboard")  # the dashboard process: same store, same bus
    state = store.set_control("fleet", paused=True, reason="operator", actor="dashboard", ts_ns=NS)
    dashboard_bus.publish(Topic.CONTROL, state)
    for _ in range(5):
        leader_bus.poll(block_ms=20)  # type: ignore[attr-defined]
        if kernel.engine.control.fleet_paused:
            break
    assert kernel.engine.control.fleet_paused
    store.close()
