"""Vectorized technical indicators on float arrays, shared by the built-in bar bots.

Every function takes 1-D ``float64`` numpy arrays (one value per bar, oldest first) and
returns arrays of the same length. Values that are not yet defined (warm-up) are NaN.
Every indicator is *causal*: element ``t`` depends only on elements ``<= t``, so
computing on a prefix of a series gives the same values as computing on the whole series
and cutting. Recursive smoothers (EMA, Wilder) run through a numba one-pole filter that
rounds as ``scipy.signal.lfilter`` does (:mod:`tradefleet.bots.recursion`) and are
seeded with the simple mean of their first ``n`` values (the TA-Lib convention).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Array = np.ndarray


# -- plumbing ------------------------------------------------------------------------
def as_float(x: object) -> Array:
    """Return ``x`` as a contiguous 1-D float64 array."""
    return np.ascontiguousarray(np.asarray(x, dtype=np.float64).ravel())


def shift(x: Array, k: int = 1) -> Array:
    """Return ``x`` delayed by ``k`` bars (NaN-filled at the start); ``k >= 0`` only."""
    if k < 0:
        raise ValueError("shift: negative k would look ahead")
    out = np.full(x.shape, np.nan)
    if k == 0:
        return x.astype(np.float64, copy=True)
    if k < len(x):
        out[k:] = x[:-k]
    return out


def _window(x: Array, n: int) -> Array:
    if n < 1:
        raise ValueError(f"window must be >= 1, got {n}")
    return sliding_window_view(x, n)


def _rolling(x: Array, n: int, fn: str, **kw: object) -> Array:
    out = np.full(len(x), np.nan)
    if len(x) >= n:
        out[n - 1:] = getattr(np, fn)(_window(x, n), axis=1, **kw)
    return out


def latch(events: Array, initial: float = 0.0) -> Array:
    """Forward-fill an event array: NaN means "keep the previous state".

    ``events`` holds the new state on bars where something happened (e.g. 1 entry long,
    0 exit, -1 entry short) and NaN elsewhere. Vectorized and causal.
    """
    ev = as_float(events)
    idx = np.where(np.isnan(ev), -1, np.arange(len(ev)))
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, ev[np.maximum(idx, 0)], initial)


def first_valid(x: Array) -> int:
    """Return the index of the first finite element (``len(x)`` if none)."""
    ok = np.flatnonzero(np.isfinite(x))
    return int(ok[0]) if ok.size else len(x)


def bars_since_true(cond: Array) -> Array:
    """Return how many bars ago ``cond`` was last true (0 on a true bar, inf if never)."""
    c = np.asarray(cond, dtype=bool)
    idx = np.where(c, np.arange(len(c)), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, np.arange(len(c)) - idx, np.inf).astype(np.float64)


# -- averages ------------------------------------------------------------------------
def sma(x: Array, n: int) -> Array:
    """Simple moving average over ``n`` bars."""
    return _rolling(as_float(x), n, "mean")


def rolling_max(x: Array, n: int) -> Array:
    """Highest value of the last ``n`` bars (including the current one)."""
    return _rolling(as_float(x), n, "max")


def rolling_min(x: Array, n: int) -> Array:
    """Lowest value of the last ``n`` bars (including the current one)."""
    return _rolling(as_float(x), n, "min")


def rolling_std(x: Array, n: int, ddof: int = 0) -> Array:
    """Rolling standard deviation (population by default, as Bollinger defines it)."""
    return _rolling(as_float(x), n, "std", ddof=ddof)


def rolling_sum(x: Array, n: int) -> Array:
    """Sum of the last ``n`` bars."""
    return _rolling(as_float(x), n, "sum")


def smooth(x: Array, alpha: float, seed_n: int) -> Array:
    """Exponential smoothing ``y[t] = alpha*x[t] + (1-alpha)*y[t-1]``.

    Starts at the first finite value of ``x``: the seed is the mean of the first
    ``seed_n`` values, placed at the ``seed_n``-th of them; earlier outputs are NaN.
    """
    from tradefleet.bots.recursion import one_pole

    x = as_float(x)
    out = np.full(len(x), np.nan)
    start = first_valid(x)
    seed_at = start + seed_n - 1
    if seed_at >= len(x):
        return out
    seed = x[start:seed_at + 1].mean()
    out[seed_at] = seed
    rest = x[seed_at + 1:]
    if rest.size:
        decay = 1.0 - alpha
        out[seed_at + 1:] = one_pole(rest, alpha, -decay, decay * seed)
    return out


def ema(x: Array, n: int) -> Array:
    """Exponential moving average with ``alpha = 2 / (n + 1)``, SMA-seeded."""
    return smooth(x, 2.0 / (n + 1.0), n)


def wilder(x: Array, n: int) -> Array:
    """Wilder's smoothing (``alpha = 1 / n``), SMA-seeded: used by RSI, ATR, ADX."""
    return smooth(x, 1.0 / n, n)


