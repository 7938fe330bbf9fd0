"""The compiled backward induction of the binomial tree (numba, cached on disk).

Kept apart from :mod:`tradefleet.risk.options.binomial` so that numba is imported only when a tree
is priced. One option per outer iteration; the nodes of a step are updated in place in
ascending order (node ``j`` reads ``v[j]`` and ``v[j + 1]`` before ``v[j + 1]`` changes).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def backward(values: np.ndarray, exercise: np.ndarray, pu: np.ndarray, pd: np.ndarray, n: int, last: int,
             american: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Induct ``values`` (options x nodes at step ``last``) back to step 0.

    ``exercise[b, m + n]`` is the exercise value at spot ``S u^m``. Returns the values at
    steps 0, 1 and 2 (shapes (B,), (B, 2), (B, 3)).
    """
    nb = values.shape[0]
    v0 = np.empty(nb)
    v1 = np.empty((nb, 2))
    v2 = np.empty((nb, 3))
    for b in range(nb):
        v = values[b].copy()
        up, down = pu[b], pd[b]
        for step in range(last - 1, -1, -1):
            off = n - step
            for j in range(step + 1):
                c = up * v[j + 1] + down * v[j]
                if american:
                    e = exercise[b, off + 2 * j]
                    if e > c:
                        c = e
                v[j] = c
            if step == 2:
                v2[b, 0], v2[b, 1], v2[b, 2] = v[0], v[1], v[2]
            elif step == 1:
                v1[b, 0], v1[b, 1] = v[0], v[1]
        v0[b] = v[0]
    return v0, v1, v2
