"""Causal technical indicators on a close array (oldest first); float64 in, float64 out."""

from __future__ import annotations

import numpy as np


def ema(x: np.ndarray, span: float | None = None, alpha: float | None = None) -> np.ndarray:
    """Exponential moving average seeded with the first value (pandas ``adjust=False``)."""
    from scipy.signal import lfilter

    a = alpha if alpha is not None else 2.0 / (float(span) + 1.0)  # type: ignore[arg-type]
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    y, _ = lfilter([a], [1.0, a - 1.0], x, zi=[(1.0 - a) * x[0]])
    return np.asarray(y)


def rsi(close: np.ndarray, period: int = 14) -> float:
    """Wilder's RSI of the last bar (100 when there were no losses)."""
    d = np.diff(np.asarray(close, dtype=np.float64))
    if d.size < period:
        return float("nan")
    gain = ema(np.clip(d, 0, None), alpha=1.0 / period)[-1]
    loss = ema(np.clip(-d, 0, None), alpha=1.0 / period)[-1]
    if loss == 0:
        return 100.0 if gain > 0 else 50.0
    return float(100.0 - 100.0 / (1.0 + gain / loss))


def macd(close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Return the MACD line and its histogram (line minus signal line) for every bar."""
    line = ema(close, fast) - ema(close, slow)
    return line, line - ema(line, signal)


def bollinger_pct_b(close: np.ndarray, window: int = 20, k: float = 2.0) -> float:
    """%B of the last bar: 0 at the lower band, 1 at the upper band."""
    tail = np.asarray(close[-window:], dtype=np.float64)
    if tail.size < window:
        return float("nan")
    mid, sd = tail.mean(), tail.std()
    if sd == 0:
        return 0.5
    return float((tail[-1] - (mid - k * sd)) / (2 * k * sd))
