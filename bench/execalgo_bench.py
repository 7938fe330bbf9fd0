"""Execution-layer benchmarks (issue 22).

Run: ``.venv/bin/python -m bench.execalgo_bench [--parents 1000] [--repeat 5] [--bars 200000] [--json]``

* Scheduling: 1,000 parents accepted (each plans its schedule and sends its first child),
  for TWAP, VWAP (with a 12-bucket profile) and Almgren-Chriss (target < 100 ms each).
* Per child on the order path: the layer's time per child over a whole run of bars
  (``on_bar`` for every working parent, capping, child order construction), without a
  store and with the store's execution tables inside one SQLite batch (as replay writes
  them); target < 100 us per child. Side by side: constructing the same child orders
  directly (``dataclasses.replace`` of the parent), the floor the layer adds to.
* Backtest with children: the numba kernel on generated (synthetic) minute bars, plain and
  with every entry worked as TWAP children (participation cap, volume impact), side by side.

Every figure is the best of ``--repeat`` runs, as wall time and as this process's CPU time
(``time.process_time``: on a box loaded by others the wall time also counts waiting for a
core); the 1-minute load average is printed before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from decimal import Decimal
from typing import Any

NS = 1_000_000_000
T0 = 1_700_000_000 * NS


def _timed(fn: Any) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) of one call of ``fn``."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _orders(n: int) -> list[Any]:
    from tradefleet.orchestrator.domain import Order, OrderType, Side

    return [Order(f"p{i}", "bench", f"S{i % 50}", Side.BUY if i % 2 else Side.SELL, Decimal(1000), T0,
                  OrderType.MARKET, signal_id=f"s{i}", account="paper") for i in range(n)]


def _view(t: int, volume: float = 1e6) -> Any:
    from tradefleet.orchestrator.execution.algos.base import MarketView

    return MarketView(T0 + t * 60 * NS, 100.0, volume, 99.99, 100.01, 0.01)


def bench_schedule(n: int, repeat: int) -> dict[str, Any]:
    from tradefleet.orchestrator.execution.algos import load_algos
    from tradefleet.orchestrator.execution.algos.almgren_chriss import ImpactParams
    from tradefleet.orchestrator.execution.algos.base import ExecSpec
    from tradefleet.orchestrator.execution.layer import ExecutionLayer

    algos = load_algos()
    orders = _orders(n)
    out: dict[str, Any] = {"parents": n}
    for name, kw in (("twap", {}), ("vwap", {"profile": [3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3]}),
                     ("almgren-chriss", {"impact": ImpactParams(eta=1e-3, gamma=1e-7)})):
        spec = ExecSpec(name, horizon_s=3600, interval_s=300, risk_aversion=1e-5)
        best, cpu = float("inf"), float("inf")
        for _ in range(repeat):
            layer = ExecutionLayer(algos)

            def accept_all(layer: Any = layer, spec: Any = spec, kw: Any = kw) -> None:
                for o in orders:
                    layer.accept(o, spec, _view(0), **kw)
            w, c = _timed(accept_all)
            best, cpu = min(best, w), min(cpu, c)
        out[f"{name}_ms"] = round(best * 1e3, 2)
        out[f"{name}_cpu_ms"] = round(cpu * 1e3, 2)
    out["target_ms"] = 100.0
    out["pass_wall"] = all(out[f"{k}_ms"] < 100 for k in ("twap", "vwap", "almgren-chriss"))
    out["pass_cpu"] = all(out[f"{k}_cpu_ms"] < 100 for k in ("twap", "vwap", "almgren-chriss"))
    return out


def bench_per_child(n: int, repeat: int) -> dict[str, Any]:
    from tradefleet.orchestrator.execution.algos import load_algos
    from tradefleet.orchestrator.execution.algos.base import ExecSpec
    from tradefleet.orchestrator.execution.exec_store import ExecStore
    from tradefleet.orchestrator.execution.layer import ExecutionLayer
    from tradefleet.orchestrator.store import Store

    algos = load_algos()
    orders = _orders(n)
    spec = ExecSpec("twap", horizon_s=600, interval_s=60)
    symbols = sorted({o.instrument for o in orders})

    def run(store: Any | None) -> tuple[float, float, int]:
        layer = ExecutionLayer(algos, ExecStore(store) if store is not None else None)
        kids = [0]

        def work() -> None:
            for o in orders:
                kids[0] += len(layer.accept(o, spec, _view(0)))
            for t in range(1, 11):
                v = _view(t)
                for s in symbols:
                    kids[0] += len(layer.on_bar(s, v))
        w, c = _timed(work)
        return w, c, kids[0]

    runs = [run(None) for _ in range(repeat)]
    bare, bare_cpu, kids = min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]
    stored, stored_cpu = float("inf"), float("inf")
    for _ in range(max(1, repeat // 2)):
        with tempfile.TemporaryDirectory() as d:  # a fresh store each time: child ids are unique
            store = Store.open(f"sqlite:///{d}/b.db")
            with store.batch():
                w, c, _ = run(store)
            store.close()
        stored, stored_cpu = min(stored, w), min(stored_cpu, c)

    def construct() -> None:
        for o in orders:
            for i in range(kids // n):
                dataclasses.replace(o, client_order_id=f"{o.client_order_id}.{i}", quantity=Decimal(100))
    floor, floor_cpu = (min(x) for x in zip(*(_timed(construct) for _ in range(repeat)), strict=True))

    def us(x: float) -> float:
        return round(x / kids * 1e6, 2)
    return {"children": kids, "layer_us_per_child": us(bare), "layer_cpu_us_per_child": us(bare_cpu),
            "layer_with_store_batch_us_per_child": us(stored),
            "layer_with_store_batch_cpu_us_per_child": us(stored_cpu),
            "order_construction_floor_us_per_child": us(floor),
            "order_construction_floor_cpu_us_per_child": us(floor_cpu),
            "target_us": 100.0, "pass_wall": us(bare) < 100 and us(stored) < 100,
            "pass_cpu": us(bare_cpu) < 100 and us(stored_cpu) < 100}


def bench_backtest(bars: int, repeat: int) -> dict[str, Any]:
    """The numba kernel on generated (synthetic) minute bars: plain, then every entry worked
    as TWAP children (30 minutes in 5-minute slices, 10 % participation, the paper impact)."""
    import numpy as np
    import pandas as pd

    from tradefleet.backtest.engine import Signals, SimSettings, simulate

    idx = pd.date_range("2021-01-04", periods=bars, freq="min", tz="UTC", name="ts").as_unit("ns")
    rng = np.random.default_rng(7)
    c = 100.0 * np.exp(np.cumsum(rng.normal(0, 5e-4, bars)))
    o = np.r_[c[0], c[:-1]]
    frame = pd.DataFrame({"open": o, "high": np.maximum(o, c) * 1.0003, "low": np.minimum(o, c) * 0.9997,
                          "close": c, "volume": rng.uniform(2e3, 8e3, bars)}, index=idx)
    sig = np.sign(np.sin(np.arange(bars) / 240.0))  # a position flip every ~12 hours of minutes
    sigs = Signals(sig.astype(np.float64), np.full(1, np.nan), np.full(1, np.nan))
    plain = SimSettings(fee=1e-4, slippage=1e-4, size=0.5, impact_bps_per_pct_volume=10, max_impact_bps=50)
    worked = plain.model_copy(update={"execution": SimSettings(execution={
        "algo": "twap", "params": {"horizon_min": 30, "interval_min": 5, "participation": 0.1}}).execution, "lot": 1.0})
    out: dict[str, Any] = {"bars": bars}
    for name, settings in (("plain", plain), ("twap_children", worked)):
        simulate(frame, sigs, settings)  # compile / warm
        times = [_timed(lambda s=settings: simulate(frame, sigs, s)) for _ in range(repeat)]
        out[f"{name}_ms"] = round(min(t[0] for t in times) * 1e3, 2)
        out[f"{name}_cpu_ms"] = round(min(t[1] for t in times) * 1e3, 2)
    res = simulate(frame, sigs, worked)
    out["child_fills"] = len(res.children)
    out["children_over_plain_cpu"] = round(out["twap_children_cpu_ms"] / out["plain_cpu_ms"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parents", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--bars", type=int, default=200_000, help="generated minute bars for the backtest rows")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.parents < 1 or a.repeat < 1 or a.bars < 100:
        ap.error("--parents and --repeat must be >= 1, --bars >= 100")
    load0 = os.getloadavg()[0]
    result: dict[str, Any] = {"schedule": bench_schedule(a.parents, a.repeat),
                              "per_child": bench_per_child(a.parents, a.repeat),
                              "backtest": bench_backtest(a.bars, a.repeat)}
    result["machine"] = {"cores": os.cpu_count(), "load_1m_before": round(load0, 2),
                         "load_1m_after": round(os.getloadavg()[0], 2)}
    if a.json:
        print(json.dumps(result, indent=2))
        return
    for name, row in result.items():
        print(f"{name}:")
        for k, v in row.items():
            print(f"  {k:40s} {v}")


if __name__ == "__main__":
    main()
