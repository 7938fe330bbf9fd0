"""First-order recursive filters, rounded exactly as ``scipy.signal.lfilter``.

``smooth`` (EMA, Wilder) and Heikin-Ashi are one-pole recursions. They used to run
through ``lfilter``, whose import (``scipy.signal``, which pulls ``scipy.stats``) cost more
than half a second of a one-bot replay; then through a numba kernel, whose import and
first call (LLVM, numba's typing and lowering modules) held about 115 MB of a one-bot
replay's 314 MB peak. This loop runs on plain Python floats (IEEE doubles, no fused
multiply-add), doing the same floating-point steps in the same order as scipy's direct
form II transposed loop for ``b = [b0]``, ``a = [1, a1]`` (``b`` padded with a zero):

    y[n] = x[n] * b0 + z
    z    = x[n] * 0.0 - y[n] * a1

so its outputs equal ``lfilter([b0], [1.0, a1], x, zi=[z0])[0]`` to the last bit, NaN and
infinities included (``tests/bots/test_indicators.py`` compares them). A replay calls it
about 230k elements before the loop and a few thousand times on ~11-bar windows in it:
tens of milliseconds in Python, and no numba in a process whose other parts do not need it
(``tests/bots/test_recursion_imports.py``).
"""

from __future__ import annotations

import numpy as np


def one_pole(x: np.ndarray, b0: float, a1: float, z0: float) -> np.ndarray:
    """The filtered copy of the float64 array ``x``: ``lfilter([b0], [1.0, a1], x, zi=[z0])[0]``,
    rounded as scipy rounds it."""
    b0, a1, z = float(b0), float(a1), float(z0)
    out = []
    append = out.append
    for xi in np.asarray(x, dtype=np.float64).tolist():
        y = xi * b0 + z
        append(y)
        z = xi * 0.0 - y * a1
    return np.array(out, dtype=np.float64)
