"""Direction labels over a horizon, with the window each label reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Labels:
    """Per-row targets of a bar series.

    ``up[i]`` is 1.0 when ``close[i + horizon] > close[i]`` (NaN for the last ``horizon``
    rows); ``ret[i]`` is that forward log return; ``end[i] = i + horizon`` is the last row
    the label reads, so the label window of row ``i`` is ``[i, end[i]]``.
    """

    up: np.ndarray
    ret: np.ndarray
    end: np.ndarray
    horizon: int


def make_labels(close: np.ndarray, horizon: int) -> Labels:
    """Return the direction labels of ``close`` over ``horizon`` bars."""
    n = close.shape[0]
    ret = np.full(n, np.nan)
    if n > horizon:
        ret[:-horizon] = np.log(close[horizon:] / close[:-horizon])
    up = np.where(np.isnan(ret), np.nan, (ret > 0).astype(np.float64))
    return Labels(up=up, ret=ret, end=np.arange(n) + horizon, horizon=horizon)
