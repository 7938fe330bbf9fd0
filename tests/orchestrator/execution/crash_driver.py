"""A small orchestrator process for the crash tests: open the store, reconcile the venue
account, then submit a fixed list of intents through the order manager.

``TF_CRASH_AT=<point>:<client order id>`` makes the process SIGKILL itself at a named point:
``after_intent`` (the intent row is committed, nothing sent) or ``after_ack`` (the venue
acknowledged, the store does not know yet). Run as
``python -m tests.orchestrator.execution.crash_driver <venue> <store url> <base url> <cid>...``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from decimal import Decimal
from typing import Any

from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AccountConfig
from tradefleet.orchestrator.domain import Order, OrderType, Side
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import Reconciler
from tradefleet.orchestrator.execution.venues.base import AdapterOptions, VenueBroker
from tradefleet.orchestrator.store import Store

ACCOUNT = "acct"


def adapter(venue: str, base: str, clock: SimClock) -> tuple[VenueBroker, str]:
    env = json.loads(os.environ["TF_ENV_JSON"])
    opts = AdapterOptions(clock=clock, sleep=clock.advance, timeout_s=5, environ=env, retry_attempts=3)
    if venue == "alpaca":
        from tradefleet.orchestrator.execution.venues.alpaca import AlpacaBroker

        cfg = AccountConfig(venue="alpaca", base_url=base, api_key="env:K", api_secret="env:S")
        return AlpacaBroker(ACCOUNT, cfg, opts), "AAPL"
    from tradefleet.orchestrator.execution.venues.polymarket import PolymarketBroker

    token = os.environ["TF_TOKEN"]
    cfg = AccountConfig(venue="polymarket", base_url=base, api_key="env:K", api_secret="env:S",
                        extra={"passphrase": "env:P", "private_key": "env:W", "markets": [token]})
    return PolymarketBroker(ACCOUNT, cfg, opts), token


def _arm(store: Store, broker: VenueBroker) -> None:
    point, _, target = os.environ.get("TF_CRASH_AT", "").partition(":")
    if not point:
        return
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)  # noqa: E731
    if point == "after_intent":
        original = store.record_order_intent

        def record(order: Order, **kw: Any) -> bool:
            out = original(order, **kw)
            if order.client_order_id == target:
                die()
            return out

        store.record_order_intent = record  # type: ignore[method-assign]
    elif point == "after_ack":
        submit = broker.submit

        def send(order: Order) -> Any:
            ack = submit(order)
            if order.client_order_id == target:
                die()
            return ack

        broker.submit = send  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    venue, store_url, base, *cids = argv
    clock = SimClock(1_795_305_600 * 10**9)
    store = Store.open(store_url)
    broker, symbol = adapter(venue, base, clock)
    bus = InProcessBus()
    oms = OrderManager(store, {ACCOUNT: broker}, clock, bus)
    oms.load_halts()
    report = Reconciler(oms, store, clock, bus).run(ACCOUNT)
    print(json.dumps({"settled": report.settled, "halted": report.halted, "fills": report.fills}), flush=True)
    _arm(store, broker)
    for i, cid in enumerate(cids):
        side = Side.BUY if i % 3 != 2 else Side.SELL
        limit = Decimal("0.60") if venue == "polymarket" else None
        order = Order(cid, "bot-a", symbol, side, Decimal(2), clock.now_ns(),
                      OrderType.LIMIT if limit else OrderType.MARKET, limit, account=ACCOUNT)
        oms.submit(order)
        clock.advance(1)
    oms.collect_fills(ACCOUNT)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
