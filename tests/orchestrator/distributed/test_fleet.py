"""A shared fleet on the real services: one leader, two worker processes, PostgreSQL and
Redis. A worker is SIGKILLed mid-tick; the lease is taken from a leader mid-run."""

from __future__ import annotations

from dataclasses import replace

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.app.config import AppConfig
from tradefleet.app.distributed.driver import DistributedReplay
from tradefleet.orchestrator.distributed.lease import FENCED, lease_status
from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus, connect
from tradefleet.orchestrator.distributed.work import HistoryData, SignalWorker, evaluate
from tradefleet.orchestrator.botrunner import BotRunner
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import _day_ns, load_history
from tradefleet.orchestrator.store import Store
from tests.orchestrator.distributed.conftest import REDIS_URL

BOTS = ["spx-sma-trend", "spx-rsi2", "goog-rsi2", "goog-ema-trend"]
START, END = "2010-01-01", "2010-06-30"
ROOT = Path(__file__).resolve().parents[3]


def _config(prefix: str) -> AppConfig:
    return AppConfig.model_validate({
        "pipeline": {"stages": ["risk"]}, "replay": {"end": END},
        "scale": {"bus": {"kind": "redis", "url": REDIS_URL, "prefix": prefix, "claim_idle_ms": 300,
                          "block_ms": 20}, "lease": {"ttl_seconds": 30, "renew_seconds": 10}}})


@pytest.fixture(scope="module")
def fleet() -> tuple[Registry, list[Any], dict[str, Any], dict[str, Any]]:
    registry = Registry.discover()
    specs = [registry.bot(b) for b in BOTS]
    frames, instruments, missing = load_history(_config("x"), sorted({i for s in specs for i in s.instruments}), END)
    assert not missing
    return registry, specs, frames, instruments


def _reference(specs: list[Any], frames: dict[str, Any], times: list[tuple[int, list[str]]]) -> dict[str, list[str]]:
    """Signal ids per bot, computed in this process with the same evaluation and edge rule."""
    data = HistoryData(frames)
    runners = {s.name: BotRunner(s, s.build(None)) for s in specs}
    last: dict[tuple[str, str], int] = {}
    out: dict[str, list[str]] = {s.name: [] for s in specs}
    for now, bots in times:
        for b in bots:
            for cand in evaluate(runners[b].spec, runners[b], data, now):
                if cand.direction.sign != last.get((b, cand.instrument), 0):
                    last[(b, cand.instrument)] = cand.direction.sign
                    out[b].append(replace(cand, account="paper").signal_id)  # the leader's account
    return out


def _by_bot(ids: list[str], ref: dict[str, list[str]]) -> dict[str, list[str]]:
    owner = {sid: b for b, sids in ref.items() for sid in sids}
    out: dict[str, list[str]] = {b: [] for b in ref}
    for sid in ids:
        out[owner.get(sid, "?")] = out.get(owner.get(sid, "?"), []) + [sid]
    return out


@pytest.fixture
def workers(prefix: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(name: str, hang: str = "") -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "tests.orchestrator.distributed.worker_main", prefix, name, ",".join(BOTS)]
        p = subprocess.Popen(args + ([hang] if hang else []), cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        procs.append(p)
        return p

    yield spawn  # type: ignore[misc]
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=30)


def _leader_bus(prefix: str, name: str) -> RedisStreamsBus:
    return RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="leader", consumer=name, prefix=prefix,
                           block_ms=20, claim_idle_ms=300)


def _driver(prefix: str, pg_url: str, fleet: Any, store: Store, holder: str, lease_clock: SimClock) -> DistributedReplay:
    registry, specs, frames, instruments = fleet
    return DistributedReplay(_config(prefix), store=store, registry=registry, specs=specs, frames=frames,
                             instruments=instruments, bus=_leader_bus(prefix, holder), holder=holder,
                             lease_clock=lease_clock)


def _fenced(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.count(), func.count(FENCED.c.client_order_id.distinct()))
                            .select_from(FENCED)).one()
    return int(rows[0]), int(rows[1])


def test_two_workers_and_a_leader_share_a_fleet_and_survive_sigkill(prefix: str, pg_url: str, fleet: Any,
                                                                     workers: Any) -> None:
    w1 = workers("w1", "spx-rsi2:40")
    w2 = workers("w2", "spx-rsi2:40")
    with Store.open(pg_url) as store:
        drv = _driver(prefix, pg_url, fleet, store, "leader-1", SimClock(NS))
        times = drv.fire_times(_day_ns(START))
        ref = _reference(fleet[1], fleet[2], times)
        killed: list[int] = []

        def pump() -> None:
            pid = drv.bus.client.get(f"{prefix}:hung")
            if pid is not None and not killed:
                killed.append(int(pid))
                os.kill(int(pid), signal.SIGKILL)  # mid-tick: task read, nothing published or acked

        result = drv.run(_day_ns(START), pump=pump, wait_seconds=120)
        assert not result.deposed and result.steps == len(times)
        [lease] = lease_status(store.engine)
        assert (lease.holder, lease.token, lease.expires_ns) == ("leader-1", 1, 0)  # released when done
        assert killed and killed[0] in (w1.pid, w2.pid)
        dead = w1 if killed[0] == w1.pid else w2
        assert dead.wait(timeout=30) == -signal.SIGKILL
        # no signal lost, none handled twice, in each bot's order
        assert _by_bot(result.processed, ref) == ref
        assert len(result.processed) == len(set(result.processed)) > 10
        assert drv.leader.stats.applied == result.dispatched == sum(len(b) for _t, b in times)
        assert sorted(_stored_signal_ids(store)) == sorted(sid for sids in ref.values() for sid in sids)
        total, distinct = _fenced(store)
        assert total == distinct == result.orders > 0
        evaluations = [_decoded(f) for _id, f in drv.bus.client.xrange(drv.bus.stream("evaluations"))]
        assert {e.worker for e in evaluations} == {"w1", "w2"}
        # the task the dead worker held was taken over by the other one, and answered once
        [hung] = [e for e in evaluations if (e.bot, e.seq) == ("spx-rsi2", 40)]
        assert hung.worker == ("w2" if dead is w1 else "w1")


