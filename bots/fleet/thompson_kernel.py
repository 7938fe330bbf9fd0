"""The Thompson allocator's probability-matching count in numba, draw for draw numpy's.

:meth:`ThompsonAllocator.weights` draws, arm after arm, ``size`` gammas then ``size``
standard normals from the allocator's generator, turns them into sampled means
(``mu + z * sqrt(beta / g / kappa)``) and counts, per joint draw, which arm's mean is the
highest (``np.argmax``: the first highest; the first NaN if a row has one). This kernel
draws the same numbers from the same generator in the same order (numba's ``Generator``
runs numpy's algorithms on its bit generator, whose state it advances), does the same
floating-point operations per element in the same order (no fast-math, so no fused
multiply-adds) and keeps a running argmax per row instead of the (size, arms) matrix and
its temporaries: the counts are numpy's, at about half the cost.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def thompson_wins_nb(rng, mu, kappa, alpha, beta, size):  # type: ignore[no-untyped-def]
    """How often each arm's sampled mean is the highest over ``size`` joint draws."""
    k = len(mu)
    best = np.full(size, -np.inf)
    arg = np.zeros(size, dtype=np.intp)
    nan = np.zeros(size, dtype=np.bool_)
    for j in range(k):
        g = rng.gamma(alpha[j], 1.0, size)
        z = rng.standard_normal(size)
        for i in range(size):
            var = beta[j] / g[i]
            x = mu[j] + z[i] * np.sqrt(var / kappa[j])
            if nan[i]:
                continue
            if x != x:  # np.argmax stops at the first NaN
                nan[i] = True
                arg[i] = j
            elif x > best[i]:
                best[i] = x
                arg[i] = j
    wins = np.zeros(k, dtype=np.int64)
    for i in range(size):
        wins[arg[i]] += 1
    return wins
