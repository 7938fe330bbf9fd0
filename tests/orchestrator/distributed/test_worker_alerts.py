"""The signal worker process is wired to the alert service: its alerts are stored in the
fleet's store and delivered from the worker (here to a webhook receiver on 127.0.0.1).

The real worker loop (``run_worker``: the Redis Streams bus through a cuttable proxy to the
local Redis, the real SignalWorker) runs on a thread; the outage threshold is measured on a
SimClock the loop advances while Redis is away (no sleeps in the test)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.alerts.store import AlertStore
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import PluginError
from tradefleet.orchestrator.registry import Registry
from tradefleet.orchestrator.store import Store
from tests.fakes.hooks import FakeWebhook
from tests.orchestrator.distributed.conftest import REDIS_URL
from tests.orchestrator.distributed.proxy import TcpProxy

BOT = "spx-sma-trend"
T0 = 1_795_305_600 * 10**9


def _cfg(prefix: str, redis_url: str, hook: FakeWebhook, store_url: str) -> AppConfig:
    return AppConfig.model_validate({
        "engine": {"store_url": store_url},
        "scale": {"bus": {"kind": "redis", "url": redis_url, "prefix": prefix, "block_ms": 20}},
        "alerts": {"webhook": {"url": hook.url}, "backoff_seconds": 0.0}})


def _wait(cond: Any, what: str) -> None:
    done = threading.Event()
    for _ in range(400):  # waits for the worker thread to get there; asserts nothing about time
        if cond():
            return
        done.wait(0.05)
    raise AssertionError(f"the worker never {what}")


def test_worker_alerts_a_broken_bot_and_a_lasting_bus_outage(prefix: str, tmp_path: Path) -> None:
    from tradefleet.app.distributed.runtime import run_worker

    target = urlsplit(REDIS_URL)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 6379))
    hook = FakeWebhook()
    store_url = f"sqlite:///{tmp_path}/fleet.db"
    clock = SimClock(T0)
    cut = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []
    try:
        cfg = _cfg(prefix, f"redis://127.0.0.1:{proxy.port}/0", hook, store_url)
        registry = Registry.discover()
        registry.add_entry("bots", "half-written", "my_bots:half", lambda: __import__("my_bots_not_installed"))

        def idle() -> None:
            if cut.is_set():
                clock.advance(10)  # simulated time passes while Redis is away

        def work() -> None:
            try:
                run_worker(cfg, stop, bots=[BOT], name="w1", registry=registry, clock=clock, on_idle=idle)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()

        def kinds() -> list[str]:
            return [b["kind"] for b in hook.bodies()]

        _wait(lambda: "plugin_broken" in kinds(), "alerted the broken bot")
        proxy.cut()
        cut.set()
        _wait(lambda: "worker_bus_lost" in kinds(), "alerted the outage")
        cut.clear()
        proxy.restore()
        _wait(lambda: "worker_bus_restored" in kinds(), "alerted the bus back")
        stop.set()
        thread.join(30)
        assert not thread.is_alive() and errors == []
        assert kinds() == ["plugin_broken", "worker_bus_lost", "worker_bus_restored"]  # the outage alerted once
        broken, lost, back = hook.bodies()
        assert "worker w1" in broken["message"] and "half-written" in broken["message"]
        assert "no signals are computed" in lost["message"]
        with Store.open(store_url) as store:  # stored first, in the fleet's store
            assert [a.kind for a in AlertStore(store).alerts()] == kinds()
    finally:
        stop.set()
        proxy.close()
        hook.close()


def test_worker_stopping_on_an_error_is_alerted(prefix: str, tmp_path: Path) -> None:
    from tradefleet.app.distributed.runtime import run_worker

    hook = FakeWebhook()
    try:
        cfg = _cfg(prefix, REDIS_URL, hook, f"sqlite:///{tmp_path}/fleet.db")
        with pytest.raises(PluginError):
            run_worker(cfg, threading.Event(), bots=["no-such-bot"], name="w2", clock=SimClock(T0))
        (body,) = hook.bodies()
        assert body["kind"] == "worker_crashed" and "worker w2" in body["message"]
        assert "no-such-bot" in body["message"]
    finally:
        hook.close()
