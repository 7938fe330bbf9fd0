"""The regime model: a 3-state Gaussian HMM fitted with hmmlearn, labelled bull / bear /
sideways, and evaluated by our own log-space forward filter (no smoothing, no lookahead).

hmmlearn is used to *fit* (Baum-Welch). Live and replay never call its ``predict`` or
``predict_proba``: those smooth over the whole sequence. Instead :meth:`RegimeModel.step`
advances the normalised forward variable one bar at a time, so the probability at bar *t*
depends only on bars <= *t*. The last row of hmmlearn's ``predict_proba`` on a prefix is
the same quantity, which the tests use as the reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tradefleet.ai.config import REGIME_LABELS

log = logging.getLogger(__name__)
_LOG2PI = float(np.log(2.0 * np.pi))
CLIP_SIGMAS = 4.0


def logsumexp(a: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Return log(sum(exp(a))) along ``axis`` without overflow (a small scipy-free version)."""
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if axis is None else np.squeeze(out, axis=axis)


def label_states(means: np.ndarray, covars: np.ndarray) -> tuple[str, ...]:
    """Label states from the return mean and variance (``means[:, 0]``, ``covars[:, 0, 0]``).

    bull: the best mean over standard deviation; bear: the more volatile of the other two
    (drawdowns come with volatility: a crisis state with a slightly less negative mean is
    still the bear state); sideways: the remaining one.
    """
    mean, var = means[:, 0], covars[:, 0, 0]
    bull = int(np.argmax(mean / np.sqrt(var)))
    rest = [i for i in range(len(mean)) if i != bull]
    bear = max(rest, key=lambda i: (var[i], -mean[i]))
    labels = ["sideways"] * len(mean)
    labels[bull], labels[bear] = "bull", "bear"
    return tuple(labels)


