"""Shared helpers of the weight bots: per-instrument series on the panel's clock and a
monthly rebalance calendar (all causal: row t uses rows <= t only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.panel import Panel


def own_bars(panel: Panel, values: dict[str, np.ndarray]) -> np.ndarray:
    """Place per-instrument arrays (computed on each instrument's own bars) on the
    panel's rows; NaN where an instrument did not print."""
    out = np.full((len(panel), len(panel.instruments)), np.nan)
    for j, sym in enumerate(panel.instruments):
        rows = np.flatnonzero(panel.present[:, j])
        out[rows, j] = values[sym]
    return out


def month_ends(panel: Panel) -> np.ndarray:
    """True on the last panel row of each calendar month that is already over at that
    row (the next row is in a new month), plus the last row (rebalance points)."""
    months = panel.ts.astype("datetime64[ns]").astype("datetime64[M]")
    flags = np.zeros(len(months), dtype=bool)
    if len(months):
        flags[:-1] = months[1:] != months[:-1]
    return flags


def hold_between(points: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weights set at rebalance ``points`` and held (forward-filled) until the next one;
    NaN before the first."""
    idx = np.where(points, np.arange(len(points)), -1)
    last = np.maximum.accumulate(idx) if len(idx) else idx
    out = np.full_like(w, np.nan)
    ok = last >= 0
    out[ok] = w[last[ok]]
    return out


def stale(panel: Panel, max_gap: int) -> np.ndarray:
    """True where an instrument has not printed for more than ``max_gap`` panel rows
    (its series ended or paused): its weight must be zero there."""
    n = len(panel)
    rows = np.arange(n)[:, None]
    seen = np.where(panel.present, rows, -(10**9))
    last = np.maximum.accumulate(seen, axis=0) if n else seen
    return np.asarray(rows - last > max_gap)


def frame_of(panel: Panel, w: np.ndarray) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(w, index=panel.index, columns=list(panel.instruments))
