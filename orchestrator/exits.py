"""The exit-policy extension point: what the engine asks of scaled exits.

The risk component fills it (:mod:`tradefleet.risk.exit_manager`: one exit plan per open position,
tranches turned into reduce-only orders); a kernel without that component simply runs
without policy exits. A risk gate's ``build(services)`` puts its policy in
``services.extras[EXIT_POLICY]``; :func:`tradefleet.orchestrator.kernel.assemble` hands it to the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from tradefleet.orchestrator.domain import Bar, Fill, Order, Position, Side

__all__ = ["EXIT_POLICY", "ExitOrder", "ExitPolicy"]

EXIT_POLICY = "exit_policy"


@dataclass(frozen=True)
class ExitOrder:
    """Exit actions of one position on one bar, merged into one reduce-only order."""

    bot: str
    instrument: str
    side: Side
    quantity: Decimal
    reason: str
    trigger: float
    armed_ns: int
    """When the levels this exit triggered on were set: the close of the bar before the
    one that triggered it (the exit is matched against that bar as a resting order). No
    default: every policy must say it (no producer relied on the old default of 0)."""

    @property
    def is_stop(self) -> bool:
        return "stop" in self.reason.split("+")[0]


class ExitPolicy(Protocol):
    """Exit plans kept per open position, advanced on bars and kept in step with fills."""

    def expect(self, order: Order, stop: float | None) -> None:
        """Remember the stop of the signal behind an entry order."""
        ...

    def on_fill(self, order: Order, fill: Fill, before: Position | None, after: Position) -> None:
        """Open, update or drop the plan of the position this fill changed."""
        ...

    def on_bar(self, bar: Bar) -> Sequence[ExitOrder]:
        """Advance the plans on ``bar``'s instrument; return the exit orders it triggers."""
        ...

    def persist_to(self, state: Any, key: str) -> None:
        """Keep every plan in the store under ``key`` (paper and live)."""
        ...

    def restore(self, positions: list[Position], pending: dict[tuple[str, str], Decimal]) -> int:
        """Rebuild the plans of ``positions`` from the store; return how many were restored."""
        ...

    def open_plans(self) -> int:
        """How many plans are open."""
        ...
