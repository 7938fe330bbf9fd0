"""Beyond one machine: Redis Streams bus throughput, and a backtest sweep on Dask.

``.venv/bin/python -m bench.scale_bench [--signals N] [--bars N] [--json]``

* bus: N Signals published on one stream (pipelined ``XADD`` in batches, the way
  ``publish_many`` sends), then read by a consumer group and acknowledged (``XREADGROUP``
  batches + one ``XACK`` per batch), decoding every entry back into a ``Signal``; plus
  the same publish one round trip per signal, for comparison. Needs the local Redis.
* dask: the same 100-combination SMA sweep (``tradefleet.backtest.sweep``, through
  ``tradefleet.backtest.executor``'s Dask path) on a ``LocalCluster`` of 1 then 2 single-threaded
  worker processes, each warmed up first (numba JIT), the 1- and 2-worker runs
  interleaved ``--repeat`` times; best and median reported.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any

REDIS_URL = "redis://127.0.0.1:6379/0"


def _signals(n: int) -> list[Any]:
    from tradefleet.orchestrator.domain import Direction, Signal

    return [Signal(f"bot-{i % 50}", "SPX", Direction.LONG if i % 2 else Direction.SHORT, 0.7, 4000.0 + i % 100,
                   1_700_000_000_000_000_000 + i, 1_700_000_000_000_000_000 + i, stop=3900.0, target=4200.0,
                   meta={"bar_ts": 1_700_000_000_000_000_000 + i}) for i in range(n)]


def bench_bus(n: int, batch: int = 1000) -> dict[str, Any]:
    """Publish and consume ``n`` signals through the Redis Streams bus."""
    from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus, connect

    prefix = f"tfbench-{uuid.uuid4().hex[:8]}"
    sigs = _signals(n)
    pub = RedisStreamsBus(connect(REDIS_URL), group="pub", consumer="p", prefix=prefix)
    got: list[Any] = []
    sub = RedisStreamsBus(connect(REDIS_URL), group="leader", consumer="l", prefix=prefix, batch=batch, block_ms=100)
    sub.subscribe("signals", lambda _t, e: got.append(e))
    try:
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            pub.publish_many("signals", sigs[i:i + batch])
        t_pub = time.perf_counter() - t0
        t0 = time.perf_counter()
        while len(got) < n:
            if not sub.poll(block_ms=100):
                break
        t_sub = time.perf_counter() - t0
        assert got == sigs and sub.pending("signals") == 0, "bus lost, duplicated or reordered signals"
        one = min(n, 5000)
        t0 = time.perf_counter()
        for s in sigs[:one]:
            pub.publish("single", s)
        t_single = time.perf_counter() - t0
    finally:
        keys = list(pub.client.scan_iter(match=f"{prefix}:*"))
        if keys:
            pub.client.delete(*keys)
    return {"signals": n, "publish_per_s": n / t_pub, "consume_ack_per_s": n / t_sub,
            "end_to_end_per_s": n / (t_pub + t_sub), "publish_unbatched_per_s": one / t_single}


def bench_dask(bars: int, repeat: int) -> dict[str, Any]:
    """The same sweep on 1 and 2 Dask workers, runs interleaved (the box is shared, so
    load drifts: alternating keeps both sides under the same drift); best and median."""
    import statistics
    from contextlib import ExitStack

    from distributed import LocalCluster

    from tradefleet.backtest.engine import SimSettings
    from tradefleet.backtest.executor import open_executor
    from tradefleet.backtest.strategies import sma_cross_spec
    from tradefleet.backtest.sweep import grid, sweep
    from bench.backtest_bench import synthetic_bars

    frame = synthetic_bars(bars)
    spec = sma_cross_spec(10, 30)
    combos = grid({"fast": list(range(5, 55, 5)), "slow": list(range(60, 260, 20))})
    settings = SimSettings(fee=0.0005, init_cash=1e50)
    times: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}  # CPU seconds the workers got during each run
    results: dict[int, Any] = {}
    with ExitStack() as stack:
        executors, data = {}, {}
        for n in (1, 2):
            cluster = stack.enter_context(LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                       dashboard_address=None))
            executors[n] = ex = stack.enter_context(open_executor(cluster.scheduler_address))
            # the bars go to every worker once (a Dask future in the task arguments), not
            # pickled again with each chunk of combinations
            data[n] = ex._client.scatter(frame, broadcast=True)  # type: ignore[attr-defined]
            sweep(spec, frame.iloc[:5000], combos[: 2 * n], settings, executor=ex, chunk_count=2 * n)  # JIT warm-up
        for _ in range(repeat):
            for n in (1, 2):
                client = executors[n]._client  # type: ignore[attr-defined]
                cpu0 = sum(client.run(time.process_time).values())
                t0 = time.perf_counter()
                rows = sweep(spec, data[n], combos, settings, executor=executors[n], chunk_count=4 * n)
                times[n].append(time.perf_counter() - t0)
                cpus[n].append(sum(client.run(time.process_time).values()) - cpu0)
                results[n] = [r.metrics for r in rows]
    assert results[1] == results[2], "1-worker and 2-worker sweeps disagree"
    out: dict[str, Any] = {"bars": bars, "combos": len(combos), "repeat": repeat}
    for n in (1, 2):
        out[f"workers_{n}_best_s"] = min(times[n])
        out[f"workers_{n}_median_s"] = statistics.median(times[n])
        # cores the workers actually got (CPU seconds / wall seconds): 2.0 would be two free cores
        out[f"workers_{n}_cores_used"] = statistics.median(c / t for c, t in zip(cpus[n], times[n], strict=True))
        # CPU seconds the whole sweep cost: if it grows with 2 workers, the two vCPUs slow
        # each other down (shared physical core, memory bandwidth, hypervisor steal)
        out[f"workers_{n}_cpu_s"] = statistics.median(cpus[n])
    out["speedup_best"] = out["workers_1_best_s"] / out["workers_2_best_s"]
    out["speedup_median"] = out["workers_1_median_s"] / out["workers_2_median_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", type=int, default=50_000)
    ap.add_argument("--bars", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res: dict[str, Any] = {"bus": bench_bus(a.signals)}
    if not a.skip_dask:
        res["dask"] = bench_dask(a.bars, a.repeat)
    if a.json:
        print(json.dumps(res, indent=2))
        return
    b = res["bus"]
    print(f"Redis Streams bus, {b['signals']:,} Signals on loopback (target >= 10,000/s)")
    print(f"  publish (pipelined batches) {b['publish_per_s']:>10,.0f}/s")
    print(f"  consume + decode + XACK     {b['consume_ack_per_s']:>10,.0f}/s")
    print(f"  end to end                  {b['end_to_end_per_s']:>10,.0f}/s")
    print(f"  publish, one round trip each{b['publish_unbatched_per_s']:>10,.0f}/s")
    if "dask" in res:
        d = res["dask"]
        print(f"Dask sweep, {d['combos']} combos on {d['bars']:,} bars (target >= 1.7x)")
        print(f"Dask sweep, runs interleaved, {d['repeat']} each")
        for kind in ("best", "median"):
            print(f"  {kind:<6} 1 worker {d[f'workers_1_{kind}_s']:.2f} s   2 workers {d[f'workers_2_{kind}_s']:.2f} s"
                  f"   speed-up {d[f'speedup_{kind}']:.2f}x")
        print(f"  cores the workers got (CPU s / wall s, median): 1 worker {d['workers_1_cores_used']:.2f}, "
              f"2 workers {d['workers_2_cores_used']:.2f}")
        print(f"  CPU seconds per sweep (median): 1 worker {d['workers_1_cpu_s']:.2f}, "
              f"2 workers {d['workers_2_cpu_s']:.2f}")


if __name__ == "__main__":
    main()
