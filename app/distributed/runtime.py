"""Process entry points: a signal worker, the bus from config, and the serve loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from tradefleet.orchestrator.bus import Bus, InProcessBus
from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus
from tradefleet.orchestrator.distributed.work import HistoryData, SignalWorker, TickTask
from tradefleet.orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.registry import Registry


def redis_bus(config: AppConfig, group: str, consumer: str | None = None, **kw: object) -> RedisStreamsBus:
    """The Redis Streams bus of ``[scale.bus]`` for ``group`` (refuses the in-process kind)."""
    if config.scale.bus.kind != "redis":
        raise ConfigError("[scale.bus] kind is 'inprocess': set kind = \"redis\" (or TRADEFLEET__SCALE__BUS__KIND=redis) "
                          "to run workers")
    return RedisStreamsBus.from_config(config.scale.bus, group, consumer, **kw)  # type: ignore[arg-type]


def bus_for(config: AppConfig, group: str, consumer: str | None = None) -> Bus:
    """The bus ``[scale.bus]`` names for a process of role ``group``: in-process by default,
    else Redis Streams (e.g. the dashboard's ``create_app(bus=bus_for(cfg, "dashboard"))``,
    so its pause/halt events reach the leader at once)."""
    if config.scale.bus.kind == "inprocess":
        return InProcessBus()
    return RedisStreamsBus.from_config(config.scale.bus, group, consumer, start="$")


def build_worker(config: AppConfig, bus: RedisStreamsBus, bots: list[str] | None = None,
                 before_compute: Callable[[TickTask], None] | None = None,
                 registry: Registry | None = None) -> SignalWorker:
    """A worker for ``bots`` (default: every enabled bot) with the history they trade."""
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.app.replay import load_history, select_bots

    registry = registry or Registry.discover()
    specs = select_bots(registry, config, bots)
    symbols = sorted({i for s in specs for i in s.instruments})
    frames, _instruments, _missing = load_history(config, symbols, config.replay.end)
    params = {name: cfg.params for name, cfg in config.bots.items()}
    return SignalWorker(bus, {s.name: s for s in specs}, HistoryData(frames), params, before_compute)


def serve(bus: RedisStreamsBus, stop: threading.Event, on_idle: Callable[[], None] | None = None) -> None:
    """Poll ``bus`` until ``stop`` is set; a cut connection backs off and retries."""
    backoff = 0.05
    while not stop.is_set():
        bus.poll()
        if bus.connected:
            backoff = 0.05
        else:
            stop.wait(backoff)  # Redis is away: retry, waiting a little longer each time
            backoff = min(backoff * 2, 5.0)
        if on_idle is not None:
            on_idle()


def run_worker(config: AppConfig, stop: threading.Event, *, bots: list[str] | None = None, name: str | None = None,
               registry: Registry | None = None, clock: Clock | None = None, store_url: str | None = None,
               on_ready: Callable[[RedisStreamsBus], None] | None = None,
               on_idle: Callable[[], None] | None = None) -> None:
    """The ``tradefleet worker`` process until ``stop``: bus, worker, and its alerts (stored
    in the fleet's store, delivered from here: broken bots, a lasting bus outage and its
    end, an unexpected stop)."""
    from tradefleet.app.distributed.alerts import WorkerAlerts
    from tradefleet.orchestrator.registry import Registry

    bus = redis_bus(config, "workers", name)
    alerts = WorkerAlerts.open(config, bus.consumer, clock, store_url)
    try:
        registry = registry or Registry.discover()
        build_worker(config, bus, bots, registry=registry)
        alerts.broken(registry)
        if on_ready is not None:
            on_ready(bus)

        def idle() -> None:
            alerts.observe(bus.connected)
            if on_idle is not None:
                on_idle()

        serve(bus, stop, on_idle=idle)
    except Exception as exc:
        alerts.crashed(exc)
        raise
    finally:
        alerts.close()
        bus.close()
