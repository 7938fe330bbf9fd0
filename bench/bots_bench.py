"""Bot compute cost: every registered bar bot over its whole bundled history, and the
numpy indicators against straightforward pandas implementations of the same formulas.

Run: ``.venv/bin/python -m bench.bots_bench [--json]``. Wall times are best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _pandas_refs() -> dict[str, Callable[[Any], Any]]:
    import pandas as pd

    def wilder(s: pd.Series, n: int) -> pd.Series:
        seeded = s.copy()
        seeded.iloc[:n - 1] = np.nan
        seeded.iloc[n - 1] = s.iloc[:n].mean()
        return seeded.ewm(alpha=1 / n, adjust=False).mean()

    def rsi(f: pd.DataFrame) -> Any:
        d = f.close.diff()
        g, lo = wilder(d.clip(lower=0).iloc[1:], 14), wilder((-d).clip(lower=0).iloc[1:], 14)
        return 100 - 100 / (1 + g / lo)

    def atr(f: pd.DataFrame) -> Any:
        pc = f.close.shift()
        tr = pd.concat([f.high - f.low, (f.high - pc).abs(), (f.low - pc).abs()], axis=1).max(axis=1)
        return wilder(tr, 14)

    def bollinger(f: pd.DataFrame) -> Any:
        m, s = f.close.rolling(20).mean(), f.close.rolling(20).std(ddof=0)
        return m - 2 * s, m, m + 2 * s

    def cci(f: pd.DataFrame) -> Any:
        tp = (f.high + f.low + f.close) / 3
        mad = tp.rolling(20).apply(lambda w: np.abs(w - w.mean()).mean(), raw=True)
        return (tp - tp.rolling(20).mean()) / (0.015 * mad)

    return {"rsi": rsi, "atr": atr, "bollinger": bollinger, "cci": cci}


def indicator_rows(repeat: int) -> list[dict[str, Any]]:
    from tradefleet.bots import indicators as ta
    from tradefleet.scrapers.bundled import load_dataset

    f = load_dataset("sp500")
    h, lo, c = (f[k].to_numpy() for k in ("high", "low", "close"))
    ours: dict[str, Callable[[], Any]] = {
        "rsi": lambda: ta.rsi(c, 14), "atr": lambda: ta.atr(h, lo, c, 14),
        "bollinger": lambda: ta.bollinger(c, 20, 2.0), "cci": lambda: ta.cci(h, lo, c, 20),
    }
    refs = _pandas_refs()
    rows = []
    for name, fn in ours.items():
        t_np, t_pd = _best(fn, repeat), _best(lambda n=name: refs[n](f), repeat)
        rows.append({"indicator": name, "bars": len(f), "numpy_ms": t_np * 1e3, "pandas_ms": t_pd * 1e3,
                     "speedup": t_pd / t_np})
    return rows


def bot_rows(repeat: int) -> list[dict[str, Any]]:
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.scrapers.bundled import BY_SYMBOL, load_dataset

    rows = []
    for name, spec in sorted(Registry.discover(["bots"]).bots().items()):
        if spec.bot.event_driven or spec.instruments[0] not in BY_SYMBOL:
            continue
        frame = load_dataset(BY_SYMBOL[spec.instruments[0]].name)
        bot = spec.build()
        w = bot.warmup_bars()
        full = _best(lambda: bot.compute(frame), repeat)
        live = _best(lambda: bot.compute(frame.iloc[-w:]), repeat)
        rows.append({"bot": name, "bars": len(frame), "full_ms": full * 1e3, "bars_per_s": len(frame) / full,
                     "live_window": w, "live_ms": live * 1e3})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    ind, bots = indicator_rows(args.repeat), bot_rows(args.repeat)
    total = sum(r["full_ms"] for r in bots)
    summary = {"bots": len(bots), "total_full_history_ms": total,
               "total_bars": sum(r["bars"] for r in bots),
               "median_live_ms": float(np.median([r["live_ms"] for r in bots])),
               "max_live_ms": max(r["live_ms"] for r in bots)}
    if args.json:
        print(json.dumps({"indicators": ind, "bots": bots, "summary": summary}, indent=2))
        return
    print("| indicator | bars | numpy ms | pandas ms | speed-up |\n|---|---:|---:|---:|---:|")
    for r in ind:
        print(f"| {r['indicator']} | {r['bars']} | {r['numpy_ms']:.2f} | {r['pandas_ms']:.2f} | {r['speedup']:.1f}x |")
    slow = sorted(bots, key=lambda r: -r["full_ms"])[:5]
    print("\nslowest bots over full history:", ", ".join(f"{r['bot']} {r['full_ms']:.1f} ms" for r in slow))
    print(f"{summary['bots']} bar bots, {summary['total_bars']} bars in all: "
          f"{summary['total_full_history_ms']:.0f} ms for every bot over its whole history; "
          f"live tick (last warm-up window): median {summary['median_live_ms']:.2f} ms, max {summary['max_live_ms']:.2f} ms")


if __name__ == "__main__":
    main()
