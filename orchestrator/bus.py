"""The event bus: topics, and the in-process implementation (Redis Streams lives in
``orchestrator/bus_redis.py``). Events are published after the store is updated."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol


class Topic(StrEnum):
    MARKET_DATA = "market_data"
    SIGNALS = "signals"
    DECISIONS = "decisions"
    ORDERS = "orders"
    FILLS = "fills"
    ALERTS = "alerts"
    CONTROL = "control"


Handler = Callable[[Topic, Any], None]


class Bus(Protocol):
    def publish(self, topic: Topic, event: Any) -> None: ...

    def subscribe(self, topic: Topic, handler: Handler) -> None: ...


class InProcessBus:
    """Synchronous fan-out to subscribers; a failing handler is isolated and counted."""

    def __init__(self) -> None:
        self._handlers: dict[Topic, list[Handler]] = defaultdict(list)
        self.handler_errors: list[tuple[Topic, str]] = []

    def subscribe(self, topic: Topic, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    def publish(self, topic: Topic, event: Any) -> None:
        for handler in self._handlers.get(topic, ()):
            try:
                handler(topic, event)
            except Exception as exc:  # a subscriber must never break the publisher
                self.handler_errors.append((topic, f"{type(exc).__name__}: {exc}"))