@dataclass(frozen=True)
class RegimeModel:
    """Fitted HMM parameters plus labels and fit metadata; pure numpy at run time."""

    market: str
    startprob: np.ndarray
    transmat: np.ndarray
    means: np.ndarray
    covars: np.ndarray
    labels: tuple[str, ...]
    vol_window: int
    fitted_at_ns: int
    data_end_ns: int
    n_obs: int
    loglik: float
    iterations: int
    converged: bool
    center: np.ndarray = field(default_factory=lambda: np.zeros(2))
    scale: np.ndarray = field(default_factory=lambda: np.ones(2))
    clip: float = CLIP_SIGMAS
    data_key: str = ""
    _chol_inv: np.ndarray = field(init=False, repr=False, compare=False)
    _log_norm: np.ndarray = field(init=False, repr=False, compare=False)
    _log_trans: np.ndarray = field(init=False, repr=False, compare=False)
    _log_start: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chol = np.linalg.cholesky(self.covars)
        inv = np.linalg.inv(chol)
        d = self.means.shape[1]
        log_det = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
        object.__setattr__(self, "_chol_inv", inv)
        object.__setattr__(self, "_log_norm", -0.5 * (d * _LOG2PI + log_det))
        with np.errstate(divide="ignore"):  # a zero transition is a legitimate -inf
            object.__setattr__(self, "_log_trans", np.log(self.transmat))
            object.__setattr__(self, "_log_start", np.log(self.startprob))

    @property
    def version(self) -> str:
        """A stable id: the market and the end of the training data."""
        return f"{self.market.replace('/', '')}-{self.data_end_ns}"

    @property
    def n_states(self) -> int:
        return len(self.labels)

    def label_index(self, label: str) -> int:
        return self.labels.index(label)

    # -- densities -------------------------------------------------------------------
    def standardize(self, X: np.ndarray) -> np.ndarray:
        """Return raw feature rows in the model's standardized units (fixed at fit time),
        winsorized at ``clip`` sigmas so that one outlier bar cannot claim a state."""
        return np.clip((X - self.center) / self.scale, -self.clip, self.clip)

    def log_emission(self, X: np.ndarray) -> np.ndarray:
        """Return the ``(n, k)`` log densities of raw feature rows under each state's Gaussian."""
        diff = self.standardize(X)[None, :, :] - self.means[:, None, :]                    # (k, n, d)
        z = np.einsum("kij,knj->kni", self._chol_inv, diff)              # whitened
        return (self._log_norm[:, None] - 0.5 * np.sum(z * z, axis=2)).T  # (n, k)

    # -- forward filter ----------------------------------------------------------------
    def step(self, log_prev: np.ndarray | None, log_b: np.ndarray) -> np.ndarray:
        """Advance the normalised log forward variable by one observation's log densities."""
        if log_prev is None:
            a = self._log_start + log_b
        else:
            a = logsumexp(log_prev[:, None] + self._log_trans, axis=0) + log_b
        return a - logsumexp(a)

    def filter(self, X: np.ndarray, log_prev: np.ndarray | None = None) -> np.ndarray:
        """Return the ``(n, k)`` log filtered state probabilities P(s_t | x_1..x_t).

        The scaled forward recursion in probability space (each row's densities divided by
        their largest, each step renormalised: no underflow), which equals the log-space
        :meth:`step` to rounding; its per-bar loop runs in numba (:mod:`.kernel`)."""
        log_b = self.log_emission(X)
        n = log_b.shape[0]
        out = np.empty_like(log_b)
        if n == 0:
            return out
        from tradefleet.ai.regime.kernel import forward_nb

        b = np.exp(log_b - log_b.max(axis=1, keepdims=True))
        trans = np.exp(self._log_trans)
        if log_prev is None:
            alpha0 = np.exp(self._log_start) * b[0]
        else:
            alpha0 = (np.exp(log_prev) @ trans) * b[0]
        out = forward_nb(b, trans, alpha0)  # the per-bar recursion, in numba
        with np.errstate(divide="ignore"):
            return np.log(np.maximum(out, 1e-300))

    # -- batch (offline) decoding ----------------------------------------------------
    def viterbi(self, X: np.ndarray) -> np.ndarray:
        """Return the most likely state path (offline analysis only: it uses all of X)."""
        log_b = self.log_emission(X)
        n, k = log_b.shape
        delta = self._log_start + log_b[0]
        back = np.zeros((n, k), dtype=np.int64)
        for t in range(1, n):
            cand = delta[:, None] + self._log_trans
            back[t] = np.argmax(cand, axis=0)
            delta = cand[back[t], np.arange(k)] + log_b[t]
        path = np.empty(n, dtype=np.int64)
        path[-1] = int(np.argmax(delta))
        for t in range(n - 1, 0, -1):
            path[t - 1] = back[t, path[t]]
        return path

    def metadata(self) -> dict[str, Any]:
        """Return JSON-ready fit metadata (stored next to the model)."""
        return {
            "market": self.market, "version": self.version, "labels": list(self.labels),
            "vol_window": self.vol_window, "fitted_at_ns": self.fitted_at_ns,
            "data_end_ns": self.data_end_ns, "data_key": self.data_key, "n_obs": self.n_obs, "loglik": self.loglik,
            "iterations": self.iterations, "converged": self.converged,
            "means": self.means.tolist(), "center": self.center.tolist(), "scale": self.scale.tolist(),
            "ret_mean_by_state": (self.means[:, 0] * self.scale[0] + self.center[0]).tolist(),
            "ret_vol_by_state": (np.sqrt(self.covars[:, 0, 0]) * self.scale[0]).tolist(),
        }


