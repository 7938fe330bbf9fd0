"""Crash tests: the orchestrator is SIGKILLed at named points and restarted; at most one
venue order per intent, and the stored positions equal the fake venue's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tradefleet.orchestrator.execution.reconcile import stored_positions
from tests.orchestrator.execution.venues import VenueCase, make_case

ROOT = Path(__file__).resolve().parents[3]
CIDS = ["tf-k1", "tf-k2", "tf-k3", "tf-k4"]


@pytest.fixture(params=["alpaca", "polymarket"])
def case(request: pytest.FixtureRequest) -> Iterator[VenueCase]:
    c = make_case(request.param)
    yield c
    c.server.close()


def _run(case: VenueCase, store_url: str, crash: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_ENV_JSON=json.dumps(case.environ), TF_TOKEN=case.symbol)
    env.pop("TF_CRASH_AT", None)
    if crash:
        env["TF_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "tests.orchestrator.execution.crash_driver", case.name,
                           store_url, case.fake.base, *CIDS], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def _venue_client_ids(case: VenueCase) -> Counter[str]:
    return Counter(o.client_id for o in case.book.orders.values())


@pytest.mark.parametrize("point", ["after_intent:tf-k2", "after_ack:tf-k4"])
def test_kill_and_restart_never_doubles_an_order(case: VenueCase, tmp_path: Path, point: str) -> None:
    from tradefleet.orchestrator.store import Store

    url = f"sqlite:///{tmp_path / 'crash.db'}"
    first = _run(case, url, point)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    second = _run(case, url, None)
    assert second.returncode == 0, second.stderr[-2000:]
    report = json.loads(second.stdout.splitlines()[0])
    assert report["halted"] is None, report
    counts = _venue_client_ids(case)
    assert all(n == 1 for n in counts.values()), counts  # at most one venue order per intent
    store = Store.open(url)
    try:
        stored = {r.client_order_id: r for r in store.orders()}
        venue_ids = {r.venue_order_id for r in stored.values() if r.venue_order_id}
        key = (lambda o: o.venue_id) if case.name == "polymarket" else (lambda o: o.client_id)
        assert all(key(o) in venue_ids or o.client_id in stored for o in case.book.orders.values())
        assert stored_positions(store, "acct") == {s: q for s, q in case.book.positions.items() if q}
        if point.startswith("after_intent"):
            assert stored["tf-k2"].status.value == "canceled"  # never reached the venue, not resent
            assert "tf-k2" not in counts and case.venue_order_for("tf-k2") is None
        else:
            assert stored[point.split(":")[1]].status.value == "filled"
    finally:
        store.close()
