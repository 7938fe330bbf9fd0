"""Read-only views a kernel hands to bots, gates and data consumers.

They live apart from :mod:`tradefleet.orchestrator.services` and :mod:`tradefleet.orchestrator.pipeline.gate`
(which re-export them) so that either can be imported first without an import circle.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from tradefleet.orchestrator.domain import Bar, Position

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

__all__ = ["MarketData", "MarketView", "PortfolioView"]


class MarketView(Protocol):
    """Read-only market state as of now."""

    def last_bar(self, symbol: str) -> Bar | None: ...

    def quote(self, symbol: str) -> tuple[float, float] | None:
        """Return (bid, ask) derived from the current bar, or None if no data yet."""
        ...

    def closes(self, symbol: str, n: int) -> list[float]:
        """Return up to the last ``n`` closes, oldest first."""
        ...


class PortfolioView(Protocol):
    """Read-only account state as of now."""

    def cash(self) -> Decimal: ...

    def equity(self) -> Decimal: ...

    def position(self, bot: str, instrument: str) -> Position | None: ...

    def positions(self) -> list[Position]: ...

    def open_position_count(self) -> int: ...


class MarketData(Protocol):
    """Bar history as of now (never beyond the clock: no lookahead)."""

    def frame(self, symbol: str, bars: int | None = None) -> pd.DataFrame:
        """Return the last ``bars`` bars of ``symbol`` closed at or before now."""
        ...

    def symbols(self) -> Sequence[str]: ...
