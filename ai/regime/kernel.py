"""The regime forward filter's per-bar loop in numba.

:meth:`~tradefleet.ai.regime.hmm.RegimeModel.filter` computes the emission densities with
numpy (vectorised over every row) and hands the loop that cannot be vectorised, the scaled
forward recursion, to :func:`forward_nb`. The loop does exactly the arithmetic the numpy
version did per bar (``alpha @ trans`` summed as a fused multiply-add chain, times the densities,
divided by their sum), so the filtered probabilities are those of the Python loop it replaces,
to an ulp (numpy's BLAS kernel, chosen per CPU, may sum the tiny product in another order).

Imported lazily: numba's import and the first call's compilation (cached on disk under
``NUMBA_CACHE_DIR``) are paid only by a run that filters a regime.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath={"contract"})
def _vecmat_nb(alpha, trans, out):  # type: ignore[no-untyped-def]
    """``out = alpha @ trans``: each column a fused multiply-add chain from zero in row order,
    as OpenBLAS's common kernels sum these tiny shapes (contraction is allowed here only)."""
    k = trans.shape[1]
    for j in range(k):
        acc = 0.0
        for i in range(alpha.shape[0]):
            acc += alpha[i] * trans[i, j]
        out[j] = acc


@njit(cache=True, nogil=True)
def forward_nb(b, trans, alpha0):  # type: ignore[no-untyped-def]
    """Return the ``(n, k)`` filtered probabilities.

    ``b`` holds each row's emission densities scaled by the row's largest; ``alpha0`` is
    the unnormalised forward variable of row 0 (start probabilities or the previous row's
    filtered probabilities propagated, times ``b[0]``)."""
    n, k = b.shape
    out = np.empty((n, k))
    if n == 0:
        return out
    alpha = np.empty(k)
    s = 0.0
    for j in range(k):
        s += alpha0[j]
    for j in range(k):
        alpha[j] = alpha0[j] / s
        out[0, j] = alpha[j]
    prop = np.empty(k)
    nxt = np.empty(k)
    for t in range(1, n):
        _vecmat_nb(alpha, trans, prop)
        for j in range(k):
            nxt[j] = prop[j] * b[t, j]
        s = 0.0
        for j in range(k):
            s += nxt[j]
        for j in range(k):
            alpha[j] = nxt[j] / s
            out[t, j] = alpha[j]
    return out


def warm() -> None:
    """Compile or load from the cache what :func:`forward_nb` runs (one tiny call, no state),
    for the argument layouts the filter passes (its densities come out column-major)."""
    forward_nb(np.asfortranarray(np.ones((2, 2))), np.full((2, 2), 0.5), np.ones(2))
