"""Execution-layer benchmarks (issue 22).

Run: ``.venv/bin/python -m bench.execalgo_bench [--parents 1000] [--repeat 5] [--json]``

* Scheduling: 1,000 parents accepted (each plans its schedule and sends its first child),
  for TWAP, VWAP (with a 12-bucket profile) and Almgren-Chriss (target < 100 ms each).
* Per child on the order path: the layer's time per child over a whole run of bars
  (``on_bar`` for every working parent, capping, child order construction), without a
  store and with the store's execution tables inside one SQLite batch (as replay writes
  them); target < 100 us per child. Side by side: constructing the same child orders
  directly (``dataclasses.replace`` of the parent), the floor the layer adds to.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from decimal import Decimal
from typing import Any

NS = 1_000_000_000
T0 = 1_700_000_000 * NS


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
        best = float("inf")
        for _ in range(repeat):
            layer = ExecutionLayer(algos)
            t0 = time.perf_counter()
            for o in orders:
                layer.accept(o, spec, _view(0), **kw)
            best = min(best, time.perf_counter() - t0)
        out[f"{name}_ms"] = round(best * 1e3, 2)
    out["target_ms"] = 100.0
    out["pass"] = all(out[f"{k}_ms"] < 100 for k in ("twap", "vwap", "almgren-chriss"))
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

    def run(store: Any | None) -> tuple[float, int]:
        layer = ExecutionLayer(algos, ExecStore(store) if store is not None else None)
        kids = 0
        t0 = time.perf_counter()
        for o in orders:
            kids += len(layer.accept(o, spec, _view(0)))
        for t in range(1, 11):
            v = _view(t)
            for s in symbols:
                kids += len(layer.on_bar(s, v))
        return time.perf_counter() - t0, kids

    bare = min(run(None)[0] for _ in range(repeat))
    _, kids = run(None)
    with tempfile.TemporaryDirectory() as d:
        store = Store.open(f"sqlite:///{d}/b.db")
        stored = float("inf")
        for _ in range(max(1, repeat // 2)):
            with store.batch():
                stored = min(stored, run(store)[0])
        store.close()
    t0 = time.perf_counter()
    for o in orders:
        for i in range(kids // n):
            dataclasses.replace(o, client_order_id=f"{o.client_order_id}.{i}", quantity=Decimal(100))
    floor = time.perf_counter() - t0
    return {"children": kids, "layer_us_per_child": round(bare / kids * 1e6, 2),
            "layer_with_store_batch_us_per_child": round(stored / kids * 1e6, 2),
            "order_construction_floor_us_per_child": round(floor / kids * 1e6, 2),
            "target_us": 100.0, "pass": bare / kids * 1e6 < 100 and stored / kids * 1e6 < 100}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parents", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.parents < 1 or a.repeat < 1:
        ap.error("--parents and --repeat must be >= 1")
    result = {"schedule": bench_schedule(a.parents, a.repeat), "per_child": bench_per_child(a.parents, a.repeat)}
    if a.json:
        print(json.dumps(result, indent=2))
        return
    for name, row in result.items():
        print(f"{name}:")
        for k, v in row.items():
            print(f"  {k:40s} {v}")


if __name__ == "__main__":
    main()
