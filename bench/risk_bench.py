"""Risk engine speed: one signal through every risk check with 50 bots and 200 open
positions, and HRP over 100 assets (ours vs PyPortfolioOpt's HRPOpt).

Run: ``.venv/bin/python -m bench.risk_bench [--json]``

The portfolio is the kernel's own :class:`~tradefleet.orchestrator.portfolio.Ledger` and
:class:`~tradefleet.orchestrator.market.MarketState` (100 symbols, 260 daily bars of correlated
random walks), so the gate pays the real cost of reading positions and marks. The limits
are raised so that signals go the whole way (sizing, every cap, the VaR fit) instead of
stopping at max_positions. Scenarios:

* ``same tick``: 50 bots signal on each bar close (what a fleet does); the first signal of
  a tick rebuilds the exposure book and runs the per-tick work (breakers, daily loss,
  market-model refresh when due), the others reuse it;
* ``new tick``: every signal at a new clock time (worst case: a rebuild per signal).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from tradefleet.orchestrator.bot import Bot, BotSpec, Schedule
from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.orchestrator.domain import AssetClass, Direction, Fill, Side, Signal
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.portfolio import Ledger
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.persistence import MemoryRiskStore

N_SYMBOLS, N_BOTS, N_POSITIONS, N_BARS = 100, 50, 200, 260


class _Bot(Bot):
    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - never called
        raise NotImplementedError


def _market(seed: int = 7) -> tuple[MarketState, list[str], pd.DatetimeIndex]:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2025-01-01 21:00", periods=N_BARS, freq="D", tz="UTC")
    factors = rng.normal(0, 0.01, (N_BARS, 5))
    market = MarketState(spread_bps=2.0)
    symbols = [f"S{i:03d}" for i in range(N_SYMBOLS)]
    for i, sym in enumerate(symbols):
        r = factors @ rng.uniform(-0.5, 1.0, 5) + rng.normal(0, 0.01, N_BARS)
        close = 50 * np.cumprod(1 + r) * (1 + i / 50)
        market.load(sym, pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99,
                                       "close": close, "volume": 1e6}, index=idx))
    return market, symbols, idx


def _setup() -> tuple[PortfolioRiskGate, MarketState, Ledger, SimClock, list[BotSpec], list[str], int]:
    market, symbols, idx = _market()
    last = N_BARS - 40
    for sym in symbols:
        market.advance(sym, last)
    now = int(idx[last].value)
    clock = SimClock(now)
    ledger = Ledger(Decimal(100_000_000), market.last_close, "bench")
    bots = [f"bot{b:02d}" for b in range(N_BOTS)]
    rng = np.random.default_rng(1)
    made = 0
    while made < N_POSITIONS:
        bot, sym = bots[made % N_BOTS], symbols[int(rng.integers(N_SYMBOLS))]
        if ledger.position(bot, sym) is not None:
            continue
        px = Decimal(repr(market.last_close(sym)))
        side = Side.BUY if symbols.index(sym) % 2 == 0 else Side.SELL  # one side per underlying
        ledger.apply_fill(bot, Fill(f"c{made}", "paper", f"v{made}", f"t{made}", sym, side,
                                    Decimal(1000), px, Decimal(0), now, now))
        made += 1
    cfg = PortfolioRiskConfig.model_validate({
        "max_positions": 1000, "gross_exposure_pct": 10.0, "max_trades_per_day": 1_000_000,
        "correlation": {"cluster_cap_pct": 5.0}, "blockers": {"cooldown_minutes": 0},
        "breakers": {"stale_after_seconds": None}, "snapshot_seconds": 1e9,
    })
    store = MemoryRiskStore()
    gate = PortfolioRiskGate(cfg, clock, control=store, state=store, universe=market.symbols, timezone="UTC")
    specs = [BotSpec(b, _Bot, (symbols[0],), Schedule.interval("1d"), "1d", AssetClass.EQUITY) for b in bots]
    return gate, market, ledger, clock, specs, symbols, now


def _signals(specs: list[BotSpec], symbols: list[str], ledger: Ledger, now: int, seed: int) -> list[tuple[BotSpec, Signal]]:
    rng = np.random.default_rng(seed)
    out = []
    for spec in specs:
        sym = symbols[int(rng.integers(N_SYMBOLS))]
        held = ledger.position(spec.name, sym)
        side = Direction.LONG if symbols.index(sym) % 2 == 0 else Direction.SHORT
        other = Direction.SHORT if side is Direction.LONG else Direction.LONG
        d = Direction.FLAT if held is not None and rng.random() < 0.3 else side if rng.random() < 0.9 else other
        out.append((spec, Signal(spec.name, sym, d, 1.0, 100.0, now, now, stop=None)))
    return out


def _measure(same_tick: bool, ticks: int, clock_ns: Any = time.perf_counter_ns) -> tuple[list[float], list[float]]:
    """Return the latencies (us) of the first signal of each tick and of the others,
    by ``clock_ns`` (wall time, or this thread's CPU time)."""
    gate, market, ledger, clock, specs, symbols, now = _setup()
    first: list[float] = []
    lat: list[float] = []
    for t in range(ticks):
        sigs = _signals(specs, symbols, ledger, clock.now_ns(), t)
        for k, (spec, sig) in enumerate(sigs):
            if not same_tick:
                clock.advance(1)
            ctx = GateContext(clock.now_ns(), spec, market, ledger)
            t0 = clock_ns()
            gate.approve(sig, ctx, 1.0)
            (first if k == 0 and same_tick else lat).append((clock_ns() - t0) / 1_000)
        clock.advance(60)
    return first, lat


def _hrp(n_assets: int = 100, n_obs: int = 250, reps: int = 15) -> dict[str, float]:
    from pypfopt import HRPOpt

    from tradefleet.risk.hrp import hrp_weights

    rng = np.random.default_rng(3)
    r = rng.normal(0, 0.01, (n_obs, 8)) @ rng.uniform(-1, 1, (8, n_assets)) + rng.normal(0, 0.01, (n_obs, n_assets))
    frame = pd.DataFrame(r, columns=[f"A{i}" for i in range(n_assets)])
    ours, ref = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        w = hrp_weights(r)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        expected = pd.Series(HRPOpt(frame).optimize("single"))[frame.columns].to_numpy()
        ref.append(time.perf_counter() - t0)
    assert np.max(np.abs(w - expected)) < 1e-6
    return {"ours_ms": 1e3 * float(np.median(ours)), "pypfopt_ms": 1e3 * float(np.median(ref)),
            "max_abs_diff": float(np.max(np.abs(w - expected)))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--ticks", type=int, default=40)
    args = ap.parse_args()
    _measure(True, 2)  # warm imports and caches
    res: dict[str, Any] = {"load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    runs = (("same tick", True, time.perf_counter_ns), ("new tick", False, time.perf_counter_ns),
            ("same tick, CPU time", True, time.thread_time_ns), ("new tick, CPU time", False, time.thread_time_ns))
    for name, same, clock_ns in runs:
        first, rest = (np.array(x) for x in _measure(same, args.ticks, clock_ns))
        lat = np.concatenate([first, rest])
        res[name] = {"signals": int(lat.size), "p50_us": float(np.percentile(lat, 50)),
                     "p99_us": float(np.percentile(lat, 99)), "max_us": float(lat.max())}
        if first.size:
            res[name]["tick_start_p50_us"] = float(np.percentile(first, 50))
            res[name]["tick_start_max_us"] = float(first.max())
            res[name]["in_tick_p99_us"] = float(np.percentile(rest, 99))
    res["hrp_100"] = _hrp()
    if args.json:
        print(json.dumps(res, indent=2))
        return
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"risk gate, {N_BOTS} bots, {N_POSITIONS} open positions, {N_SYMBOLS} symbols (target p50 < 200 us, p99 < 2000 us);"
          f" load average {load:.1f} on {os.cpu_count()} cores")
    for name, _, _ in runs:
        r = res[name]
        print(f"  {name:19s}: {r['signals']} signals  p50 {r['p50_us']:.0f} us  p99 {r['p99_us']:.0f} us  max {r['max_us']:.0f} us")
        if "tick_start_p50_us" in r:
            print(f"                       first signal of a tick p50 {r['tick_start_p50_us']:.0f} us (max {r['tick_start_max_us']:.0f} us);"
                  f" the other 49 p99 {r['in_tick_p99_us']:.0f} us")
    h = res["hrp_100"]
    print(f"HRP 100 assets x 250 obs (target < 50 ms): ours {h['ours_ms']:.1f} ms, PyPortfolioOpt {h['pypfopt_ms']:.1f} ms "
          f"({h['pypfopt_ms'] / h['ours_ms']:.1f}x), max |dw| {h['max_abs_diff']:.1e}")


if __name__ == "__main__":
    main()
