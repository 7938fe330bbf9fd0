"""Hierarchical Risk Parity (Lopez de Prado, 2016).

1. correlation distance ``d = sqrt((1 - rho) / 2)``;
2. single-linkage clustering (scipy);
3. quasi-diagonalisation: the leaf order of the dendrogram;
4. recursive bisection of that order, splitting weight between the halves in inverse
   proportion to each half's inverse-variance-portfolio variance.

This is the same algorithm as PyPortfolioOpt's ``HRPOpt.optimize("single")`` and
riskfolio-lib's ``HCPortfolio(model="HRP", linkage="single", leaf_order=False)``; the
tests check equality to 1e-6. It works on numpy arrays (no pandas) so 100 assets take a
few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
_CONTROLLER: list[Any] = []


@contextmanager
def single_thread_blas() -> Iterator[None]:
    """Run the block with one BLAS thread.

    On a loaded machine a multi-threaded BLAS turns a 0.1 ms covariance into tens of
    milliseconds of thread contention; the matrices here are small, one thread is fastest.
    Uses threadpoolctl (a scikit-learn dependency) when present, else does nothing."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            _CONTROLLER.append(None)
    ctl = _CONTROLLER[0]
    if ctl is None:  # pragma: no cover
        yield
        return
    with ctl.limit(limits=1, user_api="blas"):
        yield


def correlation_distance(corr: Array) -> Array:
    """Return the distance matrix ``sqrt(clip((1 - rho) / 2, 0, 1))``."""
    return np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))


def quasi_diag_order(corr: Array, method: str = "single") -> list[int]:
    """Return the dendrogram leaf order of the assets clustered on correlation distance."""
    import scipy.cluster.hierarchy as sch
    import scipy.spatial.distance as ssd

    n = corr.shape[0]
    if n == 1:
        return [0]
    dist = ssd.squareform(correlation_distance(corr), checks=False)
    link = sch.linkage(dist, method)
    return [int(i) for i in sch.leaves_list(link)]


def _cluster_var(cov: Array, items: list[int]) -> float:
    if len(items) == 1:
        return float(cov[items[0], items[0]])
    sub = cov[np.ix_(items, items)]
    w = 1.0 / np.diag(sub)
    w /= w.sum()
    return float(w @ sub @ w)


def bisection_weights(cov: Array, order: list[int]) -> Array:
    """Return HRP weights by recursive bisection of ``order`` (weights sum to 1)."""
    w = np.ones(cov.shape[0])
    clusters = [order]
    while clusters:
        clusters = [c[j:k] for c in clusters for j, k in ((0, len(c) // 2), (len(c) // 2, len(c)))
                    if len(c) > 1]
        for i in range(0, len(clusters), 2):
            left, right = clusters[i], clusters[i + 1]
            v_left, v_right = _cluster_var(cov, left), _cluster_var(cov, right)
            alpha = 1.0 - v_left / (v_left + v_right)
            w[left] *= alpha
            w[right] *= 1.0 - alpha
    return w


def hrp_weights(returns: Array, method: str = "single") -> Array:
    """Return HRP weights for the columns of a (T, N) returns array."""
    r = np.asarray(returns, dtype=float)
    if r.ndim != 2 or r.shape[0] < 2:
        raise ValueError(f"returns must be (T >= 2, N), got shape {r.shape}")
    if r.shape[1] == 1:
        return np.ones(1)
    with single_thread_blas():
        cov = np.cov(r, rowvar=False)
        std = np.sqrt(np.diag(cov))
        if np.any(std <= 0):
            raise ValueError("an asset has zero variance: HRP needs every column to move")
        corr = cov / np.outer(std, std)
        np.fill_diagonal(corr, 1.0)
        return bisection_weights(cov, quasi_diag_order(corr, method))


def hrp_multipliers(returns: Array, max_multiplier: float) -> Array:
    """Return ``min(n * w_i, max_multiplier)``: 1 for an equal-weight share, more for a
    diversifier, less for a member of a crowded cluster."""
    w = hrp_weights(returns)
    return np.minimum(w * len(w), max_multiplier)
