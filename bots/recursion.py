"""First-order recursive filters in numba, rounded exactly as ``scipy.signal.lfilter``.

``smooth`` (EMA, Wilder) and Heikin-Ashi are one-pole recursions. They used to run
through ``lfilter``, whose import (``scipy.signal``, which pulls ``scipy.stats``) cost more
than half a second of a one-bot replay. This kernel does the same floating-point steps in
the same order as scipy's direct form II transposed loop for ``b = [b0]``,
``a = [1, a1]`` (``b`` padded with a zero):

    y[n] = x[n] * b0 + z
    z    = x[n] * 0.0 - y[n] * a1

so its outputs equal ``lfilter([b0], [1.0, a1], x, zi=[z0])[0]`` to the last bit, NaN and
infinities included (``tests/bots/test_indicators.py`` compares them). Imported lazily:
numba loads only when a bot computes.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def one_pole_nb(x, b0, a1, z0, out):  # type: ignore[no-untyped-def]
    """``out[:] = lfilter([b0], [1.0, a1], x, zi=[z0])[0]``, rounded as scipy rounds it."""
    z = z0
    for i in range(x.shape[0]):
        xi = x[i]
        y = xi * b0 + z
        out[i] = y
        z = xi * 0.0 - y * a1


def one_pole(x: np.ndarray, b0: float, a1: float, z0: float) -> np.ndarray:
    """The filtered copy of the float64 array ``x`` (see :func:`one_pole_nb`)."""
    out = np.empty(x.shape[0])
    one_pole_nb(np.ascontiguousarray(x, dtype=np.float64), float(b0), float(a1), float(z0), out)
    return out
