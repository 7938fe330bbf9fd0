"""The ensemble's price indicators in numba, with numpy's and scipy's arithmetic.

The technical and multi-timeframe sources used to build each indicator with numpy and
scipy (``lfilter`` for every EMA: 14 calls per vote). These kernels compute the same
numbers in one pass each, over the same window (the last ``history_bars`` closes, every EMA
seeded with the window's first value), doing the same floating-point operations in the same
order, so the votes are identical to the last bit:

* an EMA step is ``a * x + (1 - a) * y`` rounded as ``lfilter`` (direct form II transposed,
  ``zi = (1 - a) * x[0]``) rounds it;
* sums are numpy's pairwise summation (eight accumulators per block of up to 128 values;
  the windows summed here are at most 50), so means and standard deviations round as
  ``ndarray.mean`` and ``.std`` do;
* ``np.clip(x, 0, None)`` keeps NaN, as numpy does.

Transcendental functions (tanh) stay with the callers, in numpy, as before.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def pairwise_sum_nb(a, lo, n):  # type: ignore[no-untyped-def]
    """``a[lo:lo + n].sum()`` as numpy computes it for ``n <= 128`` (one pairwise block:
    eight accumulators, then the rest). Longer sums are not needed here (and numba's cache
    cannot hold the recursive form numpy uses above 128)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        m = n - (n % 8)
        i = 8
        while i < m:
            j = lo + i
            r0 += a[j]
            r1 += a[j + 1]
            r2 += a[j + 2]
            r3 += a[j + 3]
            r4 += a[j + 4]
            r5 += a[j + 5]
            r6 += a[j + 6]
            r7 += a[j + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    raise ValueError("pairwise_sum_nb: more than 128 values")


@njit(cache=True, nogil=True)
def mean_std_nb(a, lo, n):  # type: ignore[no-untyped-def]
    """``(x.mean(), x.std())`` of ``x = a[lo:lo + n]`` with numpy's rounding."""
    mean = (0.0 + pairwise_sum_nb(a, lo, n)) / n
    sq = np.empty(n)
    for i in range(n):
        d = a[lo + i] - mean
        sq[i] = d * d
    return mean, np.sqrt((0.0 + pairwise_sum_nb(sq, 0, n)) / n)


@njit(cache=True, nogil=True)
def ema_nb(x, a, out):  # type: ignore[no-untyped-def]
    """``out[:] = ema(x, alpha=a)`` seeded with ``x[0]``, rounded as scipy's ``lfilter``."""
    c = -(a - 1.0)
    y = a * x[0] + (1.0 - a) * x[0]
    out[0] = y
    for i in range(1, x.shape[0]):
        y = a * x[i] + c * y
        out[i] = y


@njit(cache=True, nogil=True)
def _ema_last_strided(x, last, step, m, a):  # type: ignore[no-untyped-def]
    """The last value of the EMA over ``x[last - (m-1)*step], ..., x[last - step], x[last]``."""
    c = -(a - 1.0)
    first = last - (m - 1) * step
    y = a * x[first] + (1.0 - a) * x[first]
    for k in range(1, m):
        y = a * x[first + k * step] + c * y
    return y


@njit(cache=True, nogil=True)
def macd_line_last_nb(x, step):  # type: ignore[no-untyped-def]
    """The last MACD line value (EMA 12 minus EMA 26) of every ``step``-th value of ``x``
    ending at the last one (``x[::-1][::step][::-1]``); NaN when fewer than 36 values."""
    n = x.shape[0]
    m = (n - 1) // step + 1 if n > 0 else 0
    if m < 36:
        return np.nan
    last = n - 1
    return _ema_last_strided(x, last, step, m, 2.0 / 13.0) - _ema_last_strided(x, last, step, m, 2.0 / 27.0)


@njit(cache=True, nogil=True)
def technical_nb(c):  # type: ignore[no-untyped-def]
    """The technical source's inputs from the window's closes ``c`` (at least 2 values):
    ``(last MACD histogram, std of the last 50 histogram values, RSI gain EMA, RSI loss EMA,
    Bollinger %B)``; %B and the EMAs NaN where too short (as the numpy version)."""
    n = c.shape[0]
    fast = np.empty(n)
    slow = np.empty(n)
    ema_nb(c, 2.0 / 13.0, fast)
    ema_nb(c, 2.0 / 27.0, slow)
    line = np.empty(n)
    for i in range(n):
        line[i] = fast[i] - slow[i]
    sig = np.empty(n)
    ema_nb(line, 2.0 / 10.0, sig)
    hist = np.empty(n)
    for i in range(n):
        hist[i] = line[i] - sig[i]
    k = min(50, n)
    _, spread = mean_std_nb(hist, n - k, k)
    gain = np.nan
    loss = np.nan
    if n - 1 >= 14:
        up = np.empty(n - 1)
        down = np.empty(n - 1)
        for i in range(n - 1):
            d = c[i + 1] - c[i]
            up[i] = d if (d > 0.0 or d != d) else 0.0
            nd = -d
            down[i] = nd if (nd > 0.0 or nd != nd) else 0.0
        buf = np.empty(n - 1)
        ema_nb(up, 1.0 / 14, buf)
        gain = buf[n - 2]
        ema_nb(down, 1.0 / 14, buf)
        loss = buf[n - 2]
    pb = np.nan
    if n >= 20:
        mid, sd = mean_std_nb(c, n - 20, 20)
        if sd == 0:
            pb = 0.5
        else:
            pb = (c[n - 1] - (mid - 2.0 * sd)) / (2 * 2.0 * sd)
    return hist[n - 1], spread, gain, loss, pb
