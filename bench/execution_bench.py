"""Benchmark execution: router + paper broker throughput, and adapter overhead per order.

Run: ``.venv/bin/python -m bench.execution_bench [--orders 20000] [--n 200] [--json]``

1. **Router + paper broker**: ``Router.submit`` of market orders (alternating sides) on the
   bundled S&P 500 series through the lead's ``PaperBroker`` (bid/ask, volume slippage,
   fees, its own ledger). Target: >= 5,000 orders/s.
2. **Adapter overhead**: for each venue, ``n`` market orders through the adapter (real
   client) against its loopback fake, set side by side with the same HTTP request replayed
   ``n`` times on a raw keep-alive ``requests.Session`` (the round trip, including the fake's
   own work). Overhead = (adapter - raw) / n. Target: < 2 ms per order. The throttle is
   lifted so only client work is measured; Polymarket's figure includes EIP-712 signing,
   which the venue requires of every order.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from decimal import Decimal
from typing import Any

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Order, Side


def bench_router_paper(n: int) -> dict[str, float]:
    from tradefleet.orchestrator.execution.paper import PaperBroker
    from tradefleet.orchestrator.execution.router import Router
    from tradefleet.orchestrator.market import MarketState
    from tradefleet.scrapers.bundled import load_dataset

    frame = load_dataset("sp500")
    market = MarketState(2.0)
    market.load("SPX", frame)
    market.advance("SPX", len(frame) - 1)
    clock = SimClock(int(frame.index[-1].value))
    paper = PaperBroker(market, clock, Decimal(10**12))
    router = Router({"paper": paper})
    orders = [Order(f"tf-b{i}", "bench", "SPX", Side.BUY if i % 2 == 0 else Side.SELL, Decimal(1), i,
                    account="any") for i in range(n)]
    t0 = time.perf_counter()
    for o in orders:
        router.submit(o)
    dt = time.perf_counter() - t0
    fills = len(paper.poll_fills())
    return {"orders": n, "seconds": dt, "orders_per_s": n / dt, "fills": fills}


def _raw_replay(base: str, req: Any, n: int, cid: str | None) -> float:
    import requests

    skip = {"host", "content-length", "connection", "accept-encoding"}
    headers = {k: v for k, v in req.headers.items() if k.lower() not in skip}
    session = requests.Session()
    url = base + req.path + ("?" + "&".join(f"{k}={v[0]}" for k, v in req.query.items()) if req.query else "")
    t0 = time.perf_counter()
    for i in range(n):
        body = req.body.replace(cid, f"{cid}r{i}") if cid else req.body
        session.request(req.method, url, data=body.encode(), headers=headers, timeout=5)
    return time.perf_counter() - t0


def bench_adapter(name: str, n: int) -> dict[str, float]:
    from tests.orchestrator.execution.venues import make_case

    case = make_case(name)
    try:
        case.broker.bucket.rate, case.broker.bucket.burst = 1e9, 1e9
        case.broker.bucket._tokens = 1e9
        case.broker.submit(case.order("tf-warm"))  # load markets, tick sizes, connections
        adapter, raw, reqs_per_order = float("inf"), float("inf"), 0.0
        for rep in range(3):  # best of 3 of each: the box is shared
            start = len(case.server.log)
            t0 = time.perf_counter()
            for i in range(n):
                case.broker.submit(case.order(f"tf-a{rep}-{i}"))
            adapter = min(adapter, time.perf_counter() - t0)
            sent = [r for r in case.server.log[start:] if r.method == case.submit_method
                    and re.fullmatch(case.submit_path, r.path)]
            reqs_per_order = (len(case.server.log) - start) / n
            cid = None if name == "polymarket" else f"tf-a{rep}-0"
            raw = min(raw, _raw_replay(case.fake.base, sent[0], n, cid) * reqs_per_order)
        return {"venue": name, "n": n, "adapter_ms": adapter / n * 1e3, "raw_rtt_ms": raw / n * 1e3,
                "overhead_ms": (adapter - raw) / n * 1e3, "requests_per_order": reqs_per_order}
    finally:
        case.server.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    paper = bench_router_paper(args.orders)
    venues = [bench_adapter(v, args.n) for v in ("alpaca", "oanda", "kalshi", "polymarket", "coinbase", "binance")]
    if args.json:
        print(json.dumps({"router_paper": paper, "adapters": venues}, indent=2))
        return
    print(f"router + paper broker: {paper['orders']} orders in {paper['seconds']:.2f} s = "
          f"{paper['orders_per_s']:,.0f} orders/s (target >= 5,000)")
    print(f"{'venue':<11} {'adapter ms':>10} {'raw RTT ms':>10} {'overhead ms':>11} {'req/order':>9}")
    for r in venues:
        print(f"{r['venue']:<11} {r['adapter_ms']:>10.2f} {r['raw_rtt_ms']:>10.2f} {r['overhead_ms']:>11.2f} "
              f"{r['requests_per_order']:>9.1f}")


if __name__ == "__main__":
    main()
