"""Where the risk engine keeps what must survive a restart.

Two narrow protocols, both satisfied by the kernel store (``tradefleet.orchestrator.store``):

* :class:`ControlStore`: the persisted pause/halt rows (``set_control`` / ``control``),
  shared with the operator's ``tradefleet halt/resume``. The daily-loss halt is a halt of
  the ``fleet`` scope written with ``actor="risk"``.
* :class:`RiskStateStore`: a small key -> JSON document table (``risk_state``, added by
  migration ``0003_risk_state``) for the start-of-day equity, trade counts and the report
  the CLI shows.

:class:`MemoryRiskStore` implements both in memory for tests and for runs without a store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

FLEET_SCOPE = "fleet"
RISK_ACTOR = "risk"


@dataclass(frozen=True, slots=True)
class HaltRow:
    """The subset of a control row the risk engine reads."""

    scope: str
    halted: bool
    reason: str
    actor: str
    ts_ns: int


@runtime_checkable
class ControlStore(Protocol):
    """Persisted pause/halt state by scope."""

    def set_control(self, scope: str, *, halted: bool | None = None, reason: str, actor: str,
                    ts_ns: int) -> Any: ...

    def control(self, scope: str) -> Any:
        """Return the scope's state (with ``halted``, ``reason``, ``actor``, ``ts_ns``) or None."""
        ...


@runtime_checkable
class RiskStateStore(Protocol):
    """Persisted JSON documents by key."""

    def load_risk_state(self, key: str) -> dict[str, Any] | None: ...

    def save_risk_state(self, key: str, value: dict[str, Any], ts_ns: int) -> None:
        """Save ``value`` under ``key``. The store may keep the object itself until its next
        commit (:mod:`tradefleet.risk.store_state`): pass a document the caller will not
        change afterwards (a fresh dict, copies of live containers)."""
        ...


def read_halt(store: ControlStore, scope: str) -> HaltRow | None:
    """Return the halt part of a control row, whatever its concrete type."""
    row = store.control(scope)
    if row is None:
        return None
    return HaltRow(scope, bool(getattr(row, "halted", False)), str(getattr(row, "reason", "")),
                   str(getattr(row, "actor", "")), int(getattr(row, "ts_ns", 0)))


class MemoryRiskStore:
    """In-memory ControlStore + RiskStateStore (thread-safe); survives only the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._controls: dict[str, HaltRow] = {}
        self._state: dict[str, dict[str, Any]] = {}
        self.events: list[HaltRow] = []

    def set_control(self, scope: str, *, halted: bool | None = None, reason: str, actor: str,
                    ts_ns: int) -> HaltRow:
        with self._lock:
            prev = self._controls.get(scope)
            was = prev.halted if prev is not None else False
            row = HaltRow(scope, was if halted is None else halted, reason, actor, ts_ns)
            self._controls[scope] = row
            self.events.append(row)
            return row

    def control(self, scope: str) -> HaltRow | None:
        with self._lock:
            return self._controls.get(scope)

    def load_risk_state(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._state.get(key)
            if callable(value):
                value = self._state[key] = value()
            return dict(value) if value is not None else None

    def save_lazy(self, key: str, build: Any, ts_ns: int) -> None:
        """Keep ``build`` and call it only when ``key`` is loaded (the risk report)."""
        with self._lock:
            self._state[key] = build

    def save_risk_state(self, key: str, value: dict[str, Any], ts_ns: int) -> None:
        with self._lock:
            self._state[key] = dict(value)
