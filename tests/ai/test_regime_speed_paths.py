"""The regime's fast paths give the answers of the paths they replace (issue 23):

* the numba forward filter equals the per-bar numpy loop it replaced, to the last bits (how
  numpy's BLAS sums ``alpha @ trans`` depends on the CPU kernel it dispatches to, so the two
  may differ by an ulp; the default run's digest pins the numba path's own bits);
* :meth:`ReplayFallbackData.arrays` serves exactly the bars :meth:`frame` serves;
* models fitted ahead in worker processes are the in-process fits, used only on the same
  data, and a replay with them reads the same regimes as one without.
"""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.ai.config import RegimeConfig
from tradefleet.ai.data import ReplayFallbackData, series_arrays
from tradefleet.ai.regime.features import regime_features
from tradefleet.ai.regime.gate import RegimeGate
from tradefleet.ai.regime.history import MemoryRegimeHistory
from tradefleet.ai.regime.hmm import fit_regime_model
from tradefleet.ai.regime.model_store import PickleModelStore
from tradefleet.ai.regime.prefit import Prefitter
from tradefleet.ai.regime.service import data_key
from tradefleet.orchestrator.clock import SimClock
from tradefleet.scrapers.bundled import load_dataset
from tests.ai.fakes import FrameData

EUR = load_dataset("eurusd")
TS = EUR.index.as_unit("ns").asi8
CLOSE = EUR["close"].to_numpy()
DAY = 86_400 * 10**9


def _numpy_loop_filter(model, X, log_prev=None):
    """The forward filter as it was before numba: the recursion as a Python loop over numpy."""
    log_b = model.log_emission(X)
    out = np.empty_like(log_b)
    b = np.exp(log_b - log_b.max(axis=1, keepdims=True))
    trans = np.exp(model._log_trans)
    alpha = np.exp(model._log_start) * b[0] if log_prev is None else (np.exp(log_prev) @ trans) * b[0]
    alpha = alpha / alpha.sum()
    out[0] = alpha
    for t in range(1, len(b)):
        alpha = (alpha @ trans) * b[t]
        alpha = alpha / alpha.sum()
        out[t] = alpha
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(out, 1e-300))


@pytest.fixture(scope="module")
def model():
    X = regime_features(CLOSE[:1500], 20)
    return fit_regime_model(X, market="EUR/USD", vol_window=20, fitted_at_ns=int(TS[1499]),
                            data_end_ns=int(TS[1499]))


def _same_to_the_last_bits(a, b):
    # probabilities within a few ulps of 1, logs within a few ulps of their size
    np.testing.assert_allclose(np.exp(a), np.exp(b), rtol=0, atol=1e-14)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


def test_numba_filter_equals_the_numpy_loop_to_the_last_bits(model):
    X = regime_features(CLOSE, 20)
    _same_to_the_last_bits(model.filter(X), _numpy_loop_filter(model, X))
    first = model.filter(X[:700])
    _same_to_the_last_bits(model.filter(X[700:], first[-1]), _numpy_loop_filter(model, X[700:], first[-1]))
    assert model.filter(X[:0]).shape == (0, 3)


def test_replay_arrays_are_the_frames_bars():
    for now in (TS[950], TS[1000], TS[1000] + 1):
        clock = SimClock(int(now))
        late_start = FrameData({"EUR/USD": EUR.iloc[900:]}, clock)
        cases = [(ReplayFallbackData(late_start, clock), "EUR/USD"),
                 (ReplayFallbackData(late_start, clock, frozenset({"EUR/USD"})), "EUR/USD"),
                 (ReplayFallbackData(late_start, clock), "BTC/USD")]
        for data, symbol in cases:
            for bars in (None, 1, 50, 101, 300, 5000):
                f = data.frame(symbol, bars)
                ts, cols = data.arrays(symbol, bars)
                assert np.array_equal(ts, f.index.as_unit("ns").asi8), (symbol, bars)
                for c in ("open", "high", "low", "close", "volume"):
                    assert np.array_equal(cols[c], f[c].to_numpy(dtype=np.float64)), (symbol, bars, c)
                fts, fcols = series_arrays(late_start, "EUR/USD", bars)  # a frame-only source converts
                assert np.array_equal(fcols["close"], late_start.frame("EUR/USD", bars)["close"].to_numpy())


def _config(tmp_path, **kw):
    return RegimeConfig(refit_every_days=30, model_dir=str(tmp_path / "models"), **kw)


