"""The services a kernel wires together, handed to plugins' ``build(services)``.

Backtest replay, paper and live assemble the same services; only the clock and the broker
adapters differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.bus import Bus
    from orchestrator.clock import Clock
    from orchestrator.config import AppConfig
    from orchestrator.domain import Instrument
    from orchestrator.pipeline.gate import MarketView, PortfolioView
    from orchestrator.registry import Registry
    from orchestrator.store import Store


class MarketData(Protocol):
    """Bar history as of now (never beyond the clock: no lookahead)."""

    def frame(self, symbol: str, bars: int | None = None) -> pd.DataFrame:
        """Return the last ``bars`` bars of ``symbol`` closed at or before now."""
        ...

    def symbols(self) -> list[str]: ...


@dataclass
class Services:
    """Shared services of one running kernel."""

    config: AppConfig
    clock: Clock
    store: Store
    bus: Bus
    registry: Registry
    market: MarketView
    portfolio: PortfolioView
    data: MarketData
    instruments: dict[str, Instrument] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
