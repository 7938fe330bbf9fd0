"""Prediction markets: live snapshot build and quote replay.

    .venv/bin/python -m bench.prediction_bench [--markets 200] [--snapshots 1000000] [--kernel 20000] [--json]

1. **Snapshot build**: :class:`~tradefleet.bots.prediction.live.LiveSnapshotSource.build` over
   ``--markets`` contracts (half Kalshi, half Polymarket) on 40 variables, each variable fed
   by the five forecast sources (GFS ensemble with 31 members, NWS, Cleveland Fed, GDPNow,
   FRED) and every sports contract by sportsbook odds: 8 source kinds with the two venues'
   books. Readers answer from memory (what the hub's TTL cache returns), so the figure is
   the join itself. Median of 20 builds.
2. **Quote replay, bot path**: ``--snapshots`` snapshots of two longshot contracts written to
   a Parquet session, read back (:func:`~tradefleet.bots.prediction.session.load_session`) and fed to the
   longshot fader on the simulated clock (:func:`~tradefleet.bots.prediction.replay.run_snapshots`).
3. **Quote replay, kernel path**: the same session cut to ``--kernel`` snapshots through
   the kernel's replay (every gate, paper fills, settlement): events per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

T0 = 1_794_787_200 * 10**9


def _snapshot_source(markets: int) -> Any:
    import numpy as np
    import pandas as pd

    from tradefleet.bots.prediction.config import PredictionConfig
    from tradefleet.bots.prediction.live import LiveSnapshotSource
    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.scrapers.alt.nowcast import Nowcast
    from tradefleet.scrapers.alt.weather import PointForecast
    from tradefleet.scrapers.provenance import Provenance, Sourced
    from tradefleet.scrapers.venue_books import BookTop

    clock = SimClock(T0)
    prov = Provenance("bench", "memory", T0 - 60 * 10**9, T0 - 3600 * 10**9)
    idx = pd.date_range("2026-11-21", periods=168, freq="h", tz="UTC")
    rng = np.random.default_rng(0)
    members = pd.DataFrame(rng.normal(60, 5, (168, 31)), index=idx,
                           columns=["control"] + [f"member{i:02d}" for i in range(1, 31)])
    fred = pd.Series(np.linspace(300, 330, 24), index=pd.date_range("2025-01-01", periods=24, freq="MS", tz="UTC"))
    day = pd.Timestamp("2026-11-22T11:00", tz="UTC").value
    sources = {
        "openmeteo": SimpleNamespace(members=lambda lat, lon: Sourced(members, prov)),
        "nws": SimpleNamespace(forecast=lambda lat, lon: Sourced([PointForecast("Sun", day, day + 12 * 3600 * 10**9,
                                                                                True, 61.0, "F")], prov)),
        "clevelandfed": SimpleNamespace(latest=lambda: Sourced(Nowcast("2026-11", "2026-11-21", 0.2, 0.25, 0.2, 0.2,
                                                                        None), prov)),
        "gdpnow": SimpleNamespace(latest=lambda: Sourced(("2026-10-01", 3.1), prov)),
        "fred": SimpleNamespace(series=lambda sid: Sourced(fred, prov)),
        "odds": SimpleNamespace(events=lambda sport, market: Sourced([{
            "home_team": "A", "away_team": "B", "bookmakers": [
                {"key": f"book{i}", "markets": [{"key": "h2h", "outcomes": [{"name": "A", "price": 1.8 + i / 100},
                                                                           {"name": "B", "price": 2.1}]}]}
                for i in range(5)]}], prov)),
    }
    hub = SimpleNamespace(source=lambda name: sources[name],
                          config=SimpleNamespace(nws_sigma_f=2.5, nws_sigma_growth_f=1.0))
    feeds = [{"source": "gfs_ensemble", "lat": 40.8, "lon": -74.0, "day": "2026-11-22"},
             {"source": "nws", "lat": 40.8, "lon": -74.0, "day": "2026-11-22"},
             {"source": "cleveland_fed"}, {"source": "gdpnow"}, {"source": "fred", "series": "X", "change": "mom_pct"}]
    mk = {}
    for i in range(markets):
        venue = "kalshi" if i % 2 == 0 else "polymarket"
        m: dict[str, Any] = {"venue": venue, "domain": "weather", "variable": f"v{i % 40}", "strike": 55.0 + i % 10}
        if i % 10 == 0:
            m["odds"] = {"sport": "nba", "team": "A"}
        mk[f"M{i:04d}"] = m
    cfg = PredictionConfig(markets=mk, variables={f"v{k}": {"feeds": feeds} for k in range(40)},
                           max_source_age_minutes=1e6)

    class Books:
        def __init__(self, venue: str) -> None:
            self.venue = venue

        def read(self, symbol: str, venue_id: str) -> BookTop:
            return BookTop(symbol, self.venue, 0.40, 0.42, 100.0, 120.0, clock.now_ns())  # type: ignore[arg-type]

    src = LiveSnapshotSource(cfg, {"kalshi": Books("kalshi"), "polymarket": Books("polymarket")}, hub, clock)
    return src, list(mk)


def bench_build(markets: int) -> dict[str, Any]:
    src, symbols = _snapshot_source(markets)
    src.build(symbols, T0)  # warm imports
    times = []
    for k in range(20):
        t = time.perf_counter()
        snap = src.build(symbols, T0 + k)
        times.append(time.perf_counter() - t)
    kinds = {key.split(":")[0] for key in snap.ages}
    return {"markets": len(snap.quotes), "source_kinds": sorted(kinds), "median_ms": statistics.median(times) * 1e3,
            "max_ms": max(times) * 1e3, "target_ms": 50}


def _write_session(path: Path, n: int) -> None:
    """Two longshot contracts, ``n`` 5-minute snapshots, written straight as Parquet tables."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tradefleet.bots.prediction.session import SessionWriter

    w = SessionWriter(path, {"kind": "synthetic", "generator": "bench/prediction_bench.py", "snapshots": n}).open()
    ts = T0 + np.arange(n, dtype=np.int64) * 300 * 10**9
    rng = np.random.default_rng(1)
    bid = np.where(rng.random(n) < 0.5, 0.05, 0.04)
    (path / "quotes").mkdir(parents=True, exist_ok=True)
    syms = [("KXHIGHNY-T90", "kalshi"), ("KXFED-T500", "kalshi")]
    cols = {"ts_ns": np.repeat(ts, 2), "symbol": [s for _ in range(n) for s, _ in syms],
            "venue": [v for _ in range(n) for _, v in syms], "yes_bid": np.repeat(bid, 2),
            "yes_ask": np.repeat(bid + 0.02, 2), "bid_size": np.full(2 * n, 500.0), "ask_size": np.full(2 * n, 500.0)}
    pq.write_table(pa.table(cols), path / "quotes" / "part-000000.parquet")
    (path / "terms").mkdir(exist_ok=True)
    pq.write_table(pa.table({"symbol": ["KXHIGHNY-T90", "KXFED-T500"], "domain": ["weather", "politics"],
                             "variable": ["h", "r"], "strike": [90.0, 5.0], "above": [True, True],
                             "settles_ns": [int(ts[-1])] * 2}), path / "terms" / "part-000000.parquet")
    w.settle({"h": 80.0, "r": 6.0})
    w.flush()