# -- oscillators ---------------------------------------------------------------------
def rsi(close: Array, n: int = 14) -> Array:
    """Wilder's Relative Strength Index in [0, 100]."""
    c = as_float(close)
    d = np.diff(c, prepend=np.nan)
    gain = wilder(np.where(np.isnan(d), np.nan, np.maximum(d, 0.0)), n)
    loss = wilder(np.where(np.isnan(d), np.nan, np.maximum(-d, 0.0)), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 - 100.0 / (1.0 + gain / loss)
    out = np.where((loss == 0) & (gain > 0), 100.0, out)
    return np.where((loss == 0) & (gain == 0), 50.0, out)


def macd(close: Array, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[Array, Array, Array]:
    """Return (macd line, signal line, histogram)."""
    line = ema(close, fast) - ema(close, slow)
    sig = ema(line, signal)
    return line, sig, line - sig


def bollinger(close: Array, n: int = 20, k: float = 2.0) -> tuple[Array, Array, Array]:
    """Return (lower, middle, upper) Bollinger bands (population std)."""
    mid = sma(close, n)
    sd = rolling_std(close, n)
    return mid - k * sd, mid, mid + k * sd


def zscore(x: Array, n: int) -> Array:
    """``(x - mean) / std`` over the last ``n`` bars (0 where the std is 0)."""
    x = as_float(x)
    sd = rolling_std(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x - sma(x, n)) / sd
    return np.where(sd == 0, 0.0, z)


def roc(x: Array, n: int) -> Array:
    """Rate of change over ``n`` bars: ``x[t] / x[t-n] - 1``."""
    x = as_float(x)
    return x / shift(x, n) - 1.0


def stochastic(high: Array, low: Array, close: Array, n: int = 14, d: int = 3) -> tuple[Array, Array]:
    """Return the fast stochastic (%K, %D) in [0, 100]."""
    hh, ll = rolling_max(high, n), rolling_min(low, n)
    rng = hh - ll
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(rng > 0, 100.0 * (as_float(close) - ll) / rng, 50.0)
    k = np.where(np.isnan(hh), np.nan, k)
    return k, sma(k, d)


def cci(high: Array, low: Array, close: Array, n: int = 20) -> Array:
    """Commodity Channel Index: ``(tp - sma(tp)) / (0.015 * mean abs deviation)``."""
    tp = (as_float(high) + as_float(low) + as_float(close)) / 3.0
    out = np.full(len(tp), np.nan)
    if len(tp) >= n:
        w = _window(tp, n)
        mean = w.mean(axis=1)
        mad = np.abs(w - mean[:, None]).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[n - 1:] = np.where(mad > 0, (tp[n - 1:] - mean) / (0.015 * mad), 0.0)
    return out


def internal_bar_strength(high: Array, low: Array, close: Array) -> Array:
    """``(close - low) / (high - low)`` in [0, 1] (0.5 on a zero-range bar)."""
    h, lo, c = as_float(high), as_float(low), as_float(close)
    rng = h - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rng > 0, (c - lo) / rng, 0.5)


# -- volatility and trend strength ---------------------------------------------------
def true_range(high: Array, low: Array, close: Array) -> Array:
    """True range; the first bar's is its high - low."""
    h, lo, c = as_float(high), as_float(low), as_float(close)
    pc = shift(c, 1)
    tr = np.fmax(h - lo, np.fmax(np.abs(h - pc), np.abs(lo - pc)))
    return tr


def atr(high: Array, low: Array, close: Array, n: int = 14) -> Array:
    """Wilder's Average True Range."""
    return wilder(true_range(high, low, close), n)


def adx(high: Array, low: Array, close: Array, n: int = 14) -> tuple[Array, Array, Array]:
    """Return (ADX, +DI, -DI) after Wilder; the first bar has no directional move."""
    h, lo = as_float(high), as_float(low)
    up = np.diff(h, prepend=np.nan)
    down = -np.diff(lo, prepend=np.nan)
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    plus_dm[0] = minus_dm[0] = np.nan
    tr = true_range(h, lo, close)
    tr[0] = np.nan
    atr_ = wilder(tr, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        pdi = 100.0 * wilder(plus_dm, n) / atr_
        mdi = 100.0 * wilder(minus_dm, n) / atr_
        total = pdi + mdi
        dx = np.where(total > 0, 100.0 * np.abs(pdi - mdi) / total, 0.0)
    dx = np.where(np.isnan(total), np.nan, dx)
    return wilder(dx, n), pdi, mdi


def donchian(high: Array, low: Array, n: int) -> tuple[Array, Array]:
    """Return the (upper, lower) channel of the *previous* ``n`` bars (excludes today)."""
    return shift(rolling_max(high, n), 1), shift(rolling_min(low, n), 1)


def keltner(high: Array, low: Array, close: Array, n: int = 20, k: float = 2.0) -> tuple[Array, Array, Array]:
    """Return (lower, middle, upper) Keltner channel: EMA(close) -+ k * ATR."""
    mid = ema(close, n)
    band = k * atr(high, low, close, n)
    return mid - band, mid, mid + band


# -- trend structure -----------------------------------------------------------------
def aroon(high: Array, low: Array, n: int = 25) -> tuple[Array, Array]:
    """Return (Aroon up, Aroon down) in [0, 100] over ``n + 1`` bars.

    Up is ``100 * (n - bars since the highest high) / n``; ties go to the most recent bar.
    """
    h, lo = as_float(high), as_float(low)
    up, down = np.full(len(h), np.nan), np.full(len(h), np.nan)
    if len(h) > n:
        wh, wl = _window(h, n + 1), _window(lo, n + 1)
        # argmax on the reversed window finds the most recent extreme
        since_hi = np.argmax(wh[:, ::-1], axis=1)
        since_lo = np.argmin(wl[:, ::-1], axis=1)
        up[n:] = 100.0 * (n - since_hi) / n
        down[n:] = 100.0 * (n - since_lo) / n
    return up, down


def midpoint(high: Array, low: Array, n: int) -> Array:
    """``(highest high + lowest low) / 2`` over ``n`` bars (Ichimoku's lines)."""
    return (rolling_max(high, n) + rolling_min(low, n)) / 2.0


def ichimoku(high: Array, low: Array, tenkan: int = 9, kijun: int = 26,
             senkou: int = 52) -> tuple[Array, Array, Array, Array]:
    """Return (tenkan, kijun, span A, span B); the spans are displaced ``kijun`` bars
    forward, so the cloud at ``t`` was computed at ``t - kijun`` (causal)."""
    t, k = midpoint(high, low, tenkan), midpoint(high, low, kijun)
    span_a = shift((t + k) / 2.0, kijun)
    span_b = shift(midpoint(high, low, senkou), kijun)
    return t, k, span_a, span_b


def heikin_ashi(open_: Array, high: Array, low: Array, close: Array) -> tuple[Array, Array]:
    """Return Heikin-Ashi (open, close): ``ha_close = (o+h+l+c)/4`` and
    ``ha_open[t] = (ha_open[t-1] + ha_close[t-1]) / 2`` seeded with ``(o[0]+c[0])/2``."""
    from tradefleet.bots.recursion import one_pole

    o, c = as_float(open_), as_float(close)
    ha_close = (o + as_float(high) + as_float(low) + c) / 4.0
    ha_open = np.empty(len(o))
    if len(o):
        ha_open[0] = (o[0] + c[0]) / 2.0
        if len(o) > 1:
            ha_open[1:] = one_pole(ha_close[:-1], 0.5, -0.5, 0.5 * ha_open[0])
    return ha_open, ha_close


def linreg(x: Array, n: int) -> tuple[Array, Array]:
    """Rolling least-squares line of ``x`` on time over ``n`` bars.

    Return (slope per bar, t-statistic of the slope); the t-statistic is inf for a
    perfect line.
    """
    x = as_float(x)
    slope, tstat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    if len(x) >= n >= 3:
        w = _window(x, n)
        t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
        sxx = float(t @ t)
        b = (w @ t) / sxx
        resid = w - w.mean(axis=1, keepdims=True) - b[:, None] * t
        se = np.sqrt((resid ** 2).sum(axis=1) / (n - 2) / sxx)
        with np.errstate(divide="ignore", invalid="ignore"):
            tstat[n - 1:] = np.where(se > 1e-15 * np.abs(w).mean(axis=1), b / se, np.sign(b) * np.inf)
        slope[n - 1:] = b
    return slope, tstat


# -- volume --------------------------------------------------------------------------
def obv(close: Array, volume: Array) -> Array:
    """On-balance volume from the first bar (its level depends on the start; its
    changes do not)."""
    c = as_float(close)
    step = np.sign(np.diff(c, prepend=c[:1])) * as_float(volume)
    return np.cumsum(step)


def rolling_vwap(high: Array, low: Array, close: Array, volume: Array, n: int) -> Array:
    """Volume-weighted average typical price over the last ``n`` bars (SMA if no volume)."""
    tp = (as_float(high) + as_float(low) + as_float(close)) / 3.0
    v = as_float(volume)
    pv, vv = rolling_sum(tp * v, n), rolling_sum(v, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(vv > 0, pv / vv, sma(tp, n))
