"""ML pipeline benchmark: features, XGBoost training, inference; out-of-sample report.

    .venv/bin/python -m bench.ml_bench            # speed figures (targets from issue 7)
    .venv/bin/python -m bench.ml_bench --report   # + walk-forward report on the bundled data
    .venv/bin/python -m bench.ml_bench --json

Wall time is reported beside process CPU time: on the shared 2-core box the wall clock
moves with other people's load, CPU time much less. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

TARGETS = {"features_1m_bars": 3.0, "xgboost_200x100kx50": 10.0, "inference_ms": 2.0}


def gbm_minute_bars(n: int, seed: int = 42) -> pd.DataFrame:
    """Return ``n`` one-minute bars of a seeded GBM (close-time stamps, OHLCV)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 8e-4, n)))
    open_ = np.r_[100.0, close[:-1]]
    wick = np.abs(rng.normal(0.0, 4e-4, n)) * close
    idx = pd.date_range("2022-01-03", periods=n, freq="1min", tz="UTC", name="ts") + pd.Timedelta(minutes=1)
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) + wick,
                         "low": np.minimum(open_, close) - wick, "close": close,
                         "volume": rng.integers(1, 5_000, n).astype(float)}, index=idx)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Return (best wall s, best CPU s, last result) over ``repeat`` runs."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), out


def bench_features(repeat: int) -> dict[str, Any]:
    from tradefleet.ml_models.features.featureset import FeatureSet

    frame = gbm_minute_bars(1_000_000)
    fs = FeatureSet.for_frame(frame)
    fs.compute(frame.iloc[:5_000])  # load the cached numba kernels
    wall, cpu, X = timed(lambda: fs.compute(frame), repeat)
    return {"name": "features_1m_bars", "rows": len(frame), "features": X.shape[1],
            "timeframes": list(fs.timeframes), "wall_s": wall, "cpu_s": cpu, "target_s": TARGETS["features_1m_bars"]}


def bench_xgboost(repeat: int) -> dict[str, Any]:
    from tradefleet.ml_models.training.gbm import XGB_PARAMS, fit_xgboost

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 50)).astype(np.float32)
    ret = 0.01 * rng.normal(size=100_000) + 0.002 * X[:, 0]
    y = (ret > 0).astype(np.float32)
    out = []
    for objective in ("logloss", "profit"):
        wall, cpu, _ = timed(lambda o=objective: fit_xgboost(X, y, ret, objective=o, n_estimators=200), repeat)
        out.append({"name": "xgboost_200x100kx50", "objective": objective, "wall_s": wall, "cpu_s": cpu,
                    "params": {k: XGB_PARAMS[k] for k in ("tree_method", "max_depth", "nthread")},
                    "target_s": TARGETS["xgboost_200x100kx50"]})
    return {"runs": out}


def _latency(model: Any, frame: pd.DataFrame, calls: int = 200) -> dict[str, float]:
    from tradefleet.ml_models.features.featureset import bars_from_frame

    model.predict_proba(frame)  # warm
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        model.predict_proba(frame)
        times.append(time.perf_counter() - t)
    x = model.feature_set.last_rows(bars_from_frame(frame), model.rows_needed)
    model.raw_last(x)
    model_only = []
    for _ in range(calls):
        t = time.perf_counter()
        model.calibrator(model.raw_last(x))
        model_only.append(time.perf_counter() - t)
    return {"end_to_end_ms": 1e3 * float(np.median(times)), "p95_ms": 1e3 * float(np.percentile(times, 95)),
            "model_only_ms": 1e3 * float(np.median(model_only))}


