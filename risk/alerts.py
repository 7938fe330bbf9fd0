"""Risk alerts published on the bus (``Topic.ALERTS``) after the store is updated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradefleet.orchestrator.bus import Topic


@dataclass(frozen=True, slots=True)
class RiskAlert:
    """Something the operator must hear about: a halt, a breaker, a pending confirmation.

    ``kind`` is machine-readable (``daily_loss_halt``, ``daily_loss_reset``,
    ``breaker``, ``state_changed``, ``confirmation_requested``, ...); ``scope`` is
    ``fleet``, ``fleet:<name>`` or ``account:<name>``."""

    kind: str
    scope: str
    reason: str
    ts_ns: int
    state: str = ""
    data: dict[str, Any] | None = None


class AlertSink:
    """Publish alerts to a bus if one is wired, and keep the last few for reports."""

    def __init__(self, bus: Any = None, keep: int = 50) -> None:
        self.bus = bus
        self.keep = keep
        self.recent: list[RiskAlert] = []

    def emit(self, alert: RiskAlert) -> None:
        """Record ``alert`` and publish it on ``Topic.ALERTS``."""
        self.recent.append(alert)
        del self.recent[:-self.keep]
        if self.bus is not None:
            self.bus.publish(Topic.ALERTS, alert)

    def control_changed(self, alert: RiskAlert) -> None:
        """Tell control subscribers (the engine reloads its halt state) that the store's
        control rows changed, then alert."""
        if self.bus is not None:
            self.bus.publish(Topic.CONTROL, alert)
        self.emit(alert)
