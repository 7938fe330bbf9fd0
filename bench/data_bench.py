"""Benchmark of the data hub (issue 8).

* Reading 1,000,000 cached bars from the Parquet cache (``ParquetBarCache.read``) into a
  validated-shape bar frame. Target < 0.5 s. Side by side: ``pandas.read_parquet`` of the
  same file (then re-indexed the same way) and ``pandas.read_csv`` of the same bars.
* Range read (the last 10,000 bars), merge-write of 1,000 new bars, resampling 1m -> 1h
  and the bar checks over the million bars.

Bars are a seeded random walk on 1-minute close times (the cache stores whatever a
provider returned; content does not change read cost). Best of ``--repeat`` runs.

Run: ``.venv/bin/python -m bench.data_bench`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _bars(n: int) -> Any:
    import pandas as pd

    rng = np.random.default_rng(42)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 5e-4, n)))
    o = np.r_[c[0], c[:-1]]
    spread = np.abs(rng.normal(0, 2e-4, n)) * c
    idx = pd.date_range("2024-01-01T00:01Z", periods=n, freq="1min").as_unit("ns").rename("ts")
    return pd.DataFrame({"open": o, "high": np.maximum(o, c) + spread, "low": np.minimum(o, c) - spread,
                         "close": c, "volume": rng.integers(1, 1000, n).astype("float64")}, index=idx)


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run(n: int, repeat: int) -> dict[str, Any]:
    import pandas as pd

    from tradefleet.scrapers.cache import ParquetBarCache
    from tradefleet.scrapers.checks import check_bars
    from tradefleet.scrapers.resample import resample

    frame = _bars(n)
    root = Path(tempfile.mkdtemp(prefix="tf-data-bench-"))
    cache = ParquetBarCache(root)
    t_write, _ = _best(lambda: cache.write("BENCH", "1m", frame, "bench"), 1)
    path = cache.path("BENCH", "1m")
    csv = root / "bars.csv"
    frame.to_csv(csv)

    t_read, back = _best(lambda: cache.read("BENCH", "1m"), repeat)
    assert back is not None and len(back) == n and back.index.equals(frame.index)
    assert np.array_equal(back["close"].to_numpy(), frame["close"].to_numpy())

    def pandas_parquet() -> Any:
        raw = pd.read_parquet(path)
        return raw.set_index(pd.DatetimeIndex(raw.pop("ts").to_numpy().view("datetime64[ns]"), tz="UTC"))

    def pandas_csv() -> Any:
        return pd.read_csv(csv, index_col=0, parse_dates=True)

    t_pq, _ = _best(pandas_parquet, repeat)
    t_csv, _ = _best(pandas_csv, 1)
    lo = int(frame.index[-10_000].value)
    t_range, part = _best(lambda: cache.read("BENCH", "1m", lo), repeat)
    assert part is not None and len(part) == 10_000
    extra = _bars(n + 1_000).iloc[n:]
    t_merge, _ = _best(lambda: cache.write("BENCH", "1m", extra, "bench"), 1)
    t_resample, hourly = _best(lambda: resample(frame, "1h", source_tf="1m"), repeat)
    t_check, found = _best(lambda: check_bars(frame, "1m"), repeat)
    size_mb = path.stat().st_size / 1e6
    return {
        "bars": n, "file_mb": round(size_mb, 1),
        "cache_read_s": round(t_read, 4), "target_s": 0.5, "meets_target": t_read < 0.5,
        "pandas_read_parquet_s": round(t_pq, 4), "pandas_read_csv_s": round(t_csv, 4),
        "vs_pandas_parquet": round(t_pq / t_read, 2), "vs_csv": round(t_csv / t_read, 1),
        "write_s": round(t_write, 4), "range_read_10k_s": round(t_range, 4), "merge_write_1k_s": round(t_merge, 4),
        "resample_1m_to_1h_s": round(t_resample, 4), "hourly_bars": len(hourly),
        "check_bars_s": round(t_check, 4), "findings": len(found),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = run(args.bars, args.repeat)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(f"{r['bars']:,} 1-minute bars, cache file {r['file_mb']} MB (Parquet, LZ4)")
    print(f"{'operation':<38}{'seconds':>10}")
    rows = [("cache read (all bars)", r["cache_read_s"]), ("pandas.read_parquet + index", r["pandas_read_parquet_s"]),
            ("pandas.read_csv (same bars)", r["pandas_read_csv_s"]), ("write (first)", r["write_s"]),
            ("range read, last 10,000 bars", r["range_read_10k_s"]), ("merge-write 1,000 new bars", r["merge_write_1k_s"]),
            ("resample 1m -> 1h", r["resample_1m_to_1h_s"]), ("check_bars", r["check_bars_s"])]
    for name, sec in rows:
        print(f"{name:<38}{sec:>10.4f}")
    verdict = "meets" if r["meets_target"] else "MISSES"
    print(f"cache read {r['cache_read_s']:.3f} s {verdict} the < {r['target_s']} s target; "
          f"{r['vs_pandas_parquet']}x pandas.read_parquet, {r['vs_csv']}x read_csv")


if __name__ == "__main__":
    main()