def fit_regime_model(X: np.ndarray, *, market: str, vol_window: int, fitted_at_ns: int,
                     data_end_ns: int, n_iter: int = 300, tol: float = 1e-4,
                     seed: int = 7, data_key: str = "") -> RegimeModel:
    """Fit a 3-state full-covariance GaussianHMM on feature rows ``X`` and label its states.

    Features are standardized with the training rows' mean and std (kept in the model), so
    the fit does not depend on the market's price scale. A fit that collapses a state
    (a near-singular covariance) is retried with the next seed, up to three seeds.
    Convergence is read from ``monitor_``: hmmlearn reports ``converged`` as soon as
    ``n_iter`` is reached, so we also require the last log-likelihood gain to be < ``tol``.
    """
    from hmmlearn.hmm import GaussianHMM

    if X.shape[0] < 10 * len(REGIME_LABELS):
        raise ValueError(f"regime fit for {market}: {X.shape[0]} rows is too few")
    center, scale = X.mean(axis=0), X.std(axis=0)
    if np.any(scale <= 0):
        raise ValueError(f"regime fit for {market}: a feature is constant")
    from threadpoolctl import threadpool_limits

    Z = np.clip((X - center) / scale, -CLIP_SIGMAS, CLIP_SIGMAS)
    for attempt in range(3):
        hmm = GaussianHMM(n_components=len(REGIME_LABELS), covariance_type="full", n_iter=n_iter,
                          tol=tol, random_state=seed + attempt, min_covar=1e-3)
        # tiny matrices: BLAS/OpenMP threads only add contention (30x slower on a busy box)
        with threadpool_limits(limits=1):
            hmm.fit(Z)
            healthy = _healthy(hmm, Z)
        if healthy:
            break
        log.warning("regime fit for %s (seed %d) collapsed a state; retrying", market, seed + attempt)
    else:
        raise ValueError(f"regime fit for {market}: every seed collapsed a state ({len(X)} rows)")
    model = model_from_hmm(hmm, market=market, vol_window=vol_window, fitted_at_ns=fitted_at_ns,
                           data_end_ns=data_end_ns, n_obs=int(X.shape[0]), center=center, scale=scale)
    return replace(model, data_key=data_key) if data_key else model


def _healthy(hmm: Any, Z: np.ndarray) -> bool:
    """No collapsed state: every covariance is positive definite and every state carries
    at least 0.5 % of the posterior mass (and 3 rows)."""
    eig = np.linalg.eigvalsh(np.asarray(hmm.covars_))
    if not (np.all(eig > 1e-8) and np.all(np.isfinite(hmm.means_))):
        return False
    occupancy = hmm.predict_proba(Z).sum(axis=0)
    return bool(np.all(occupancy >= max(3.0, 0.005 * len(Z))))



def model_from_hmm(hmm: Any, *, market: str, vol_window: int, fitted_at_ns: int,
                   data_end_ns: int, n_obs: int, center: np.ndarray | None = None,
                   scale: np.ndarray | None = None) -> RegimeModel:
    """Build a :class:`RegimeModel` from a fitted hmmlearn ``GaussianHMM`` (full covariance)
    fitted on features standardized by ``center`` and ``scale`` (identity if omitted)."""
    hist = list(hmm.monitor_.history)
    n_iter, tol = hmm.monitor_.n_iter, hmm.monitor_.tol
    gained = abs(hist[-1] - hist[-2]) if len(hist) > 1 else float("inf")
    converged = bool(hmm.monitor_.converged and (hmm.monitor_.iter < n_iter or gained < tol))
    if not converged:
        log.warning("regime fit for %s did not converge in %d iterations (last gain %.3g)",
                    market, n_iter, gained)
    covars = np.asarray(hmm.covars_, dtype=np.float64)
    means = np.asarray(hmm.means_, dtype=np.float64)
    center = np.zeros(means.shape[1]) if center is None else np.asarray(center, dtype=np.float64)
    scale = np.ones(means.shape[1]) if scale is None else np.asarray(scale, dtype=np.float64)
    raw_means, raw_covars = means * scale + center, covars * np.outer(scale, scale)
    return RegimeModel(
        market=market, startprob=np.asarray(hmm.startprob_, dtype=np.float64),
        transmat=np.asarray(hmm.transmat_, dtype=np.float64), means=means, covars=covars,
        labels=label_states(raw_means, raw_covars), vol_window=vol_window, fitted_at_ns=fitted_at_ns,
        data_end_ns=data_end_ns, n_obs=n_obs, loglik=float(hist[-1]) if hist else float("nan"),
        iterations=int(hmm.monitor_.iter), converged=converged,
        center=center, scale=scale,
    )