def _decoded(fields: dict[bytes, bytes]) -> Any:
    from tradefleet.orchestrator.distributed.codec import decode

    return decode(fields[b"e"])


def test_lease_taken_mid_run_second_leader_takes_over_no_order_twice(prefix: str, pg_url: str,
                                                                     fleet: Any) -> None:
    registry, specs, frames, _instruments = fleet
    wbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="workers", consumer="w", prefix=prefix,
                           block_ms=20, claim_idle_ms=300)
    SignalWorker(wbus, {s.name: s for s in specs}, HistoryData(frames))
    lease_clock = SimClock(NS)
    sent: list[str] = []
    with Store.open(pg_url) as store:
        a = _driver(prefix, pg_url, fleet, store, "leader-a", lease_clock)
        b = _driver(prefix, pg_url, fleet, store, "leader-b", lease_clock)
        for drv in (a, b):
            inner = drv.paper

            class Counting:
                name = inner.name

                def submit(self, order: Any, _inner: Any = inner) -> Any:
                    sent.append(order.client_order_id)
                    return _inner.submit(order)

                def __getattr__(self, item: str, _inner: Any = inner) -> Any:
                    return getattr(_inner, item)

            drv.broker.inner = Counting()  # one venue account behind both leaders
        times = a.fire_times(_day_ns(START))
        ref = _reference(specs, frames, times)

        def pump_a() -> None:
            wbus.poll(block_ms=1)
            if a.leader.stats.dispatched >= 200 and b.lease.token is None:
                assert b.lease.acquire(force=True)  # an operator (or a timeout) moves the lease

        ra = a.run(_day_ns(START), pump=pump_a)
        assert ra.deposed and 0 < ra.steps < len(times)
        sent_by_a = list(sent)
        rb = b.run(_day_ns(START), pump=lambda: wbus.poll(block_ms=1))
        assert not rb.deposed and rb.steps == len(times)
        assert len(sent) == len(set(sent)) and sent[:len(sent_by_a)] == sent_by_a
        with store.engine.connect() as conn:
            tokens = dict(conn.execute(select(FENCED.c.holder, func.max(FENCED.c.token)).group_by(FENCED.c.holder)).all())
        assert tokens.get("leader-a", 1) == 1 and tokens["leader-b"] == 2
        # every bot signal of the run is stored exactly once, whichever leader handled it
        stored = _stored_signal_ids(store)
        expected = sorted(sid for sids in ref.values() for sid in sids)
        assert sorted(stored) == expected, (set(stored) - set(expected), set(expected) - set(stored),
                                            _by_bot(ra.processed, ref), _by_bot(rb.processed, ref), ref)


def _stored_signal_ids(store: Store) -> list[str]:
    """Ids of the stored bot signals (scaled-exit signals of the exit manager left out)."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        rows = conn.execute(text("select signal_id, meta from signals")).all()
    return [sid for sid, meta in rows if "exit" not in (json.loads(meta) if isinstance(meta, str) else meta or {})]


def test_redis_cut_mid_run_leader_resumes_and_loses_nothing(prefix: str, pg_url: str, fleet: Any) -> None:
    from urllib.parse import urlsplit

    from tests.orchestrator.distributed.proxy import TcpProxy

    registry, specs, frames, instruments = fleet
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 6379))
    try:
        wbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="workers", consumer="w", prefix=prefix,
                               block_ms=20, claim_idle_ms=300)
        SignalWorker(wbus, {s.name: s for s in specs}, HistoryData(frames))
        lbus = RedisStreamsBus(connect(f"redis://127.0.0.1:{proxy.port}/0", block_ms=20), group="leader",
                               consumer="leader-1", prefix=prefix, block_ms=20, claim_idle_ms=300)
        with Store.open(pg_url) as store:
            drv = DistributedReplay(_config(prefix), store=store, registry=registry, specs=specs, frames=frames,
                                    instruments=instruments, bus=lbus, holder="leader-1", lease_clock=SimClock(NS))
            times = drv.fire_times(_day_ns(START))
            ref = _reference(specs, frames, times)
            state = {"down_polls": 0, "cuts": 0}

            def pump() -> None:
                wbus.poll(block_ms=1)
                if drv.leader.stats.dispatched >= 120 and state["cuts"] == 0:
                    proxy.cut()  # evaluations are waiting on Redis, some delivered but not acked
                    state["cuts"] = 1
                elif state["cuts"] == 1 and not lbus.connected:
                    state["down_polls"] += 1
                    if state["down_polls"] == 3:
                        proxy.restore()
                        state["cuts"] = 2

            result = drv.run(_day_ns(START), pump=pump)
        assert state["cuts"] == 2 and lbus.stats.outages >= 1 and lbus.connected
        assert not result.deposed and result.steps == len(times)
        assert _by_bot(result.processed, ref) == ref  # nothing lost, nothing applied twice
        assert lbus.pending("evaluations") == 0
    finally:
        proxy.close()
