"""Warm start: 65 bots, 10,000 stored fills, 200 open positions -> time to the first fire.

Builds a store of generated (synthetic) orders and fills on the paper account, then starts
``run_live`` (paper mode, every registered bar bot) on it and measures from the call to the
first schedule fire reaching the engine: store open, kernel assembly, warm start (book,
paper venue, orders, exit plans, gates), reconciliation and the account refresh included.
Wall time and this process's CPU time are both reported, with the 1-minute load average
(the box is shared: under load the wall figure stretches, the CPU figure much less).

Run: ``.venv/bin/python -m bench.warm_start_bench [--fills 10000] [--positions 200] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def build_store(url: str, bots: list[Any], fills: int, positions: int) -> None:
    """Store ``fills`` generated fills over ``positions`` open bot x instrument positions."""
    from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, Side
    from tradefleet.orchestrator.store import Store

    instruments = sorted({i for s in bots for i in s.instruments})
    pairs = [(bots[k % len(bots)].name, instruments[(k // len(bots) + k) % len(instruments)]) for k in range(positions * 3)]
    pairs = list(dict.fromkeys(pairs))[:positions]
    per = fills // len(pairs)
    store = Store.open(url)
    ts = 1_700_000_000 * 10**9
    n = 0
    with store.batch():
        for bot, inst in pairs:
            for j in range(per):
                side = Side.BUY if j % 2 == 0 else Side.SELL
                qty = Decimal(2) if side is Side.BUY else Decimal(1)  # net long after every pair
                n += 1
                cid = f"gen-{n}"
                store.record_order_intent(Order(cid, bot, inst, side, qty, ts + n, account="paper"), commit=False)
                store.update_order(cid, OrderStatus.FILLED, venue_order_id=f"paper-{n}", filled_quantity=qty,
                                   avg_price=Decimal(100), ts_ns=ts + n)
                store.record_fill(Fill(cid, "paper", f"paper-{n}", f"paper-{n}-t1", inst, side, qty, Decimal(100),
                                       Decimal("0.01"), ts + n, ts + n))
    store.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fills", type=int, default=10_000)
    parser.add_argument("--positions", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.app.config import AppConfig
    from tradefleet.app.live import LiveRunner, run_live
    from tradefleet.orchestrator.registry import Registry

    registry = Registry.discover()
    specs = [s for s in registry.bots().values() if not s.bot.event_driven]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'warm.db'}"
        build_store(url, specs, args.fills, args.positions)
        clock = SimClock(1_795_305_600 * 10**9)
        first: dict[str, float] = {}
        handle = LiveRunner.handle_fire

        def stop_at_first(self: LiveRunner, job: str, fire_ns: int) -> None:
            first.setdefault("t", time.perf_counter())
            first.setdefault("cpu", time.process_time())
            self.stop()

        def scheduler(enqueue: Any, specs_: Any, jobs: Any) -> Any:
            enqueue(specs_[0].name, clock.now_ns())

            class Done:
                def shutdown(self) -> None: ...
            return Done()

        class NoBars:
            def poll(self, symbols: list[str], now_ns: int) -> list[Any]:
                return []

        LiveRunner.handle_fire = stop_at_first  # type: ignore[method-assign]
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            runner = run_live(AppConfig(), live=False, store_url=url, feed=NoBars(), clock=clock,
                              scheduler=scheduler, install_signals=False, registry=registry)
        finally:
            LiveRunner.handle_fire = handle  # type: ignore[method-assign]
        report = runner.kernel.services.extras["warm_start"]
        out = {"bots": len(runner.kernel.engine.runners), "fills": report.fills, "orders": report.orders,
               "open_positions": report.positions, "warm_start_s": round(report.seconds, 3),
               "to_first_fire_s": round(first["t"] - t0, 3), "to_first_fire_cpu_s": round(first["cpu"] - c0, 3),
               "target_s": 2.0, "load_average_1m": round(os.getloadavg()[0], 2)}
    print(json.dumps(out) if args.json else "\n".join(f"{k:>16}: {v}" for k, v in out.items()))
    return out


if __name__ == "__main__":
    main()
