"""The numba floor of the backtester: a plain loop with the kernel's fill rule and costs.

    .venv/bin/python -m bench.backtest_floor [--bars 1000000] [--repeat 7] [--sl 0.01] [--json]

``floor_nb`` is the least a numba backtest of target-position signals can do: the signal of
bar *t* fills at the open of bar *t+1*, adversely slipped, a fee of traded notional on entry
and on exit, long and short, a new position sized to ``size x equity / (price x (1 + fee))``,
a protective stop ``sl`` from entry that fills at the stop, or at the open when the bar
gapped through it (never better), plus slippage; after a stop the account stays flat until
the signal changes (target-position semantics). It writes the equity curve and counts
trades, nothing else: no trade records, no metrics, no other fill modes.

The bench times, side by side in one process on one generated (synthetic GBM) 1M-bar series
with the SMA(10/30) crossover's signals: the floor; the kernel alone (``simulate_nb``); the
kernel plus metrics (``metrics_nb``); ``engine.simulate`` (what a backtest costs once the
signals exist: array preparation, kernel, metrics, the result object); and
``run_backtest`` (signals too). It checks that the floor and the kernel produce the same
equity curve (so they do the same work), then prints each as a multiple of the floor.
CPU time (``time.process_time``), best of ``--repeat`` after a warm-up call, so first-call
compilation is never counted.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def floor_nb(open_, low, high, close, signal, cash, fee, slip, size, sl):  # type: ignore[no-untyped-def]
    """Return ``(equity[n], trades)``: next-open fills, fee and slippage, long/short, a stop ``sl``."""
    n = close.shape[0]
    equity = np.empty(n)
    pos = 0.0
    direction = 0
    prev_tgt = 0
    stop = np.nan
    trades = 0
    for i in range(n):
        tgt = 0
        if i > 0:
            s = signal[i - 1]
            if s > 0:
                tgt = 1
            elif s < 0:
                tgt = -1
        if tgt != prev_tgt:
            prev_tgt = tgt
            if direction != 0 and direction != tgt:
                px = open_[i] * (1.0 - direction * slip)
                cash += pos * px - abs(pos) * px * fee
                pos = 0.0
                direction = 0
                trades += 1
            if tgt != 0 and direction == 0:
                px = open_[i] * (1.0 + tgt * slip)
                units = size * cash / (px * (1.0 + fee))
                pos = tgt * units
                cash -= pos * px + units * px * fee
                direction = tgt
                stop = px * (1.0 - tgt * sl) if sl > 0.0 else np.nan
        if direction != 0 and not np.isnan(stop):
            if (direction > 0 and low[i] <= stop) or (direction < 0 and high[i] >= stop):
                base = open_[i] if (open_[i] - stop) * direction < 0 else stop
                px = base * (1.0 - direction * slip)
                cash += pos * px - abs(pos) * px * fee
                pos = 0.0
                direction = 0
                trades += 1
        equity[i] = cash + pos * close[i]
    if direction != 0:
        trades += 1
    return equity, trades


def _best(fn: Any, repeat: int) -> float:
    fn()  # warm-up: compilation / cache load is not counted
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def run(bars: int, repeat: int, sl: float) -> dict[str, Any]:
    from bench.backtest_bench import CASH, FEE, synthetic_bars
    from tradefleet.backtest.engine import SimSettings, run_backtest, signals_of, simulate
    from tradefleet.backtest.kernel import metrics_nb, simulate_nb
    from tradefleet.backtest.strategies import sma_cross_spec

    frame = synthetic_bars(bars)  # generated (synthetic GBM) bars
    spec = sma_cross_spec(10, 30)
    s = SimSettings(fee=FEE, init_cash=CASH, slippage=0.0002, sl_pct=sl)
    sig = signals_of(spec.build(), frame)
    o, h, lo, c = (np.ascontiguousarray(frame[k].to_numpy(dtype=np.float64)) for k in ("open", "high", "low", "close"))
    none = np.full(1, np.nan)
    slip = np.full(1, s.slippage)
    params = s.params(60.0)
    plan = np.empty(0)
    vol = np.empty(0)
    years = float(frame.index[-1].value - frame.index[0].value) / (365.25 * 86400 * 1e9)

    def floor() -> Any:
        return floor_nb(o, lo, h, c, sig.signal, CASH, FEE, s.slippage, s.size, sl)

    def kernel() -> Any:
        return simulate_nb(o, h, lo, c, sig.signal, none, none, slip, params, vol, plan)

    def kernel_metrics() -> Any:
        eq, tr, nt, _, _ = kernel()
        return metrics_nb(eq, tr, nt, CASH, years)

    f_eq, f_trades = floor()
    k_eq, _, k_trades, _, _ = kernel()
    same = bool(np.array_equal(f_eq, k_eq)) and int(f_trades) == int(k_trades)
    if not same:
        raise SystemExit(f"floor and kernel disagree: trades {f_trades} vs {k_trades}, "
                         f"max rel equity diff {np.nanmax(np.abs(f_eq / k_eq - 1)):.2e}")
    t = {"floor": _best(floor, repeat), "kernel": _best(kernel, repeat),
         "kernel+metrics": _best(kernel_metrics, repeat),
         "engine.simulate": _best(lambda: simulate(frame, sig, s), repeat),
         "run_backtest": _best(lambda: run_backtest(spec, frame, s), repeat)}
    return {"bars": bars, "data": "generated (synthetic GBM 1-minute bars)", "trades": int(k_trades),
            "stop_pct": sl, "equity_identical": same, "cpu_s": t,
            "x_floor": {k: v / t["floor"] for k, v in t.items()},
            "load_average": os.getloadavg(), "cores": os.cpu_count()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--sl", type=float, default=0.01, help="stop loss fraction from entry (0: none)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    out = run(a.bars, a.repeat, a.sl)
    if a.json:
        print(json.dumps(out))
        return
    print(f"SMA(10/30) long/short, fee {0.001:.1%}, slippage 0.02%, stop {a.sl:.1%}, next-open fills, "
          f"{a.bars:,} generated bars, {out['trades']:,} trades; equity floor == kernel: {out['equity_identical']}")
    print(f"{'what':<18}{'CPU ms':>10}{'x floor':>10}")
    for k, v in out["cpu_s"].items():
        print(f"{k:<18}{v * 1e3:10.2f}{out['x_floor'][k]:10.2f}")
    la = out["load_average"]
    print(f"load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} on {out['cores']} cores")


if __name__ == "__main__":
    main()
