"""Market-data providers: the :class:`BarProvider` contract and the shared plugin base.

A provider answers ``bars(symbol, tf, start_ns, end_ns)`` with *complete* bars closing in
``[start_ns, end_ns]`` (never the bar still forming: no lookahead, no half bars), as a
bar frame (UTC close-time index, float64 OHLCV). It raises DataError when it cannot.
Providers register under ``[project.entry-points."tradefleet.providers"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from tradefleet.orchestrator.clock import Clock, LiveClock
from tradefleet.orchestrator.duration import parse_timeframe

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.services import Services
    from tradefleet.scrapers.config import DataConfig


class BarProvider(Protocol):
    """Where bars come from."""

    name: ClassVar[str]
    remote: ClassVar[bool]

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
        """Return complete ``tf`` bars of ``symbol`` closing in ``[start_ns, end_ns]``."""
        ...


class ProviderBase:
    """Plugin plumbing shared by the built-in providers."""

    name: ClassVar[str] = ""
    api_version: ClassVar[int] = 1
    remote: ClassVar[bool] = False

    @classmethod
    def from_config(cls, config: DataConfig, clock: Clock) -> Any:
        """Build from the ``[data]`` section (each provider overrides this)."""
        raise NotImplementedError

    @classmethod
    def build(cls, services: Services) -> Any:
        """Registry hook: build from the running kernel's config and clock."""
        from tradefleet.scrapers.config import DataConfig

        cfg = getattr(services.config, "data", None) or DataConfig()
        return cls.from_config(cfg, services.clock or LiveClock())


def open_to_close_ns(open_ns: np.ndarray, tf: str) -> np.ndarray:
    """Bar close times from bar open times (calendar months for ``mo``)."""
    import pandas as pd

    d = parse_timeframe(tf)
    n = d.count
    if not d.calendar:
        return open_ns + d.ns
    opens = pd.DatetimeIndex(open_ns.view("datetime64[ns]"))
    return (opens + pd.DateOffset(months=n)).as_unit("ns").asi8


def frame_from_rows(ts_close_ns: np.ndarray, rows: np.ndarray, source: str) -> pd.DataFrame:
    """Build a bar frame from close times and an (n, 5) OHLCV float array."""
    import pandas as pd

    from tradefleet.scrapers.frames import OHLCV

    index = pd.DatetimeIndex(np.asarray(ts_close_ns, dtype="int64").view("datetime64[ns]"), name="ts").tz_localize("UTC")
    data = np.asarray(rows, dtype="float64").reshape(-1, 5)
    return pd.DataFrame(data, index=index, columns=list(OHLCV))


def cut(frame: pd.DataFrame, start_ns: int | None, end_ns: int) -> pd.DataFrame:
    """Keep bars closing in ``[start_ns, end_ns]``."""
    ns = frame.index.as_unit("ns").asi8
    lo = 0 if start_ns is None else int(np.searchsorted(ns, start_ns, side="left"))
    hi = int(np.searchsorted(ns, end_ns, side="right"))
    return frame.iloc[lo:hi]
