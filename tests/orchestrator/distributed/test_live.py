"""Paper trading on a (simulated) wall clock with bot compute on a worker over Redis."""

from __future__ import annotations

from dataclasses import replace

import threading
from typing import Any

import pytest

from tradefleet.orchestrator.botrunner import BotRunner
from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.distributed.lease import FencedBroker, LeaderLease, lease_status
from tradefleet.app.distributed.live import DistributedLiveRunner
from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus, connect
from tradefleet.app.distributed.runtime import serve
from tradefleet.orchestrator.distributed.work import HistoryData, SignalWorker, evaluate
from tradefleet.orchestrator.domain import Bar
from tradefleet.orchestrator.kernel import assemble, paper_broker
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import _day_ns, load_history
from tradefleet.orchestrator.store import Store
from tests.orchestrator.distributed.conftest import REDIS_URL

BOTS = ["spx-sma-trend", "spx-rsi2"]
START, END = "2012-01-01", "2012-04-30"


class HistoryFeed:
    """Bars of the bundled history closed since the previous poll (the first poll: the last 300)."""

    def __init__(self, frames: dict[str, Any]) -> None:
        self.frames = frames
        self.sent: dict[str, int] = {}

    def poll(self, symbols: list[str], now_ns: int) -> list[Bar]:
        out = []
        for sym in symbols:
            f = self.frames[sym]
            ts = f.index.as_unit("ns").asi8
            lo = self.sent.get(sym)
            for i in range(len(ts)):
                if ts[i] > now_ns:
                    break
                if (lo is None and i >= int((ts <= now_ns).sum()) - 300) or (lo is not None and ts[i] > lo):
                    r = f.iloc[i]
                    out.append(Bar(sym, int(ts[i]), float(r.open), float(r.high), float(r.low), float(r.close),
                                   float(r.volume), int(ts[i])))
            if out:
                self.sent[sym] = max(b.ts_event for b in out if b.symbol == sym)
        return sorted(out, key=lambda b: b.ts_event)


@pytest.fixture
def setup(prefix: str, pg_url: str) -> Any:
    registry = Registry.discover()
    specs = [registry.bot(b) for b in BOTS]
    frames, instruments, _ = load_history(AppConfig(), ["SPX"], END)
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}})
    clock = SimClock(_day_ns(START))
    store = Store.open(pg_url)
    market = MarketState(cfg.paper.spread_bps)
    lease = LeaderLease(store.engine, "leader:paper", "live-leader", SimClock(NS), 30)
    paper = paper_broker(cfg, market, clock, "paper", instruments)
    lbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="leader", consumer="l", prefix=prefix, block_ms=20)
    kernel = assemble(cfg, store=store, registry=registry, specs=specs, clock=clock, market=market,
                      instruments=instruments, account="paper", brokers={"paper": FencedBroker(paper, lease)}, bus=lbus)
    kernel.engine.paper = paper
    runner = DistributedLiveRunner(kernel, market, HistoryFeed(frames), clock, lbus, lease)
    wbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="workers", consumer="w", prefix=prefix, block_ms=20)
    SignalWorker(wbus, {s.name: s for s in specs}, HistoryData({}))  # no history: only the bars in each task
    yield runner, wbus, specs, frames, clock, store
    store.close()


def test_live_fires_are_computed_on_the_worker_with_the_leaders_bars(setup: Any) -> None:
    runner, wbus, specs, frames, clock, store = setup
    assert runner.lease.acquire()
    times = [t for t in frames["SPX"].index.as_unit("ns").asi8.tolist() if t >= _day_ns(START)]
    data = HistoryData(frames)
    refs = {s.name: BotRunner(s, s.build(None)) for s in specs}
    expected: list[str] = []
    last: dict[str, int] = {}
    for t in times:
        clock.set_ns(t + 60 * NS)  # the schedule fires a minute after the close
        for spec in specs:
            runner.handle_fire(spec.name, t)
            for cand in evaluate(spec, refs[spec.name], data, t + 60 * NS):
                if cand.direction.sign != last.get(spec.name, 0):
                    last[spec.name] = cand.direction.sign
                    expected.append(replace(cand, account="paper").signal_id)  # ids as the leader stores them
        for _ in range(200):
            if runner.leader.idle:
                break
            wbus.poll(block_ms=1)
            runner.pump(block_ms=5)
        assert runner.leader.idle
    assert sorted(runner.leader.stats.processed) == sorted(expected) and len(expected) > 3
    assert runner.fires == 2 * len(times) and runner.bars >= len(times)


