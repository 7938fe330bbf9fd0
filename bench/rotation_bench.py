"""A 10-instrument momentum rotation over 26 years of daily bars, backtested with target
weights (Strategy API v2). The bars are GENERATED (synthetic geometric random walks with
per-instrument drift and volatility, two series starting late and one with a gap): no ten
26-year daily series are bundled.

    .venv/bin/python -m bench.rotation_bench [--repeat N]

Times the whole backtest (panel alignment, the bot's ``weights(panel)`` over the full
history, and the simulation) after one warm-up run (numba compiles once per machine and
caches). Target: under 0.5 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from tradefleet.backtest.targets import backtest_targets
from tradefleet.bots.portfolio.rotation import MomentumRotationBot
from tradefleet.orchestrator.panel import Panel

N_INSTRUMENTS = 10
YEARS = 26


def generated_universe(seed: int = 16) -> dict[str, pd.DataFrame]:
    """Ten generated daily series on business days 1999-2024 (synthetic)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("1999-01-01", periods=int(YEARS * 261), tz="UTC", name="ts").as_unit("ns")
    out = {}
    for k in range(N_INSTRUMENTS):
        r = rng.normal(0.0002 + 0.0001 * k, 0.008 + 0.002 * k, len(days))
        close = 100 * np.exp(np.cumsum(r))
        open_ = close * np.exp(rng.normal(0, 0.002, len(days)))
        f = pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.004,
                          "low": np.minimum(open_, close) * 0.996, "close": close, "volume": 1e6}, index=days)
        if k == 8:
            f = f.iloc[1500:]  # lists later
        if k == 9:
            f = f.drop(f.index[3000:3040])  # a two-month gap: missing bars stay missing
        out[f"GEN{k}"] = f
    return out


def run_once(frames: dict[str, pd.DataFrame]) -> tuple[float, dict[str, object]]:
    t0 = time.perf_counter()
    panel = Panel.from_frames(frames)
    bot = MomentumRotationBot(MomentumRotationBot.Params(lookback=126, top=3, gross=0.9, tolerance=0.02))
    result = backtest_targets(bot, panel)
    return time.perf_counter() - t0, {"rows": len(panel), **result.summary()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    frames = generated_universe()
    run_once({k: v.iloc[:400] for k, v in frames.items()})  # warm-up: numba and imports
    times = []
    for _ in range(args.repeat):
        dt, summary = run_once(frames)
        times.append(dt)
    print({"what": "10-instrument rotation, 26 years of generated daily bars, target-weight backtest",
           "min_s": round(min(times), 3), "median_s": round(float(np.median(times)), 3), "target_s": 0.5, **summary})


if __name__ == "__main__":
    main()
