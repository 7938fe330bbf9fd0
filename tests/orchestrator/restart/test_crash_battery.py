"""Randomized crash battery: a paper run against the loopback Alpaca fake (real alpaca-py)
with two bots entering and exiting, its process killed (SIGKILL) or stopped (SIGTERM) at
random fires and restarted. After every restart and at the end: store = venue, no account
halted, never two positions at once on the venue (max_positions = 1), at most one venue
order per client id, and every position held before a crash is exited by the end.

The suite runs a short setting (``TF_BATTERY_RESTARTS``, default 3); the full setting
(>= 30 restarts) is ``TF_BATTERY_RESTARTS=30 python -m pytest tests/orchestrator/restart/test_crash_battery.py``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from tradefleet.orchestrator.execution.reconcile import stored_positions
from tradefleet.orchestrator.store import Store
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.fake_http import VenueBook

ROOT = Path(__file__).resolve().parents[3]


def _child(base: str, url: str, first: int, last: int, total: int, kill: str | None) -> int:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_TEST_ALPACA_KEY="k-battery", TF_TEST_ALPACA_SECRET="s-battery")
    env.pop("TF_BATTERY_KILL", None)
    if kill:
        env["TF_BATTERY_KILL"] = kill
    done = subprocess.run([sys.executable, "-m", "tests.orchestrator.restart.battery_child", base, url, str(first),
                           str(last), str(total)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr[-3000:]
    return done.returncode


def test_crash_battery(tmp_path: Path) -> None:
    restarts = int(os.environ.get("TF_BATTERY_RESTARTS", "3"))
    rng = random.Random(int(os.environ.get("TF_BATTERY_SEED", "15")))
    book = VenueBook(prices={"AAPL": Decimal(100), "MSFT": Decimal(100)})
    held_max = {"n": 0}
    execute = book.execute

    def tracked(*a, **k):  # the venue's own record: never two positions at once
        fill = execute(*a, **k)
        held_max["n"] = max(held_max["n"], sum(1 for q in book.positions.values() if q))
        return fill

    book.execute = tracked  # type: ignore[method-assign]
    fake = FakeAlpaca(book)
    url = f"sqlite:///{tmp_path / 'battery.db'}"
    window = 6
    total = (restarts + 1) * window + 6
    ever_held: set[str] = set()
    try:
        minute = 1
        for _ in range(restarts):
            kill = f"{rng.randint(1, 2 * window)}:{rng.choice(['KILL', 'TERM'])}"
            _child(fake.base, url, minute, minute + window, total, kill)
            ever_held |= {s for s, q in book.positions.items() if q}
            minute += window + 1
            _check(url, fake)  # after the restart's reconciliation: store = venue, nothing halted
        _child(fake.base, url, minute, total, total, None)  # the last run: every bot goes flat
        _check(url, fake)
    finally:
        fake.server.close()
    assert held_max["n"] <= 1, "a limit was exceeded on the venue"
    assert not any(q for q in book.positions.values()), f"positions left at the venue: {book.positions}"
    assert ever_held, "the battery never held a position across a crash"
    counts = Counter(o.client_id for o in book.orders.values())
    assert all(n == 1 for n in counts.values()), counts


def _check(url: str, fake: FakeAlpaca) -> None:
    """What the next start sees after its reconciliation (a fresh adapter, the store as memory)."""
    from tradefleet.orchestrator.bus import InProcessBus
    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.app.config import AccountConfig
    from tradefleet.orchestrator.execution.oms import OrderManager
    from tradefleet.orchestrator.execution.reconcile import Reconciler
    from tradefleet.orchestrator.execution.venues.alpaca import AlpacaBroker
    from tradefleet.orchestrator.execution.venues.base import AdapterOptions

    clock = SimClock(1_795_305_600 * 10**9)
    broker = AlpacaBroker("alpaca", AccountConfig(venue="alpaca", base_url=fake.base, api_key="env:K",
                                                  api_secret="env:S"),
                          AdapterOptions(clock=clock, sleep=clock.advance, timeout_s=5,
                                         environ={"K": "k-battery", "S": "s-battery"}))
    store = Store.open(url)
    try:
        bus = InProcessBus()
        oms = OrderManager(store, {"alpaca": broker}, clock, bus)
        oms.load_halts()
        report = Reconciler(oms, store, clock, bus).run("alpaca")
        assert report.halted is None, report.halted
        venue = {s: q for s, q in fake.book.positions.items() if q}
        assert stored_positions(store, "alpaca") == venue
        assert not store.control("account:alpaca").halted, store.control("account:alpaca")
    finally:
        store.close()
