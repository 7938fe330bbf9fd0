"""Gate contracts.

A *gate* (regime, ensemble, veto, or any custom stage) looks at a signal and returns one
:class:`~tradefleet.orchestrator.domain.Decision`: pass, resize (scale in [0, 1]) or reject, with a
machine-readable reason. The *risk gate* is the last stage: it turns the surviving signal,
scaled by the product of the earlier resizes, into a signed order quantity.

Gates register under the ``tradefleet.gates`` entry-point group as classes with a
``name`` and a ``build(services)`` classmethod.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from tradefleet.orchestrator.domain import Decision, Signal
from tradefleet.orchestrator.views import MarketView, PortfolioView

if TYPE_CHECKING:
    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.orchestrator.services import Services

__all__ = ["Gate", "GateContext", "GateFactory", "MarketView", "PortfolioView", "RiskGate"]


@dataclass(frozen=True)
class GateContext:
    """Everything a gate may look at when judging one signal."""

    now_ns: int
    spec: BotSpec
    market: MarketView
    portfolio: PortfolioView
    halted: bool = False
    halt_reason: str = ""


@runtime_checkable
class Gate(Protocol):
    """A pipeline stage before risk."""

    name: ClassVar[str]

    def evaluate(self, signal: Signal, ctx: GateContext) -> Decision: ...


@runtime_checkable
class RiskGate(Protocol):
    """The last stage: sizing and limits. Returns the decision and the signed order
    quantity (positive buys, negative sells; zero means nothing to send)."""

    name: ClassVar[str]

    def approve(self, signal: Signal, ctx: GateContext, scale: float) -> tuple[Decision, Decimal]: ...


class GateFactory(Protocol):
    """What a ``tradefleet.gates`` entry point must resolve to."""

    name: ClassVar[str]

    @classmethod
    def build(cls, services: Services) -> Gate | RiskGate: ...
