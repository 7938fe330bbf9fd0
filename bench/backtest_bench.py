"""Backtest engine benchmark: ours vs vectorbt vs backtesting.py, side by side in one run.

    .venv/bin/python -m bench.backtest_bench [--bars 1000000] [--bt-bars 20000] [--vbt-combos 100] [--vbt-chunk 10]

Same SMA(10/30) crossover (long/short, backtesting.py crossover rules), 0.1% fee, fills at
the next bar's open, on seeded synthetic one-minute GBM bars. Each measurement that
reports peak memory runs in its own fresh process (peak RSS from ``getrusage``).
backtesting.py runs on ``--bt-bars`` bars and its time is scaled linearly to the full
size; vectorbt's sweep runs all ``--vbt-combos`` (100) combinations in broadcasts of ``--vbt-chunk``
columns (a 100-column broadcast of 1M bars needs ~10 GB); both are stated in the output.
The first part times our kernel against the plain numba floor (bench/backtest_floor.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FEE = 0.001
# 1M minute bars of SMA(10/30) make ~39k fee-paying trades: equity falls ~1e-35x. A huge
# starting cash keeps that inside vectorbt's order-size tolerances so both engines
# can be compared on final equity (the ratio, not the level, is what is simulated).
CASH = 1e50


def synthetic_bars(n: int, seed: int = 42) -> Any:
    """Seeded GBM one-minute OHLCV bars with a UTC close-time index."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0008, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0.0, 0.0002, n))
    wick = np.abs(rng.normal(0.0, 0.0005, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    idx = pd.date_range("2020-01-01", periods=n, freq="min", tz="UTC", name="ts")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": rng.integers(1, 1000, n).astype(float)}, index=idx)


def _clock() -> float:
    """CPU seconds of this process: every measured engine is single-threaded, and on a
    shared 2-core box wall time mostly measures waiting for a core."""
    return time.process_time()


def _best(fn: Any, repeat: int = 5) -> float:
    fn()  # warm (JIT, caches)
    times = []
    for _ in range(repeat):
        t = _clock()
        fn()
        times.append(_clock() - t)
    return min(times)


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- parts (each runs in a fresh process via --part) ----------------------------------
def part_single(n: int) -> dict[str, Any]:
    from tradefleet.backtest.engine import SimSettings, run_backtest, signals_of
    from tradefleet.backtest.strategies import sma_cross_spec

    frame = synthetic_bars(n)
    spec = sma_cross_spec(10, 30)
    s = SimSettings(fee=FEE, init_cash=CASH)
    ours = _best(lambda: run_backtest(spec, frame, s))
    sig = signals_of(spec.build(), frame)
    from tradefleet.backtest.engine import simulate

    sim_only = _best(lambda: simulate(frame, sig, s))
    res = run_backtest(spec, frame, s)
    return {"ours_s": ours, "ours_sim_only_s": sim_only, "ours_final": float(res.equity[-1]),
            "trades": res.metrics["trades"], "peak_mb": _peak_mb()}


def part_vbt_single(n: int) -> dict[str, Any]:
    from tradefleet.backtest.engine import SimSettings, signals_of
    from tradefleet.backtest.reference import run_vectorbt
    from tradefleet.backtest.strategies import sma_cross_spec

    frame = synthetic_bars(n)
    sig = signals_of(sma_cross_spec(10, 30).build(), frame)
    s = SimSettings(fee=FEE, init_cash=CASH)
    t = _best(lambda: run_vectorbt(frame, sig, s, freq="1min").value().iloc[-1])
    final = float(run_vectorbt(frame, sig, s, freq="1min").value().iloc[-1])
    return {"vbt_s": t, "vbt_final": final, "peak_mb": _peak_mb()}


def part_bt(n: int) -> dict[str, Any]:
    import warnings

    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA

    frame = synthetic_bars(n).rename(columns=str.capitalize)
    frame.index = frame.index.tz_localize(None)

    class SmaCross(Strategy):
        n1, n2 = 10, 30

        def init(self) -> None:
            self.s1 = self.I(SMA, self.data.Close, self.n1)
            self.s2 = self.I(SMA, self.data.Close, self.n2)

        def next(self) -> None:
            if crossover(self.s1, self.s2):
                self.position.close()
                self.buy()
            elif crossover(self.s2, self.s1):
                self.position.close()
                self.sell()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = Backtest(frame, SmaCross, cash=1e9, commission=FEE)
        t = _clock()
        bt.run()
        return {"bt_s": _clock() - t, "bt_bars": n}


def part_sweep_ours(n: int) -> dict[str, Any]:
    from tradefleet.backtest.engine import SimSettings
    from tradefleet.backtest.strategies import sma_cross_spec
    from tradefleet.backtest.sweep import grid, sweep

    frame = synthetic_bars(n)
    spec = sma_cross_spec(10, 30)
    combos = grid({"fast": list(range(5, 55, 5)), "slow": list(range(60, 260, 20))})
    sweep(spec, frame.iloc[:5000], combos[:1])  # JIT warm-up (cached anyway)
    t = _clock()
    rows = sweep(spec, frame, combos, SimSettings(fee=FEE, init_cash=CASH))
    return {"sweep_ours_s": _clock() - t, "combos": len(rows), "peak_mb": _peak_mb()}


def part_sweep_vbt(n: int, combos: int, chunk: int = 10) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    from tradefleet.backtest.reference import transitions
    from tradefleet.backtest.strategies import cross_state

    frame = synthetic_bars(n)
    frame.index = frame.index.tz_localize(None)  # vectorbt's fast path: naive datetime64 index
    close = frame["close"]
    pairs = [(f, s) for f in range(5, 55, 5) for s in range(60, 260, 20)][:combos]

    def run(pairs: list[tuple[int, int]]) -> Any:
        # vectorbt's batched way: indicator columns for every combination of a chunk, one broadcast.
        fast = vbt.MA.run(close, window=[p[0] for p in pairs]).ma.to_numpy()
        slow = vbt.MA.run(close, window=[p[1] for p in pairs]).ma.to_numpy()
        arrays: dict[str, list[np.ndarray]] = {"entries": [], "exits": [], "short_entries": [], "short_exits": []}
        for j in range(len(pairs)):
            for k, v in transitions(cross_state(fast[:, j], slow[:, j])).items():
                arrays[k].append(v)
        cols = pd.Index(range(len(pairs)), name="combo")
        kw = {k: pd.DataFrame(np.column_stack(v), index=frame.index, columns=cols) for k, v in arrays.items()}
        pf = vbt.Portfolio.from_signals(close=close, open=frame["open"], high=frame["high"], low=frame["low"],
                                        price=frame["open"], size=np.inf, fees=FEE, init_cash=CASH,
                                        upon_opposite_entry="reverse", freq="1min", **kw)
        return pf.sharpe_ratio()

    t0 = _clock()
    run(pairs[:2])  # first call compiles vectorbt's numba functions; not counted
    first = _clock() - t0
    t = _clock()
    sharpe = []
    for i in range(0, len(pairs), chunk):
        sharpe.append(run(pairs[i:i + chunk]))
        gc.collect()
    return {"sweep_vbt_s": _clock() - t, "sweep_vbt_first_s": first, "vbt_combos": len(pairs),
            "vbt_chunk": chunk, "vbt_results": sum(len(x) for x in sharpe), "peak_mb": _peak_mb()}


def part_first_backtest() -> dict[str, Any]:
    t = time.perf_counter()
    from tradefleet.backtest.engine import SimSettings, run_backtest
    from tradefleet.backtest.strategies import sma_cross_spec
    from tradefleet.scrapers.bundled import load_dataset

    res = run_backtest(sma_cross_spec(10, 20), load_dataset("goog"), SimSettings())
    return {"first_s": time.perf_counter() - t, "trades": res.metrics["trades"]}


def part_floor(n: int) -> dict[str, Any]:
    from bench.backtest_floor import run

    out = run(n, 5, 0.01)
    out["peak_mb"] = _peak_mb()
    return out


PARTS = {"floor": part_floor, "single": part_single, "vbt_single": part_vbt_single, "bt": part_bt, "sweep_ours": part_sweep_ours,
         "first": part_first_backtest}


def _subprocess(part: str, *args: Any, env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.backtest_bench", "--part", part, *map(str, args)]
    wall, cpu, out = _timed(cmd, env)
    if out.returncode != 0:
        raise SystemExit(f"part {part} failed:\n{out.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    data["process_wall_s"], data["process_cpu_s"] = wall, cpu
    return data


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, Any]:
    """Run ``cmd``; return wall seconds, the child's CPU seconds (user+sys) and the result.

    CPU time is reported next to wall time because this machine's 2 cores are shared by
    several engineers: wall time there includes waiting for a core.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env or os.environ.copy(), check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--bt-bars", type=int, default=20_000)
    ap.add_argument("--vbt-combos", type=int, default=100, help="combinations vectorbt runs (all 100 by default)")
    ap.add_argument("--vbt-chunk", type=int, default=10, help="columns per vectorbt broadcast (10 x 1M bars ~ 2.8 GB)")
    ap.add_argument("--skip-validate", action="store_true", help="leave out 'tradefleet validate --all'")
    ap.add_argument("--part")
    ap.add_argument("rest", nargs="*")
    a = ap.parse_args()
    if a.part:
        extra = [int(x) for x in a.rest]
        fn: Any = {"vbt_sweep": part_sweep_vbt}.get(a.part) or PARTS[a.part]
        print(json.dumps(fn(*extra)))
        return
    n = a.bars
    print(f"SMA(10/30) crossover, fee {FEE:.1%}, next-bar-open fills, {n:,} synthetic 1-minute bars; 2-core machine\n")
    fl = _subprocess("floor", n)
    print(f"the numba floor (bench/backtest_floor.py), stop 1%, slippage 0.02%, {fl['trades']:,} trades, "
          f"equity identical to the kernel's: {fl['equity_identical']}; CPU, best of 5")
    for k, v in fl["cpu_s"].items():
        print(f"  {k:<18}{v * 1e3:9.2f} ms  {fl['x_floor'][k]:6.2f}x floor")
    print()
    single = _subprocess("single", n)
    vbt1 = _subprocess("vbt_single", n)
    bt = _subprocess("bt", a.bt_bars)
    bt_scaled = bt["bt_s"] * n / a.bt_bars
    print("one backtest (signals + simulation + metrics), CPU time, best of 5 after warm-up")
    print(f"  ours                      {single['ours_s'] * 1e3:9.1f} ms   (simulation+metrics alone {single['ours_sim_only_s'] * 1e3:.1f} ms)")
    print(f"  vectorbt from_signals     {vbt1['vbt_s'] * 1e3:9.1f} ms   same signals      -> ours {vbt1['vbt_s'] / single['ours_s']:6.1f}x faster")
    print(f"  backtesting.py            {bt_scaled:9.1f} s    ({a.bt_bars:,} bars: {bt['bt_s']:.2f} s, scaled x{n // a.bt_bars})"
          f" -> ours {bt_scaled / single['ours_s']:6.0f}x faster")
    print(f"  final equity ours {single['ours_final']:,.2f} vs vectorbt {vbt1['vbt_final']:,.2f} "
          f"({abs(single['ours_final'] / vbt1['vbt_final'] - 1):.2e} rel), {single['trades']:.0f} trades\n")
    sw = _subprocess("sweep_ours", n)
    sv = _subprocess("vbt_sweep", n, a.vbt_combos, a.vbt_chunk)
    vbt_scaled = sv["sweep_vbt_s"] * 100 / sv["vbt_combos"]
    print("100-combination sweep (fast 5..50 x slow 60..240), CPU time, each in a fresh process")
    print(f"  ours (one combination at a time, in-process)  {sw['sweep_ours_s']:7.2f} s   peak RSS {sw['peak_mb']:7.0f} MB")
    scaled = "" if sv["vbt_combos"] == 100 else f" -> scaled to 100: {vbt_scaled:.1f} s"
    print(f"  vectorbt, {sv['vbt_combos']} combinations in broadcasts of {sv['vbt_chunk']} columns "
          f"{sv['sweep_vbt_s']:7.2f} s   peak RSS {sv['peak_mb']:7.0f} MB{scaled}")
    print(f"  ours {vbt_scaled / sw['sweep_ours_s']:.1f}x faster than vectorbt\n")
    with tempfile.TemporaryDirectory() as cold:
        env = {**os.environ, "NUMBA_CACHE_DIR": cold}
        c = _subprocess("first", env=env)
        w = _subprocess("first", env=env)
    print("first backtest in a fresh process (GOOG SMA 10/20, including imports and data load)")
    print(f"  cold numba cache {c['process_wall_s']:6.2f} s wall, {c['process_cpu_s']:5.2f} s CPU (in-process {c['first_s']:.2f} s)")
    print(f"  warm numba cache {w['process_wall_s']:6.2f} s wall, {w['process_cpu_s']:5.2f} s CPU (in-process {w['first_s']:.2f} s)\n")
    if a.skip_validate:
        print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        return
    with tempfile.TemporaryDirectory() as store:
        took, cpu, out = _timed([str(ROOT / ".venv/bin/tradefleet"), "validate", "--all", "--json", "--store", store])
    if out.returncode != 0:
        raise SystemExit(f"validate --all failed: {out.stderr[-2000:]}")
    results = json.loads(out.stdout)["results"]
    go = sum(r["passed"] for r in results)
    print(f"validate --all: {len(results)} bots in {took:.1f} s wall, {cpu:.1f} s CPU ({go} GO, {len(results) - go} NO-GO)")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