def bench_inference() -> dict[str, Any]:
    from tradefleet.ml_models.features.featureset import FeatureSet
    from tradefleet.ml_models.training.trainer import TrainSpec, train_asset
    from tradefleet.scrapers.bundled import load_dataset

    out = []
    for name, kind in (("sp500", "xgboost"), ("eurusd", "xgboost"), ("eurusd", "lightgbm"), ("sp500", "lstm")):
        frame = load_dataset(name)
        model = train_asset(frame, name, TrainSpec(kind=kind, device="cpu", lstm_epochs=2), report=False).model
        window = frame.loc[frame.index > frame.index[-1] - pd.Timedelta(model.feature_set.history_ns, "ns")]
        out.append({"name": "inference", "model": f"{name}/{kind}", "bars_in": len(window),
                    **_latency(model, window), "target_ms": TARGETS["inference_ms"]})
    minutes = gbm_minute_bars(400_000)
    fs = FeatureSet.for_frame(minutes)
    model = train_asset(minutes.iloc[-400_000:], "GBM1m", TrainSpec(n_estimators=200, device="cpu"),
                        report=False).model
    window = minutes.loc[minutes.index > minutes.index[-1] - pd.Timedelta(fs.history_ns, "ns")]
    out.append({"name": "inference", "model": "synthetic-1m/xgboost", "bars_in": len(window),
                **_latency(model, window, 50), "target_ms": TARGETS["inference_ms"]})
    return {"runs": out}


def report() -> list[dict[str, Any]]:
    """Walk-forward out-of-sample metrics of models trained on the bundled data."""
    from tradefleet.ml_models.training.trainer import TrainSpec, train_asset
    from tradefleet.scrapers.bundled import load_dataset

    rows = []
    runs = [(d, TrainSpec(kind="xgboost", device="cpu")) for d in ("sp500", "nasdaq", "goog", "eurusd")]
    runs += [(d, TrainSpec(kind="xgboost", objective="profit", device="cpu")) for d in ("sp500", "eurusd")]
    runs += [(d, TrainSpec(kind="lightgbm", device="cpu")) for d in ("sp500", "eurusd")]
    runs += [("sp500", TrainSpec(kind="lstm", device="cpu"))]
    for name, spec in runs:
        m = train_asset(load_dataset(name), name, spec).metrics
        rows.append({"data": name, "model": spec.kind, "objective": spec.objective, **m})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--report", action="store_true", help="also run the out-of-sample report (slow)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, Any] = {"load_avg": os.getloadavg()[0]}
    results["features"] = bench_features(args.repeat)
    results["xgboost"] = bench_xgboost(max(1, args.repeat - 1))
    results["inference"] = bench_inference()
    if args.report:
        results["report"] = report()
    results["load_avg_end"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(results, indent=2, default=float))
        return
    f = results["features"]
    print(f"load average {results['load_avg']:.1f} -> {results['load_avg_end']:.1f} (2 cores)")
    print(f"features: {f['rows']:,} 1m bars x {f['features']} features {f['timeframes']}: "
          f"wall {f['wall_s']:.2f} s, cpu {f['cpu_s']:.2f} s (target < {f['target_s']} s)")
    for r in results["xgboost"]["runs"]:
        print(f"xgboost 200 trees 100k x 50 ({r['objective']}): wall {r['wall_s']:.2f} s, cpu {r['cpu_s']:.2f} s "
              f"(target < {r['target_s']} s)")
    for r in results["inference"]["runs"]:
        print(f"inference {r['model']:>22} ({r['bars_in']:,} bars in): end-to-end {r['end_to_end_ms']:.2f} ms "
              f"(p95 {r['p95_ms']:.2f}), model only {r['model_only_ms']:.3f} ms (target < {r['target_ms']} ms)")
    for r in results.get("report", []):
        print(f"{r['data']:>7} {r['model']:>8} {r['objective']:>7}: logloss {r['oos_logloss']:.4f} vs base-rate "
              f"{r['baseline_logloss']:.4f}; accuracy {r['oos_accuracy']:.3f} vs majority {r['baseline_accuracy']:.3f}; "
              f"AUC {r['oos_auc']:.3f}; mean log-ret/bar model {r['oos_mean_logret_model']:+.5f} vs always-up "
              f"{r['oos_mean_logret_always_up']:+.5f} ({r['oos_rows']} rows, {r['oos_folds']} folds)")


if __name__ == "__main__":
    main()
