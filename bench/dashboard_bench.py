"""Dashboard server time per page and REST API list call with 65 bots, 100,000 stored signals
and 10,000 fills (budget: < 200 ms at the median and p95). All data is synthetic (generated).

Seeds a fresh SQLite store through the store's write API (50 registered bots, 10,000
signals with two gate decisions each, 10,000 orders each filled once, a position per bot,
2,500 equity points, some regime history), then renders every page and JSON endpoint
with Flask's test client: one warm-up, then ``--runs`` timed renders each (median, p95,
max of the app's own wall time, and the median CPU time of the request thread, which a
loaded machine does not inflate, as reported in the ``Server-Timing`` header; ``first`` is the
first render, which also fills the app's caches: schedule triggers, regime files, the
fleet-allocation series and the per-bot fill counts). ``/api/stream`` times only the
response set-up: its frames are produced as the stream is read.

Signals beyond one per fill (``--signals``, default 100,000) are bulk-inserted with five gate
decisions each (votes, limits); 9,701 regime rows go to the store's ``regime_history``.

    .venv/bin/python -m bench.dashboard_bench [--runs 30] [--bots 65] [--signals 100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

BUDGET_MS = 200.0
PATHS = ["/", "/bots", "/records", "/signals", "/signals?page=50", "/signals?instrument=SPX&outcome=rejected",
         "/signals?gate=risk", "/markets", "/regimes", "/reports",
         "/api/overview", "/api/bots", "/api/records", "/api/signals", "/api/markets", "/api/regimes",
         "/api/stream?once=1", "/metrics",
         "/api/v1/status", "/api/v1/bots", "/api/v1/positions", "/api/v1/orders", "/api/v1/fills",
         "/api/v1/signals", "/api/v1/signals?offset=5000", "/api/v1/signals?bot=spx-rsi2&gate=risk",
         "/api/v1/risk", "/api/v1/equity", "/api/v1/validations"]
DAY = 86_400 * 10**9


def seed(url: str, specs: dict[str, Any], n_fills: int, regime_dir: Path) -> None:
    """Fill the store through its public write API."""
    from tradefleet.ai.regime.history import JsonlRegimeHistory, RegimeRow
    from tradefleet.orchestrator.domain import Decision, Direction, Fill, Order, OrderStatus, Position, Side, Signal
    from tradefleet.orchestrator.store import Store

    rng = random.Random(7)
    t0 = 1_262_304_000 * 10**9  # 2010-01-01
    bots = sorted(specs)
    with Store.open(url) as store:
        with store.batch():
            for name in bots:
                s = specs[name]
                store.upsert_bot(name, strategy=s.bot.__qualname__, family=s.family,
                                 asset_class=s.asset_class.value, updated_ns=t0)
            for i in range(n_fills):
                bot = bots[i % len(bots)]
                inst = specs[bot].instruments[0]
                ts = t0 + i * (DAY // 4)
                side = Side.BUY if i % 2 == 0 else Side.SELL
                sig = Signal(bot, inst, Direction.LONG if side is Side.BUY else Direction.FLAT,
                             0.6, 100.0, ts, ts, meta={"fleet_weight": round(rng.random(), 3), "regime": "bull"})
                store.record_signal(sig, [
                    Decision.passed("ensemble", "agree", data={"votes": {"technical": 0.5, "macro": -0.1}}),
                    Decision.passed("risk", "sized", data={"equity": 100000})], "ordered")
                cid = f"bench-{i:06d}"
                qty, px = Decimal(rng.randint(1, 50)), Decimal(f"{100 + rng.random() * 10:.2f}")
                store.record_order_intent(Order(cid, bot, inst, side, qty, ts, signal_id=sig.signal_id), commit=False)
                store.update_order(cid, OrderStatus.FILLED, venue_order_id=f"v{i}", filled_quantity=qty,
                                   avg_price=px, ts_ns=ts + 10**9)
                store.record_fill(Fill(cid, "paper", f"v{i}", f"t{i}", inst, side, qty, px, Decimal("0.1"),
                                       ts + 10**9, ts + 10**9))
                if i % 4 == 0:
                    store.record_equity(ts, 50_000 + i, 50_000, 100_000 + rng.gauss(0, 500))
            for name in bots:
                store.save_position(Position(name, specs[name].instruments[0], Decimal(rng.randint(0, 20)),
                                             Decimal("101.5"), Decimal(f"{rng.gauss(0, 300):.2f}")), t0)
    hist = JsonlRegimeHistory(regime_dir)
    for market in ("SPX", "BTC/USD", "EUR/USD"):
        hist.append([RegimeRow(market, t0 + k * DAY, ("bull", "bear", "sideways")[k % 3], 0.5, 0.3, 0.2, "v1")
                     for k in range(2000)])


def bulk_signals(url: str, specs: dict[str, Any], n: int) -> None:
    """``n`` generated signals with five gate decisions each, inserted in bulk (synthetic)."""
    from sqlalchemy import insert

    from tradefleet.ai.regime.history import RegimeRow
    from tradefleet.ai.regime.store_history import StoreRegimeHistory
    from tradefleet.orchestrator.store import Store
    from tradefleet.orchestrator.store.models import GateDecisionRow, SignalRow

    rng = random.Random(11)
    t0 = 1_262_304_000 * 10**9
    bots = sorted(specs)
    votes = [{"source": "technical", "score": 0.151208, "confidence": 1.0},
             {"source": "news", "abstain": "unavailable: headlines are not recorded for replay"}]
    with Store.open(url) as store, store.engine.begin() as conn:
        for start in range(0, n, 5000):
            sigs, decs = [], []
            for i in range(start, min(n, start + 5000)):
                bot = bots[i % len(bots)]
                sid = f"gen-{i:07d}"
                outcome = ("ordered", "noop", "rejected:risk:max_position", "rejected:regime:regime_excluded")[i % 4]
                sigs.append({"signal_id": sid, "bot": bot, "instrument": specs[bot].instruments[0], "direction": "long",
                             "confidence": rng.random(), "entry": 100 + rng.random(), "stop": None, "target": None,
                             "ts_event": t0 + i * 600 * 10**9, "ts_init": t0 + i * 600 * 10**9,
                             "meta": {"regime": "bull"}, "outcome": outcome})
                for seq, gate in enumerate(("regime", "ensemble", "veto", "fleet", "risk")):
                    verdict = "reject" if outcome.startswith(f"rejected:{gate}") else "pass"
                    data: dict[str, Any] = {"votes": votes, "weights": {"technical": 0.5}, "score": 0.3} \
                        if gate == "ensemble" else {"max_position": 0.1234567, "used": 0.0456}
                    decs.append({"signal_id": sid, "seq": seq, "gate": gate, "verdict": verdict, "reason": "generated",
                                 "detail": "", "scale": 1.0, "data": data})
            conn.execute(insert(SignalRow), sigs)
            conn.execute(insert(GateDecisionRow), decs)
    with Store.open(url) as store:
        StoreRegimeHistory(store).append([RegimeRow("SPX", t0 + k * DAY // 4, ("bull", "bear", "sideways")[(k // 40) % 3],
                                                    0.5, 0.3, 0.2, "v1") for k in range(9701)])


def measure(app: Any, runs: int, token: str) -> list[dict[str, Any]]:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    rows = []
    for path in PATHS:
        first = client.get(path, headers=auth)
        assert first.status_code == 200, (path, first.status_code)
        cold = float(first.headers["Server-Timing"].split("dur=")[1])
        times, cpu = [], []
        for _ in range(runs):
            c0 = time.thread_time()
            r = client.get(path, headers=auth)
            cpu.append((time.thread_time() - c0) * 1000)
            times.append(float(r.headers["Server-Timing"].split("dur=")[1]))
        times.sort()
        rows.append({"path": path, "bytes": len(first.data), "first_ms": round(cold, 1), "median_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                     "max_ms": round(times[-1], 1), "cpu_median_ms": round(statistics.median(cpu), 1),
                     "ok": statistics.median(times) < BUDGET_MS and times[min(len(times) - 1, int(0.95 * len(times)))] < BUDGET_MS})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--fills", type=int, default=10_000)
    ap.add_argument("--bots", type=int, default=65)
    ap.add_argument("--signals", type=int, default=100_000, help="stored signals in all (generated)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    from tradefleet.dashboard.app import create_app
    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.registry import Registry

    specs_all = Registry.discover(["bots"]).ok("bots")
    specs = {k: specs_all[k] for k in sorted(specs_all)[:a.bots]}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        t = time.perf_counter()
        seed(url, specs, a.fills, Path(tmp) / "regimes")
        bulk_signals(url, specs, max(0, a.signals - a.fills))
        seed_s = time.perf_counter() - t
        from tradefleet.dashboard.tokens import TokenStore
        from tradefleet.orchestrator.store import Store

        with Store.open(url) as st:
            token = TokenStore(st, SimClock(1_750_000_000 * 10**9)).create("bench", ["read"], "bench")
        cfg = AppConfig.model_validate({"regime": {"history_dir": f"{tmp}/regimes"},
                                        "dashboard": {"reports_dir": f"{tmp}/reports"}})
        app = create_app(cfg, url, SimClock(1_750_000_000 * 10**9), specs=specs)
        rows = measure(app, a.runs, token)
        app.extensions["tradefleet"]["store"].close()
    import os

    out = {"load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(), "bots": len(specs), "fills": a.fills, "signals": a.signals, "seed_seconds": round(seed_s, 1), "budget_ms": BUDGET_MS,
           "pages": rows, "all_within_budget": all(r["ok"] for r in rows)}
    if a.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{out['bots']} bots, {out['signals']:,} signals, {out['fills']:,} fills (generated; seeded in {out['seed_seconds']} s); budget {BUDGET_MS:.0f} ms"
          f" (median and p95); load average {out['load_avg_1m']} on {out['cpus']} CPUs")
    print(f"{'page':42} {'bytes':>8} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'cpu ms':>7}  budget")
    for r in rows:
        print(f"{r['path']:42} {r['bytes']:>8} {r['first_ms']:>9} {r['median_ms']:>10} {r['p95_ms']:>8} {r['max_ms']:>8} {r['cpu_median_ms']:>7}  "
              f"{'ok' if r['ok'] else 'OVER'}")


if __name__ == "__main__":
    main()
