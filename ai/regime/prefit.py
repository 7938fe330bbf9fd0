"""Fitting a replay's regime models ahead of its clock, in a pool of worker processes.

A fresh replay used to fit every model inside the loop, one after the other, the loop
waiting on each (about a hundred fits for the default run). In replay the bars of the
coming refit anchors are already on disk, so the fits can run ahead in other processes
while the loop works: when the service needs the model of anchor *A*, :meth:`Prefitter.take`
hands back the one fitted ahead (waiting for it if it is still running) and queues the
next anchors.

Nothing changes in what a run computes or sees:

* each fit uses exactly the bars the service would fit on (closes at or before the anchor,
  the same features, the same seeds), and a fitted-ahead model is used only when the data
  fingerprint the service computed from its own, clock-cut data equals the fingerprint of
  the bars it was fitted on; otherwise the service fits in-process as before;
* a fit runs in a worker process with the same code, the same single BLAS thread, so the
  model is the one the service would have fitted (fits are deterministic);
* the loop still reads a model only from its anchor on, so no future bar reaches a gate.

The pool is created on the first model a run does not already have stored (a warm run
never starts one), forked so workers start in milliseconds, and terminated when its
Prefitter is closed or collected, or at exit;
fits queued ahead but never needed are dropped unsaved. Only replay uses it (live has no
future bars to fit ahead on).
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from tradefleet.ai.config import RegimeConfig
from tradefleet.ai.regime.features import regime_features
from tradefleet.ai.regime.fingerprint import data_key
from tradefleet.ai.regime.hmm import RegimeModel, fit_regime_model
from tradefleet.orchestrator.clock import NS

log = logging.getLogger(__name__)
_DAY_NS = 86_400 * NS

#: (market) -> (bar close times in ns, closes) of the whole series the replay will see, or None
SeriesSource = Callable[[str], "tuple[np.ndarray, np.ndarray] | None"]


def fit_job(closes: np.ndarray, market: str, vol_window: int, anchor: int, data_end_ns: int, n_iter: int,
            tol: float, seed: int, key: str) -> RegimeModel:
    """One fit, as :class:`~tradefleet.ai.regime.service.RegimeService` does it in-process."""
    X = regime_features(closes, vol_window)
    return fit_regime_model(X, market=market, vol_window=vol_window, fitted_at_ns=anchor, data_end_ns=data_end_ns,
                            n_iter=n_iter, tol=tol, seed=seed, data_key=key)


def default_workers() -> int:
    """Worker processes for a fresh replay's fits: the usable cores (at least one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _default_signals() -> None:
    """In a pool worker: SIGTERM and SIGINT end the process, whatever the parent installed."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Prefitter:
    """Fits of coming refit anchors, queued in a process pool ``ahead`` anchors ahead."""

    def __init__(self, config: RegimeConfig, series: SeriesSource, workers: int, ahead: int | None = None,
                 stored: Callable[[str, int, str], bool] | None = None, until_ns: int | None = None) -> None:
        self.config = config
        self.series = series
        self.workers = workers
        self.ahead = ahead if ahead is not None else 2 * workers + 1
        self.stored = stored or (lambda market, anchor, key: False)
        self.until_ns = until_ns  # the replay's last instant, if known: no anchor after it is fitted
        self._key = data_key
        self._pool: Any = None
        self._reaper: weakref.finalize | None = None  # terminates the pool when this object goes
        self._queued: dict[tuple[str, int], tuple[str, Any]] = {}
        self._planned: dict[str, int] = {}  # market -> last anchor queued
        self._cache: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}

    def _period(self) -> int:
        return int(self.config.refit_every_days * _DAY_NS)

    def _bars(self, market: str) -> tuple[np.ndarray, np.ndarray] | None:
        if market not in self._cache:
            self._cache[market] = self.series(market)
        return self._cache[market]

    def take(self, market: str, anchor: int, key: str) -> RegimeModel | None:
        """The model of ``market`` at ``anchor`` fitted ahead on the bars fingerprinted ``key``
        (waiting for its fit), after queueing the following anchors; None when there is none
        (not fitted ahead, other data, or the fit failed: the caller fits in-process)."""
        self._plan(market, anchor)
        for stale in [k for k in self._queued if k[0] == market and k[1] < anchor]:
            del self._queued[stale]  # anchors the run skipped (no reading in their period)
        queued = self._queued.pop((market, anchor), None)
        if queued is None or queued[0] != key:
            return None
        try:
            return queued[1].get()  # type: ignore[no-any-return]
        except Exception as exc:  # the caller's own fit reproduces the error where it belongs
            log.debug("regime fit ahead for %s at %d failed: %s", market, anchor, exc)
            return None

    def _plan(self, market: str, anchor: int) -> None:
        bars = self._bars(market)
        if bars is None or len(bars[0]) == 0:
            return
        ts, closes = bars
        period = self._period()
        last_anchor = (int(ts[-1]) // period) * period + period  # the first anchor that sees every bar
        start = max(anchor, self._planned.get(market, anchor - period) + period)
        stop = min(anchor + self.ahead * period, last_anchor)
        if self.until_ns is not None:
            stop = min(stop, self.until_ns)
        a = start
        while a <= stop:
            self._planned[market] = a
            cut = int(np.searchsorted(ts, a, side="right"))
            if cut >= self.config.min_bars(market):
                key = self._key(ts[:cut], closes[:cut], self.config.fit_settings(market))
                if not self.stored(market, a, key):
                    self._submit(market, a, key, closes[:cut].copy(), int(ts[cut - 1]))
            a += period

    def _submit(self, market: str, anchor: int, key: str, closes: np.ndarray, data_end_ns: int) -> None:
        if self._pool is None:
            import multiprocessing

            # fork: workers start at once and share the loaded code; they only fit and return.
            # A forked worker inherits the parent's Python signal handlers (a live run's SIGTERM
            # handler only asks its loop to stop): reset them, or terminate() could never end a
            # worker and the pool's finalizer would wait for ever.
            self._pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_default_signals)
            # The pool cannot be collected while a fit is pending (its result handler thread holds
            # the pending results, which hold the pool), so its own finalizer would wait for the
            # fits: tie the workers' end to this object instead (and to the interpreter's exit).
            self._reaper = weakref.finalize(self, self._pool.terminate)
        cfg = self.config
        args = (closes, market, cfg.window(market), anchor, data_end_ns, cfg.n_iter, cfg.tol, cfg.seed, key)
        self._queued[(market, anchor)] = (key, self._pool.apply_async(fit_job, args))

    def close(self) -> None:
        """Drop the fits still queued and stop the workers."""
        self._queued.clear()
        if self._reaper is not None:
            self._reaper()  # terminates the pool, once
            self._reaper = None
        self._pool = None
