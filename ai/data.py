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
    from collections.abc import Sequence

    import pandas as pd

    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.services import MarketData

_OHLCV = ("open", "high", "low", "close", "volume")


class ReplayFallbackData:
    """MarketData that prefers the kernel's data and falls back to bundled history up to now."""

    def __init__(self, primary: MarketData, clock: Clock, remapped: frozenset[str] = frozenset()) -> None:
        self.primary = primary
        self.clock = clock
        self.remapped = remapped
        self._bundled: dict[str, tuple[pd.DataFrame, np.ndarray] | None] = {}
        self._columns: dict[str, dict[str, np.ndarray]] = {}

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

    def arrays(self, symbol: str, bars: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The bars :meth:`frame` would return, as (close times in ns, {column: values}) array
        views: the same choice between the kernel's data and the bundled series, no frame."""
        try:
            primary = series_arrays(self.primary, symbol, bars)
        except DataError:
            primary = None
        if primary is not None and bars is not None and len(primary[0]) >= bars:
            return primary
        bundled = self._bundle(symbol)
        if bundled is None:
            if primary is None:
                raise DataError(f"no market data for {symbol!r} in this replay and none bundled")
            return primary
        f, ts = bundled
        end = int(np.searchsorted(ts, self.clock.now_ns(), side="right"))
        start = 0 if bars is None else max(0, end - bars)
        if primary is not None and len(primary[0]) >= end - start:
            return primary
        cols = self._columns.get(symbol)
        if cols is None:
            cols = self._columns[symbol] = {c: f[c].to_numpy(dtype=np.float64) for c in _OHLCV if c in f.columns}
        return ts[start:end], {c: v[start:end] for c, v in cols.items()}

    def bundled_closes(self, symbol: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The whole bundled series of ``symbol`` (close times in ns, closes), past the clock:
        only for fitting a replay's coming regime models ahead, each on the bars up to its own
        anchor (:mod:`tradefleet.ai.regime.prefit`). None when not bundled or remapped."""
        bundled = self._bundle(symbol)
        if bundled is None:
            return None
        f, ts = bundled
        return ts, f["close"].to_numpy(dtype=np.float64)

    def _bundle(self, symbol: str) -> tuple[pd.DataFrame, np.ndarray] | None:
        if symbol not in self._bundled:
            from tradefleet.scrapers.bundled import BY_SYMBOL, load_dataset

            if symbol in self.remapped or symbol not in BY_SYMBOL:
                self._bundled[symbol] = None
            else:
                f = load_dataset(BY_SYMBOL[symbol].name)
                self._bundled[symbol] = (f, f.index.as_unit("ns").asi8)
        return self._bundled[symbol]

    def symbols(self) -> Sequence[str]:
        return self.primary.symbols()


def series_arrays(data: MarketData, symbol: str, bars: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``data``'s last ``bars`` bars of ``symbol`` as (close times in ns, {column: float64
    values}): the no-copy ``arrays`` of the kernel's market data (and of
    :class:`ReplayFallbackData`) when ``data`` has it, else converted from its frame."""
    arrays = getattr(data, "arrays", None)
    if arrays is not None:
        return arrays(symbol, bars)  # type: ignore[no-any-return]
    frame = data.frame(symbol, bars)
    ts = frame.index.as_unit("ns").asi8 if len(frame) else np.empty(0, dtype=np.int64)
    return ts, {c: frame[c].to_numpy(dtype=np.float64) for c in _OHLCV if c in frame.columns}
