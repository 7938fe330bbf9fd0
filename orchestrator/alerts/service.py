"""The alert service: store first, then deliver with retries, a rate limit per channel and
de-duplication. A failed delivery is logged and recorded, never raised.

Producers publish on the bus (``Topic.ALERTS``: the order manager's and reconciler's
alerts, the risk engine's :class:`~tradefleet.risk.alerts.RiskAlert`, the watchdog's, faulted bots;
``Topic.CONTROL``: halts and resumes from any process; ``Topic.FILLS`` when
``[alerts].fills``); :meth:`AlertService.attach` turns each into one stored alert.
Delivery runs on a worker thread (:meth:`start`), or synchronously in :meth:`drain`
(tests, ``tradefleet alerts test``). Backoff waits go through an injected ``sleep``.
Each delivery is claimed in the store before it is sent (:meth:`AlertStore.claim`), so a
process following the stored alerts (:mod:`tradefleet.orchestrator.alerts.tail`, the
Telegram bot) and the process that stored them never both send one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.alerts.channels import Channel, DeliveryError
from tradefleet.orchestrator.alerts.config import AlertsConfig, ChannelConfig
from tradefleet.orchestrator.alerts.kinds import OPTIONAL, severity_of
from tradefleet.orchestrator.alerts.store import AlertStore, StoredAlert
from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.execution.secrets import redact

if TYPE_CHECKING:
    from tradefleet.orchestrator.sections import KernelConfig

_log = logging.getLogger("tradefleet.alerts")
_STOP = object()


class AlertService:
    """Stores alerts and delivers them to channels."""

    def __init__(self, store: Any, clock: Clock, config: AlertsConfig,
                 channels: dict[str, tuple[Channel, ChannelConfig]] | None = None,
                 sleep: Callable[[float], None] = time.sleep, pace: Clock | None = None) -> None:
        self.alerts = AlertStore(store)
        self.clock = clock
        #: the clock ``sleep`` advances (rate-limit windows); the engine's clock stamps the alerts
        self.pace = pace or clock
        self.config = config
        self.channels = dict(channels or {})
        self.sleep = sleep
        self._sent: dict[str, deque[int]] = {name: deque() for name in self.channels}
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None

    # -- producing --------------------------------------------------------------------
    def publish(self, kind: str, message: str, account: str = "", data: dict[str, Any] | None = None,
                severity: str | None = None) -> StoredAlert:
        """Store one alert, then queue its deliveries (a duplicate within the window is not sent)."""
        message = redact(message)
        now = self.clock.now_ns()
        key = f"{kind}|{account}|{message}"[:256]
        alert = self.alerts.record(now, kind, severity or severity_of(kind), account, message, key,
                                   _jsonable(data or {}))
        duplicate = self.config.dedup_seconds > 0 and self.alerts.seen_since(
            key, now - int(self.config.dedup_seconds * NS), alert.id)
        for name, (_channel, cfg) in self.channels.items():
            if not wants(cfg, kind):
                continue
            if duplicate:
                self.alerts.open_delivery(alert.id, name, "duplicate", now)
                continue
            if self.alerts.open_delivery(alert.id, name, "pending", now):  # else another process took it
                self._queue.put((alert, name))
        if self._thread is None:
            self.drain()
        return alert

    def attach(self, bus: Any) -> None:
        """Turn the bus's alert, control (and optionally fill) events into alerts."""
        bus.subscribe(Topic.ALERTS, self.on_event)
        bus.subscribe(Topic.CONTROL, self.on_event)
        if self.config.fills:
            bus.subscribe(Topic.FILLS, self.on_event)

    def on_event(self, topic: Topic, event: Any) -> None:
        """Bus handler (runs on the publisher's thread: it only stores and queues)."""
        try:
            converted = from_event(topic, event)
            if converted is not None:
                self.publish(*converted)
        except Exception as exc:  # an alert problem must never break the engine
            _log.warning("alerts: cannot record %s event: %s", topic, redact(exc))

    # -- delivering -------------------------------------------------------------------
    def start(self) -> None:
        """Deliver on a worker thread from now on."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="tradefleet-alerts", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (bounded by ``timeout``) and stop the worker."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def drain(self) -> int:
        """Deliver every queued alert in this thread; return how many were sent."""
        sent = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return sent
            if item is not _STOP:
                sent += self._deliver(*item)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self._deliver(*item)
            except Exception as exc:  # never let the worker die
                _log.warning("alerts: delivery crashed: %s", redact(exc))

    def _deliver(self, alert: StoredAlert, name: str) -> int:
        channel, cfg = self.channels[name]
        self._wait_for_rate(name, cfg.rate_per_minute or self.config.rate_per_minute)
        if not self.alerts.claim(alert.id, name, self.clock.now_ns(), int(self.config.claim_seconds * NS)):
            return 0  # another process (the Telegram bot's tail) is delivering it: sent once
        error = ""
        for attempt in range(1, self.config.retries + 1):
            try:
                channel.send(alert)
            except DeliveryError as exc:
                error = redact(exc)
                if attempt < self.config.retries:
                    self.sleep(exc.retry_after if exc.retry_after is not None
                               else self.config.backoff_seconds * 2 ** (attempt - 1))
                continue
            except Exception as exc:  # a channel bug is a failed delivery, not a crash
                error = redact(f"{type(exc).__name__}: {exc}")
                break
            self._sent[name].append(self.pace.now_ns())
            self.alerts.set_delivery(alert.id, name, "sent", attempt, None, self.clock.now_ns())
            return 1
        self.alerts.set_delivery(alert.id, name, "failed", attempt, error, self.clock.now_ns())
        _log.warning("alerts: %s alert %s not delivered to %s after %d attempts: %s", alert.kind, alert.id, name,
                     attempt, error)
        return 0

    def _wait_for_rate(self, name: str, per_minute: int) -> None:
        """At most ``per_minute`` sends in any 60 s per channel: wait for the window to open."""
        sent = self._sent.setdefault(name, deque())
        while True:
            now = self.pace.now_ns()
            while sent and sent[0] <= now - 60 * NS:
                sent.popleft()
            if len(sent) < per_minute:
                return
            self.sleep((sent[0] + 60 * NS - now) / NS)


def wants(cfg: ChannelConfig, kind: str) -> bool:
    """Whether a channel takes alerts of ``kind``."""
    if not cfg.enabled or kind in cfg.exclude:
        return False
    if kind in cfg.kinds:
        return True
    return "*" in cfg.kinds and (kind not in OPTIONAL or kind == "test")


def from_event(topic: Topic, event: Any) -> tuple[str, str, str, dict[str, Any]] | None:
    """(kind, message, account, data) of a bus event, or None when it is not alert-worthy."""
    if topic == Topic.FILLS:
        return ("fill", f"{event.side.value} {event.quantity} {event.instrument} @ {event.price} "
                f"(order {event.client_order_id})", "", {"trade_id": event.trade_id})
    if hasattr(event, "scope") and hasattr(event, "kind"):  # tradefleet.risk.alerts.RiskAlert
        kind = {"daily_loss_halt": "daily_loss", "breaker": "breaker", "confirmation_requested": "confirmation",
                "state_changed": "state"}.get(event.kind, event.kind)
        if kind == "state" and getattr(event, "state", "") in ("HALTED", "halted"):
            kind = "halt"
        elif kind == "state" and getattr(event, "state", "") in ("NORMAL", "normal", "ACTIVE", "active"):
            kind = "resume"
        if topic == Topic.CONTROL:
            return None  # the same event follows on the alerts topic
        account = event.scope.removeprefix("account:") if event.scope.startswith("account:") else ""
        return (kind, f"{event.scope}: {event.reason}", account, dict(event.data or {}))
    if topic == Topic.CONTROL:
        scope = getattr(event, "scope", None)
        if scope is None or getattr(event, "actor", "") in ("oms", "reconcile", "risk"):
            return None  # those producers alert themselves
        halted = bool(getattr(event, "halted", False))
        target = "account" if scope.startswith("account:") else "fleet"
        if not scope.startswith(("account:", "fleet")):
            kind = "control"
        else:
            kind = f"{target}_{'halted' if halted else 'resumed'}"
        account = scope.removeprefix("account:") if scope.startswith("account:") else ""
        return (kind, f"{scope} {'halted' if halted else 'not halted'} by {getattr(event, 'actor', '?')}: "
                f"{getattr(event, 'reason', '')}", account, {})
    kind = getattr(event, "kind", None)
    if kind is None:
        return None
    return (str(kind), str(getattr(event, "message", event)), str(getattr(event, "account", "") or ""), {})


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(json.dumps(data, default=str)))


def build_service(config: KernelConfig, store: Any, clock: Clock, environ: Any = None,
                  sleep: Callable[[float], None] = time.sleep) -> AlertService:
    """The alert service of a process from ``[alerts]`` (and ``[telegram]`` for the bot)."""
    from tradefleet.orchestrator.alerts.build import channels_from_config

    from tradefleet.orchestrator.clock import LiveClock

    pace = clock if sleep is not time.sleep else LiveClock()  # real sleeps pace on the wall clock
    return AlertService(store, clock, config.alerts, channels_from_config(config, environ), sleep, pace)


def install(config: KernelConfig, store: Any, clock: Clock, bus: Any, start: bool = True) -> AlertService | None:
    """Build, attach to ``bus`` and start the alert service of a process (None when disabled).
    A channel that cannot be built (a missing secret) is logged and left out."""
    if not config.alerts.enabled:
        return None
    service = build_service(config, store, clock)
    service.attach(bus)
    if start:
        service.start()
    return service
