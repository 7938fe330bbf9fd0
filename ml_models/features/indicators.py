"""Causal indicator kernels on float64 numpy arrays (numba-compiled).

Every kernel is a forward recursion or a trailing window: element ``i`` of an output
depends only on inputs ``<= i``, so computing on a prefix gives the prefix of the full
result exactly. Rolling windows are summed directly (not by running sums), so a value is
also independent of where the array starts. EMA-type indicators (RSI, MACD, ATR, ADX)
start from their first input and forget it geometrically. Outputs are scale-free
(ratios, log ratios, oscillators rescaled to about [-1, 1]) so a model carries across
price levels.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NAN = np.nan


@njit(cache=True, nogil=True)
def ema(x: np.ndarray, alpha: float, min_periods: int) -> np.ndarray:  # pragma: no cover - numba
    """Return the exponential moving average (``adjust=False``) seeded with the first valid input."""
    n = x.shape[0]
    out = np.full(n, NAN)
    seen = 0
    prev = NAN
    for i in range(n):
        v = x[i]
        if v == v:
            prev = v if seen == 0 else alpha * v + (1.0 - alpha) * prev
            seen += 1
        if seen >= min_periods:
            out[i] = prev
    return out


@njit(cache=True, nogil=True)
def rolling_mean(x: np.ndarray, window: int) -> np.ndarray:  # pragma: no cover - numba
    """Return the trailing mean over ``window`` values (NaN if any is NaN)."""
    n = x.shape[0]
    out = np.full(n, NAN)
    for i in range(window - 1, n):
        s = 0.0
        for j in range(i - window + 1, i + 1):
            s += x[j]
        out[i] = s / window
    return out


@njit(cache=True, nogil=True)
def rolling_std(x: np.ndarray, window: int) -> np.ndarray:  # pragma: no cover - numba
    """Return the trailing sample standard deviation over ``window`` values (two-pass)."""
    n = x.shape[0]
    out = np.full(n, NAN)
    for i in range(window - 1, n):
        s = 0.0
        for j in range(i - window + 1, i + 1):
            s += x[j]
        m = s / window
        ss = 0.0
        for j in range(i - window + 1, i + 1):
            d = x[j] - m
            ss += d * d
        out[i] = np.sqrt(ss / (window - 1))
    return out


@njit(cache=True, nogil=True)
def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:  # pragma: no cover - numba
    """Return the trailing sum over ``window`` values."""
    n = x.shape[0]
    out = np.full(n, NAN)
    for i in range(window - 1, n):
        s = 0.0
        for j in range(i - window + 1, i + 1):
            s += x[j]
        out[i] = s
    return out


@njit(cache=True, nogil=True)
def shift(x: np.ndarray, k: int) -> np.ndarray:  # pragma: no cover - numba
    """Return ``x`` lagged by ``k`` (leading NaN)."""
    out = np.full(x.shape[0], NAN)
    for i in range(k, x.shape[0]):
        out[i] = x[i - k]
    return out


def log_return(close: np.ndarray, k: int) -> np.ndarray:
    """Return ``log(close_t / close_{t-k})``."""
    return np.log(close / shift(close, k))


def ma_ratio(close: np.ndarray, window: int) -> np.ndarray:
    """Return ``close / SMA(window) - 1``."""
    return close / rolling_mean(close, window) - 1.0


def rsi(close: np.ndarray, period: int = 14) -> np.ndarray:
    """Return Wilder's RSI in [0, 100] (Wilder smoothing = EMA with alpha 1/period)."""
    diff = close - shift(close, 1)
    gain = np.where(diff > 0, diff, 0.0)
    loss = np.where(diff < 0, -diff, 0.0)
    gain[0] = loss[0] = NAN
    avg_gain = ema(gain, 1.0 / period, period)
    avg_loss = ema(loss, 1.0 / period, period)
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = avg_gain / avg_loss
        out = 100.0 - 100.0 / (1.0 + rs)
    return np.where(avg_loss == 0, np.where(avg_gain == 0, 50.0, 100.0), out)


def macd(close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Return (MACD line, histogram), both divided by close."""
    line = ema(close, 2.0 / (fast + 1), fast) - ema(close, 2.0 / (slow + 1), slow)
    sig = ema(line, 2.0 / (signal + 1), signal)
    return line / close, (line - sig) / close


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Return the true range (the first bar uses high - low)."""
    prev = shift(close, 1)
    prev[0] = close[0]
    return np.maximum(high - low, np.maximum(np.abs(high - prev), np.abs(low - prev)))


def atr_ratio(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """Return Wilder's ATR divided by close."""
    return ema(true_range(high, low, close), 1.0 / period, period) / close


def bollinger_width(close: np.ndarray, window: int = 20, k: float = 2.0) -> np.ndarray:
    """Return the Bollinger band width ``2 k std / SMA``."""
    return 2.0 * k * rolling_std(close, window) / rolling_mean(close, window)


def adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Return (ADX, +DI - -DI), both in [0, 100]-units, with Wilder smoothing."""
    up = high - shift(high, 1)
    down = shift(low, 1) - low
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    plus_dm[0] = minus_dm[0] = NAN
    tr = true_range(high, low, close)
    tr[0] = NAN
    alpha = 1.0 / period
    atr = ema(tr, alpha, period)
    with np.errstate(divide="ignore", invalid="ignore"):
        plus_di = np.where(atr > 0, 100.0 * ema(plus_dm, alpha, period) / atr, 0.0)
        minus_di = np.where(atr > 0, 100.0 * ema(minus_dm, alpha, period) / atr, 0.0)
        total = plus_di + minus_di
        dx = np.where(total > 0, 100.0 * np.abs(plus_di - minus_di) / total, 0.0)
    dx = np.where(np.isnan(atr), NAN, dx)
    return ema(dx, alpha, period), np.where(np.isnan(atr), NAN, plus_di - minus_di)


def relative_volume(volume: np.ndarray, window: int = 20) -> np.ndarray:
    """Return ``log((volume + 1) / (SMA(volume) + 1))``."""
    return np.log((volume + 1.0) / (rolling_mean(volume, window) + 1.0))


def obv_flow(close: np.ndarray, volume: np.ndarray, window: int = 20) -> np.ndarray:
    """Return the OBV change over ``window`` bars divided by the volume traded, in [-1, 1].

    This is OBV's slope made independent of where the series starts (OBV's level is not).
    """
    step = np.sign(close - shift(close, 1)) * volume
    total = rolling_sum(volume, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(total > 0, rolling_sum(step, window) / total, 0.0)
    out[np.isnan(total)] = NAN
    return out


def realized_vol(close: np.ndarray, window: int) -> np.ndarray:
    """Return the standard deviation of one-bar log returns over ``window`` bars."""
    return rolling_std(log_return(close, 1), window)


def vol_regime(close: np.ndarray, short: int = 20, long: int = 60) -> np.ndarray:
    """Return ``log(vol_short / vol_long)``: above 0 in a high-volatility regime."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(realized_vol(close, short) / realized_vol(close, long))