def test_a_model_fitted_ahead_is_the_in_process_fit_and_only_for_its_data(tmp_path):
    cfg = _config(tmp_path)
    series = {"EUR/USD": (TS, CLOSE)}
    pre = Prefitter(cfg, series.get, workers=2, ahead=2)
    try:
        period = 30 * DAY
        anchor = int(TS[900]) // period * period
        cut = int(np.searchsorted(TS, anchor, side="right"))
        key = data_key(TS[:cut], CLOSE[:cut], cfg.fit_settings("EUR/USD"))
        ahead = pre.take("EUR/USD", anchor, key)
        here = fit_regime_model(regime_features(CLOSE[:cut], 20), market="EUR/USD", vol_window=20,
                                fitted_at_ns=anchor, data_end_ns=int(TS[cut - 1]), n_iter=cfg.n_iter,
                                tol=cfg.tol, seed=cfg.seed, data_key=key)
        assert ahead is not None
        for name in ("startprob", "transmat", "means", "covars", "center", "scale"):
            assert np.array_equal(getattr(ahead, name), getattr(here, name)), name
        assert (ahead.labels, ahead.version, ahead.loglik, ahead.iterations) == \
            (here.labels, here.version, here.loglik, here.iterations)
        # the next anchors were queued; one asked with another data fingerprint is not handed out
        nxt = anchor + period
        assert ("EUR/USD", nxt) in pre._queued
        assert pre.take("EUR/USD", nxt, "other-data") is None
        assert pre.take("EUR/USD", anchor + 9 * period, "x") is None  # past the series: nothing
    finally:
        pre.close()


def _replay(tmp_path, workers, steps):
    """Read the regime at each step of a replay over the bundled hours; return readings, models."""
    clock = SimClock(int(TS[steps[0]]))
    data = ReplayFallbackData(FrameData({"EUR/USD": EUR}, clock), clock)
    cfg = _config(tmp_path, fit_workers=workers)
    gate = RegimeGate.create(cfg, data, history=MemoryRegimeHistory(), ahead=data.bundled_closes)
    out = []
    for i in steps:
        clock.set_ns(int(TS[i]))
        r = gate.service.reading("EUR/USD", clock.now_ns())
        out.append(None if r is None else (r.regime, r.bar_ts, r.model_version, r.probs))
    if gate.service.prefit is not None:
        gate.service.prefit.close()
    return out, gate.service.prefit, PickleModelStore(cfg.model_dir).versions("EUR/USD")


def test_replay_with_fits_ahead_reads_what_the_in_loop_fits_read(tmp_path):
    steps = list(range(200, len(TS), 97))
    plain, none, plain_models = _replay(tmp_path / "plain", 0, steps)
    assert none is None
    ahead, pre, ahead_models = _replay(tmp_path / "ahead", 2, steps)
    assert pre is not None and pre._pool is None  # closed
    assert ahead == plain and sum(r is not None for r in plain) > 30
    assert [m["version"] for m in ahead_models] == [m["version"] for m in plain_models]  # none extra saved
    assert [m["means"] for m in ahead_models] == [m["means"] for m in plain_models]
    # a warm rerun finds every model stored: no pool is started
    again, pre2, _ = _replay(tmp_path / "ahead", 2, steps)
    assert again == plain and pre2._pool is None and not pre2._queued


def test_no_fit_ahead_past_the_replay_end(tmp_path):
    cfg = _config(tmp_path)
    period = 30 * DAY
    anchor = int(TS[900]) // period * period
    pre = Prefitter(cfg, {"EUR/USD": (TS, CLOSE)}.get, workers=1, ahead=4, until_ns=anchor + period + 1)
    try:
        pre._plan("EUR/USD", anchor)
        assert sorted(a for _, a in pre._queued) == [anchor, anchor + period]
    finally:
        pre.close()


def test_the_replay_end_bounds_the_fits_ahead_in_a_kernel_replay():
    from tradefleet.ai.regime.gate import _replay_end
    from tradefleet.orchestrator.market import MarketState

    market = MarketState()
    market.load("EUR/USD", EUR.iloc[:1000])
    assert _replay_end(market) == int(TS[999]) + 7 * DAY
    assert _replay_end(FrameData({"EUR/USD": EUR}, SimClock(0))) is None  # cannot say: no bound


def test_the_workers_go_with_the_run_that_started_them(tmp_path):
    import gc

    pre = Prefitter(_config(tmp_path), {"EUR/USD": (TS, CLOSE)}.get, workers=2, ahead=1)
    pre._plan("EUR/USD", int(TS[900]) // (30 * DAY) * (30 * DAY))
    workers = list(pre._pool._pool)
    assert workers and all(p.is_alive() for p in workers)
    del pre
    gc.collect()
    for p in workers:
        p.join(timeout=10)
    assert not any(p.is_alive() for p in workers)


def _sigterm_is_default():
    import signal

    return signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_workers_can_be_terminated_whatever_handler_the_parent_installed(tmp_path):
    """A live run installs a SIGTERM handler that only asks its loop to stop; forked fit
    workers must not inherit it, or terminating the pool (its finalizer included) waits for
    ever on workers that ignore SIGTERM."""
    import signal

    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # what run_live installs, in spirit
    try:
        pre = Prefitter(_config(tmp_path), {"EUR/USD": (TS, CLOSE)}.get, workers=1, ahead=1)
        pre._plan("EUR/USD", int(TS[900]) // (30 * DAY) * (30 * DAY))
        assert pre._pool.apply(_sigterm_is_default)
        workers = list(pre._pool._pool)
        pre.close()
        for p in workers:
            p.join(timeout=30)
        assert not any(p.is_alive() for p in workers)
    finally:
        signal.signal(signal.SIGTERM, previous)
