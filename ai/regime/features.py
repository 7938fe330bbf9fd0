"""Causal regime features: log returns (percent) and the log of their rolling volatility.

Row *i* of the output belongs to close index ``i + vol_window`` and uses only the
``vol_window + 1`` closes ending there, so computing the features on a tail of the series
gives exactly the same rows as computing them on the whole series.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

N_FEATURES = 2


def regime_features(close: np.ndarray, vol_window: int) -> np.ndarray:
    """Return an ``(n - vol_window, 2)`` array of [log return %, log rolling std of it].

    The log makes the volatility feature close to Gaussian (the HMM's emission model)."""
    close = np.asarray(close, dtype=np.float64)
    if close.ndim != 1:
        raise ValueError("close must be one-dimensional")
    if close.size <= vol_window:
        return np.empty((0, N_FEATURES))
    if not np.all(np.isfinite(close)) or np.any(close <= 0):
        raise ValueError("closes must be finite and positive")
    ret = np.diff(np.log(close)) * 100.0
    vol = sliding_window_view(ret, vol_window).std(axis=1)
    return np.column_stack([ret[vol_window - 1:], np.log(np.maximum(vol, 1e-8))])


def feature_rows_needed(n_rows: int, vol_window: int) -> int:
    """Return how many closes are needed to produce the last ``n_rows`` feature rows."""
    return n_rows + vol_window
