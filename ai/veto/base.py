"""Veto-provider contract: review one signal, approve or not, with a machine-readable reason
and a category."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tradefleet.orchestrator.domain import Signal
    from tradefleet.orchestrator.pipeline.gate import GateContext

CATEGORIES = ("ok", "stale_data", "price_moved", "event_risk", "against_recent_trade", "session",
              "halted", "trend", "risk", "other")


@dataclass(frozen=True)
class VetoVerdict:
    """One reviewer's answer. ``reason`` is a code (``event_conflict``); ``detail`` is prose."""

    provider: str
    approve: bool
    reason: str
    category: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"provider": self.provider, "approve": self.approve, "reason": self.reason,
                               "category": self.category}
        if self.detail:
            out["detail"] = self.detail
        if self.data:
            out["data"] = self.data
        return out


@runtime_checkable
class VetoProvider(Protocol):
    """A reviewer. Classes register with ``name``, ``api_version`` and ``build(services)``."""

    name: ClassVar[str]
    network: ClassVar[bool]

    def review(self, signal: Signal, ctx: GateContext) -> VetoVerdict: ...
