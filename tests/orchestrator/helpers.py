"""Small builders shared by the orchestrator tests."""

from __future__ import annotations

import pandas as pd

from tradefleet.orchestrator.market import MarketState


def bar_frame(closes: list[float], start: str = "2020-01-01", freq: str = "D", volume: float = 1e6) -> pd.DataFrame:
    """A valid bar frame whose open/high/low bracket the given closes."""
    idx = pd.date_range(start, periods=len(closes), freq=freq, tz="UTC", name="ts")
    c = pd.Series(closes, index=idx, dtype="float64")
    o = c.shift(1).fillna(c.iloc[0])
    return pd.DataFrame({"open": o, "high": pd.concat([o, c], axis=1).max(axis=1) * 1.001,
                         "low": pd.concat([o, c], axis=1).min(axis=1) * 0.999, "close": c,
                         "volume": volume}, index=idx)


def market_with(symbol: str, closes: list[float], spread_bps: float = 2.0, row: int | None = None) -> MarketState:
    m = MarketState(spread_bps)
    m.load(symbol, bar_frame(closes))
    m.advance(symbol, len(closes) - 1 if row is None else row)
    return m
