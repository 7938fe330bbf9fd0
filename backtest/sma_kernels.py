"""The SMA-cross signal's numba kernels: rolling means, the cross state, and both in one pass.

Apart from :mod:`tradefleet.backtest.strategies` (the bot) so that the sweep's shared-window
path (:mod:`tradefleet.backtest.sweep_shared`), which the bot hands its grids to, can use
them without an import circle.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def rolling_mean_nb(x, n):  # type: ignore[no-untyped-def]
    """Trailing mean over ``n`` bars (NaN before the window fills).

    A running sum, re-summed exactly every 1024 bars so rounding cannot drift over long
    series (max error vs pandas' rolling mean ~1e-15 relative on 1M bars).
    """
    m = x.shape[0]
    out = np.full(m, np.nan)
    s = 0.0
    for i in range(m):
        if i >= n and (i & 1023) == 0:
            s = 0.0
            for j in range(i - n + 1, i + 1):
                s += x[j]
        else:
            s += x[i]
            if i >= n:
                s -= x[i - n]
        if i >= n - 1:
            out[i] = s / n
    return out


@njit(cache=True, nogil=True)
def cross_state_nb(fast, slow):  # type: ignore[no-untyped-def]
    """+1 after an up-cross, -1 after a down-cross, 0 before the first (NaN never crosses).

    First each bar's cross (+1 up, -1 down, 0 none; never both) in a loop without
    branches, then the state carried in bar order over it; the same comparisons as
    a bar-by-bar ``if up: state = 1 elif down: state = -1`` (``tests/backtest/test_signal_kernels.py``
    pins it against that form), without its mispredicted branches.
    """
    n = fast.shape[0]
    out = np.zeros(n)
    for i in range(1, n):
        up = (fast[i - 1] < slow[i - 1]) & (fast[i] > slow[i])
        down = (fast[i - 1] > slow[i - 1]) & (fast[i] < slow[i])
        out[i] = np.float64(up) - np.float64(down)
    state = 0.0
    for i in range(1, n):
        e = out[i]
        if e != 0.0:
            state = e
        out[i] = state
    return out


@njit(cache=True, nogil=True)
def sma_cross_nb(x, nf, ns):  # type: ignore[no-untyped-def]
    """``cross_state_nb(rolling_mean_nb(x, nf), rolling_mean_nb(x, ns))`` in one pass.

    The same two running sums, step by step (add, subtract, re-sum every 1024 bars) and
    the same division, so every mean and every comparison has the same bits as the two-pass
    form; only the two n-sized mean arrays are never written.
    """
    m = x.shape[0]
    out = np.zeros(m)
    sf = 0.0
    ss = 0.0
    pf = np.nan     # the means of the previous bar (NaN before the window fills)
    ps = np.nan
    state = 0.0
    # each running sum's step is written out as in rolling_mean_nb: the same step as an
    # inline="always" helper measured 4x slower (2.8 -> 10.9 ms on 1M bars) with equal bits
    for i in range(m):
        if i >= nf and (i & 1023) == 0:
            sf = 0.0
            for j in range(i - nf + 1, i + 1):
                sf += x[j]
        else:
            sf += x[i]
            if i >= nf:
                sf -= x[i - nf]
        if i >= ns and (i & 1023) == 0:
            ss = 0.0
            for j in range(i - ns + 1, i + 1):
                ss += x[j]
        else:
            ss += x[i]
            if i >= ns:
                ss -= x[i - ns]
        f = sf / nf if i >= nf - 1 else np.nan
        s = ss / ns if i >= ns - 1 else np.nan
        if i > 0:
            if pf < ps and f > s:
                state = 1.0
            elif pf > ps and f < s:
                state = -1.0
            out[i] = state
        pf = f
        ps = s
    return out
