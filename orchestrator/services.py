"""The services a kernel wires together, handed to plugins' ``build(services)``.

Backtest replay, paper and live assemble the same services; only the clock and the broker
adapters differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.views import MarketData, MarketView, PortfolioView

if TYPE_CHECKING:
    from tradefleet.orchestrator.bus import Bus
    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.sections import KernelConfig
    from tradefleet.orchestrator.domain import Instrument
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.orchestrator.store import Store

__all__ = ["MarketData", "MarketView", "PortfolioView", "Services"]


@dataclass
class Services:
    """Shared services of one running kernel."""

    config: KernelConfig
    clock: Clock
    store: Store
    bus: Bus
    registry: Registry
    market: MarketView
    portfolio: PortfolioView
    data: MarketData
    instruments: dict[str, Instrument] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
