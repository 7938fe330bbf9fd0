"""Where the regime service reads a market's bars from.

The kernel's market data holds only the instruments its bots trade; a GOOG bot's regime
market (SPX) may not be loaded. In replay, :class:`ReplayFallbackData` then reads the
bundled series, cut at the simulated clock so it can never see the future. Live has no
such fallback: an unloaded market leaves the regime unknown rather than stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orchestrator.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.clock import Clock
    from orchestrator.services import MarketData


class ReplayFallbackData:
    """MarketData that prefers the kernel's data and falls back to bundled history up to now."""

    def __init__(self, primary: MarketData, clock: Clock) -> None:
        self.primary = primary
        self.clock = clock
        self._bundled: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}

    def frame(self, symbol: str, bars: int | None = None) -> pd.DataFrame:
        try:
            return self.primary.frame(symbol, bars)
        except DataError:
            pass
        if symbol not in self._bundled:
            from scrapers.bundled import dataset_for, load_dataset

            f = load_dataset(dataset_for(symbol).name)  # raises DataError if nothing is bundled
            self._bundled[symbol] = (f, f.index.as_unit("ns").asi8)
        f, ts = self._bundled[symbol]
        end = int(np.searchsorted(ts, self.clock.now_ns(), side="right"))
        start = 0 if bars is None else max(0, end - bars)
        return f.iloc[start:end]

    def symbols(self) -> list[str]:
        return self.primary.symbols()
