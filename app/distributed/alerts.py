"""The signal worker's alerts (``tradefleet worker``): stored first in the fleet's store
(``[engine].store_url``, the leader's), then delivered from the worker by the alert
service, like every other process.

A worker alerts what only it can see: bots that could not be loaded on it
(``plugin_broken``), its bus (Redis) unreachable for longer than ``outage_seconds``
(``worker_bus_lost``, once per outage) and back (``worker_bus_restored``), and the worker
stopping on an unexpected error (``worker_crashed``). A bot that raises while computing is
faulted and alerted by the leader (``bot_faulted``), not here. A store that cannot be
opened leaves the worker running without alerts (logged).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.clock import NS, Clock, LiveClock
from tradefleet.orchestrator.errors import TradefleetError
from tradefleet.orchestrator.execution.secrets import redact

if TYPE_CHECKING:
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.alerts.service import AlertService
    from tradefleet.orchestrator.registry import Registry

_log = logging.getLogger("tradefleet.worker")


class WorkerAlerts:
    """What a worker publishes to the alert service (a no-op without one)."""

    def __init__(self, service: AlertService | None, store: Any, name: str, clock: Clock,
                 outage_seconds: float = 30.0) -> None:
        self.service = service
        self.store = store
        self.name = name
        self.clock = clock
        self.outage_ns = int(outage_seconds * NS)
        self._down_since: int | None = None
        self._alerted = False

    @classmethod
    def open(cls, config: AppConfig, name: str, clock: Clock | None = None, store_url: str | None = None,
             outage_seconds: float = 30.0) -> WorkerAlerts:
        """The worker's alerts on the fleet's store; without alerts when it cannot be opened."""
        clock = clock or LiveClock()
        if not config.alerts.enabled:
            return cls(None, None, name, clock, outage_seconds)
        from tradefleet.orchestrator.alerts.service import build_service
        from tradefleet.orchestrator.store import Store

        url = store_url or config.engine.store_url
        try:
            store = Store.open(url, clock=clock)
        except TradefleetError as exc:
            _log.warning("worker %s: alerts off: the store %s cannot be opened (%s)", name, url, redact(exc))
            return cls(None, None, name, clock, outage_seconds)
        service = build_service(config, store, clock)
        service.start()
        return cls(service, store, name, clock, outage_seconds)

    def publish(self, kind: str, message: str) -> None:
        if self.service is not None:
            self.service.publish(kind, f"worker {self.name}: {message}", data={"worker": self.name})

    def broken(self, registry: Registry) -> None:
        """One alert per bot plugin that failed to load on this worker."""
        for rec in registry.broken("bots"):
            self.publish("plugin_broken", f"{rec.group} {rec.name} ({rec.target}): {rec.error}")

    def observe(self, connected: bool) -> None:
        """Called every loop: alert a bus outage once it lasts, and its end."""
        now = self.clock.now_ns()
        if connected:
            if self._alerted:
                down = (now - (self._down_since or now)) / NS
                self.publish("worker_bus_restored", f"bus reachable again after {down:.0f} s")
            self._down_since, self._alerted = None, False
            return
        if self._down_since is None:
            self._down_since = now
        elif not self._alerted and now - self._down_since >= self.outage_ns:
            self._alerted = True
            self.publish("worker_bus_lost", f"bus unreachable for {(now - self._down_since) / NS:.0f} s: "
                         "no signals are computed on this worker")

    def crashed(self, exc: BaseException) -> None:
        self.publish("worker_crashed", f"stopped: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        if self.service is not None:
            self.service.stop()
        if self.store is not None:
            self.store.close()