def bench_replay(n: int) -> dict[str, Any]:
    from tradefleet.bots.prediction.bots import KALSHI_LONGSHOT_FADER
    from tradefleet.bots.prediction.replay import run_snapshots
    from tradefleet.bots.prediction.session import load_session

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s"
        t = time.perf_counter()
        _write_session(path, n)
        write_s = time.perf_counter() - t
        load1 = os.getloadavg()[0]
        t, c = time.perf_counter(), time.process_time()
        snaps = load_session(path).snapshots
        load_s, load_cpu = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        sigs = run_snapshots(KALSHI_LONGSHOT_FADER, snaps)
        run_s, run_cpu = time.perf_counter() - t, time.process_time() - c
    return {"snapshots": len(snaps), "write_s": write_s, "load_s": load_s, "bot_s": run_s,
            "replay_s": load_s + run_s, "load_cpu_s": load_cpu, "bot_cpu_s": run_cpu,
            "replay_cpu_s": load_cpu + run_cpu, "load_avg": [load1, os.getloadavg()[0]], "signals": len(sigs),
            "target_s": 60}


def bench_kernel(n: int) -> dict[str, Any]:
    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s"
        _write_session(path, n)
        t = time.perf_counter()
        s = run_replay(AppConfig(replay={"snapshots": str(path)}), bots=["kalshi-longshot-fader"],
                       store_url=f"sqlite:///{tmp}/k.db")
        wall = time.perf_counter() - t
    return {"snapshots": n, "wall_s": wall, "events": s.bar_events, "events_per_s": s.bar_events / wall,
            "fills": s.fills}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="prediction-market benchmarks")
    ap.add_argument("--markets", type=int, default=200)
    ap.add_argument("--snapshots", type=int, default=1_000_000)
    ap.add_argument("--kernel", type=int, default=20_000)
    ap.add_argument("--only", choices=["build", "replay", "kernel"], action="append",
                    help="run only these parts (repeatable; default: all three)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    parts = a.only or ["build", "replay", "kernel"]
    runs = {"build": lambda: bench_build(a.markets), "replay": lambda: bench_replay(a.snapshots),
            "kernel": lambda: bench_kernel(a.kernel)}
    out = {k: runs[k]() for k in parts}
    if a.json:
        print(json.dumps(out, indent=1))
        return
    if "build" in out:
        b = out["build"]
        print(f"snapshot build: {b['markets']} markets, {len(b['source_kinds'])} source kinds: "
              f"median {b['median_ms']:.1f} ms, max {b['max_ms']:.1f} ms (target < 50 ms)")
    if "replay" in out:
        r = out["replay"]
        print(f"quote replay (bot path): {r['snapshots']:,} snapshots: load {r['load_s']:.1f} s + bot {r['bot_s']:.1f} s "
              f"= {r['replay_s']:.1f} s wall, {r['load_cpu_s']:.1f} + {r['bot_cpu_s']:.1f} = {r['replay_cpu_s']:.1f} s "
              f"CPU (target < 60 s; load average {r['load_avg'][0]:.1f} -> {r['load_avg'][1]:.1f} on "
              f"{os.cpu_count()} cores); writing the session took {r['write_s']:.1f} s")
    if "kernel" in out:
        k = out["kernel"]
        print(f"quote replay (kernel, every gate): {k['snapshots']:,} snapshots, {k['events']:,} events in "
              f"{k['wall_s']:.1f} s = {k['events_per_s']:,.0f} events/s")

if __name__ == "__main__":
    main()
