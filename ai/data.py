"""Where the regime service and the ensemble read bars from in replay.

The kernel's replay data holds only the instruments its bots trade, and only from the
replay's start; a GOOG bot's regime market (SPX) may not be loaded at all, and a replay
starting in 2009 has no warm-up history while a live start loads it. In replay,
:class:`ReplayFallbackData` therefore serves the bundled series (the same bars the replay
loads) whenever it reaches further back, always cut at the simulated clock so it can
never see the future. A symbol mapped to a file under ``[replay.data]`` is never replaced.
Live has no such fallback: an unloaded market leaves the regime unknown rather than stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.services import MarketData


class ReplayFallbackData:
    """MarketData that prefers the kernel's data and falls back to bundled history up to now."""

    def __init__(self, primary: MarketData, clock: Clock, remapped: frozenset[str] = frozenset()) -> None:
        self.primary = primary
        self.clock = clock
        self.remapped = remapped
        self._bundled: dict[str, tuple[pd.DataFrame, np.ndarray] | None] = {}

    def frame(self, symbol: str, bars: int | None = None) -> pd.DataFrame:
        try:
            primary = self.primary.frame(symbol, bars)
        except DataError:
            primary = None
        if primary is not None and bars is not None and len(primary) >= bars:
            return primary  # the common case: enough history already
        bundled = self._bundle(symbol)
        if bundled is None:
            if primary is None:
                raise DataError(f"no market data for {symbol!r} in this replay and none bundled")
            return primary
        f, ts = bundled
        end = int(np.searchsorted(ts, self.clock.now_ns(), side="right"))
        start = 0 if bars is None else max(0, end - bars)
        if primary is not None and len(primary) >= end - start:
            return primary
        return f.iloc[start:end]

    def _bundle(self, symbol: str) -> tuple[pd.DataFrame, np.ndarray] | None:
        if symbol not in self._bundled:
            from tradefleet.scrapers.bundled import BY_SYMBOL, load_dataset

            if symbol in self.remapped or symbol not in BY_SYMBOL:
                self._bundled[symbol] = None
            else:
                f = load_dataset(BY_SYMBOL[symbol].name)
                self._bundled[symbol] = (f, f.index.as_unit("ns").asi8)
        return self._bundled[symbol]

    def symbols(self) -> list[str]:
        return self.primary.symbols()