def test_run_loop_takes_and_releases_the_lease(setup: Any) -> None:
    runner, wbus, specs, frames, clock, store = setup
    clock.set_ns(_day_ns(END))
    stop = threading.Event()
    worker = threading.Thread(target=serve, args=(wbus, stop), daemon=True)
    worker.start()
    try:
        def schedule(enqueue: Any) -> Any:
            for spec in specs:
                enqueue(spec.name, clock.now_ns())
            return type("S", (), {"shutdown": lambda self: None})()

        runner.run(schedule, idle=runner.stop, wait_seconds=0.02)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not runner.deposed and runner.fires == 2 and runner.leader.stats.applied == 2
    [lease] = lease_status(store.engine)
    assert lease.expires_ns == 0  # released on stop


def test_run_distributed_paper_assembles_leads_and_stores(prefix: str, pg_url: str) -> None:
    from sqlalchemy import text

    from tradefleet.app.distributed.live import run_distributed_paper

    frames, _instruments, _ = load_history(AppConfig(), ["SPX"], END)
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}, "engine": {"store_url": pg_url},
                                    "scale": {"bus": {"kind": "redis", "url": REDIS_URL, "prefix": prefix}}})
    clock = SimClock(_day_ns(END))
    lbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="leader", consumer="l", prefix=prefix, block_ms=20)
    wbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="workers", consumer="w", prefix=prefix, block_ms=20)
    registry = Registry.discover()
    SignalWorker(wbus, {b: registry.bot(b) for b in BOTS}, HistoryData({}))
    stop = threading.Event()
    worker = threading.Thread(target=serve, args=(wbus, stop), daemon=True)
    worker.start()
    seen: list[Any] = []

    def schedule(enqueue: Any, specs: list[Any]) -> Any:
        for spec in specs:
            enqueue(spec.name, clock.now_ns())
        return type("S", (), {"shutdown": lambda self: None})()

    try:
        runner = run_distributed_paper(cfg, lbus, bots=BOTS, feed=HistoryFeed(frames), clock=clock,
                                       install_signals=False, started=seen.append, scheduler=schedule,
                                       stop_when_idle=True)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert seen == [runner] and not runner.deposed
    assert runner.fires == 2 and runner.leader.stats.applied == 2 and runner.bars >= 300
    with Store.open(pg_url) as store:
        with store.engine.connect() as conn:
            status = conn.execute(text("select status from runs order by id desc limit 1")).scalar()
        [lease] = lease_status(store.engine)
    assert status == "stopped" and lease.expires_ns == 0


def test_portfolio_bot_fires_run_on_the_leader_not_a_worker(prefix: str, pg_url: str) -> None:
    """A portfolio bot needs the book (Ctx) and its intents are one decision each: the
    leader (the single writer) runs it; nothing is sent to the workers."""
    import numpy as np
    import pandas as pd

    from tradefleet.orchestrator.bot import PortfolioBot
    from tradefleet.orchestrator.panel import Panel
    from tests.orchestrator.intents.kit import spec as intent_spec

    class TenPercentSpx(PortfolioBot):
        def weights(self, panel: Panel) -> pd.DataFrame:
            return pd.DataFrame({"SPX": np.full(len(panel), 0.1)}, index=panel.index)

    frames, instruments, _ = load_history(AppConfig(), ["SPX"], END)
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}})
    clock = SimClock(_day_ns(START))
    store = Store.open(pg_url)
    market = MarketState(cfg.paper.spread_bps)
    lease = LeaderLease(store.engine, "leader:paper", "live-leader", SimClock(NS), 30)
    paper = paper_broker(cfg, market, clock, "paper", instruments)
    lbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="leader", consumer="l", prefix=prefix, block_ms=20)
    spec = intent_spec("dist-weights", TenPercentSpx, ("SPX",))
    kernel = assemble(cfg, store=store, registry=Registry.discover(), specs=[spec], clock=clock, market=market,
                      instruments=instruments, account="paper", brokers={"paper": FencedBroker(paper, lease)}, bus=lbus)
    kernel.engine.paper = paper
    runner = DistributedLiveRunner(kernel, market, HistoryFeed(frames), clock, lbus, lease)
    assert runner.lease.acquire()
    times = [t for t in frames["SPX"].index.as_unit("ns").asi8.tolist() if t >= _day_ns(START)][:5]
    for t in times:
        clock.set_ns(t + 60 * NS)
        runner.handle_fire(spec.name, t)
    assert runner.leader.idle and not runner.leader.stats.processed  # no task went to a worker
    pos = kernel.engine.ledger.position(spec.name, "SPX")
    assert pos is not None and pos.quantity > 0 and kernel.engine.runners[spec.name].fault == ""
    store.close()
