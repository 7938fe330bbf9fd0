"""The regime service and gate on bundled EUR/USD hours, with a SimClock."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefleet.ai.config import RegimeConfig
from tradefleet.ai.regime.features import regime_features
from tradefleet.ai.regime.gate import RegimeGate
from tradefleet.ai.regime.history import JsonlRegimeHistory, MemoryRegimeHistory
from tradefleet.ai.regime.hmm import fit_regime_model
from tradefleet.ai.regime.model_store import PickleModelStore
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import AssetClass, Direction, Signal, Verdict
from tradefleet.scrapers.bundled import load_dataset
from tests.ai.fakes import FrameData, FrameMarket, make_ctx, make_spec

EUR = load_dataset("eurusd").iloc[:1500]
TS = EUR.index.as_unit("ns").asi8


@pytest.fixture(scope="module")
def stored_model(tmp_path_factory):
    """A model fitted on the first 600 bars, stored with its data end."""
    root = tmp_path_factory.mktemp("models")
    X = regime_features(EUR["close"].to_numpy()[:600], 20)
    model = fit_regime_model(X, market="EUR/USD", vol_window=20, fitted_at_ns=int(TS[599]),
                             data_end_ns=int(TS[599]))
    PickleModelStore(root).save(model)
    return root, model


def _gate(root, clock, frame=EUR, history=None, **cfg):
    config = RegimeConfig(refit_every_days=cfg.pop("refit_every_days", 30), model_dir=str(root), **cfg)
    data = FrameData({"EUR/USD": frame}, clock)
    gate = RegimeGate.create(config, data, history=history if history is not None else MemoryRegimeHistory())
    return gate, data


def _signal(clock, direction=Direction.LONG):
    return Signal("t-bot", "EUR/USD", direction, 0.8, 1.1, clock.now_ns(), clock.now_ns())


def test_store_returns_only_models_trained_before_now(stored_model):
    root, model = stored_model
    store = PickleModelStore(root)
    assert store.latest("EUR/USD", int(TS[598])) is None
    loaded = store.latest("EUR/USD", int(TS[700]))
    assert loaded is not None and loaded.version == model.version
    np.testing.assert_array_equal(loaded.transmat, model.transmat)
    assert store.versions("EUR/USD")[0]["labels"] == list(model.labels)


def test_a_model_written_by_joblib_is_still_read_and_this_format_wins(stored_model, tmp_path):
    # artifacts written before the plain-pickle format (``.joblib``) are found and loaded with
    # joblib: a model folder is not refitted for the change of format; of one model in both
    # formats the plain pickle is read
    import shutil

    import joblib

    root, model = stored_model
    old = tmp_path / "old"
    shutil.copytree(root, old)
    for path in old.rglob("*.pkl"):
        joblib.dump(model, path.with_suffix(".joblib"))
        path.unlink()
    store = PickleModelStore(old)
    key = model.data_key or "nokey"
    for loaded in (store.latest("EUR/USD", int(TS[700])), store.find("EUR/USD", model.fitted_at_ns, key)):
        assert loaded is not None and loaded.version == model.version
        np.testing.assert_array_equal(loaded.means, model.means)
    newer = dataclasses.replace(model, loglik=model.loglik + 1.0)  # same name, told apart by content
    store.save(newer)
    assert store.latest("EUR/USD", int(TS[700])).loglik == newer.loglik
    assert store.find("EUR/USD", model.fitted_at_ns, key).loglik == newer.loglik


def test_loading_a_stored_model_does_not_import_joblib(stored_model):
    import subprocess
    import sys

    root, model = stored_model
    code = ("import sys; from tradefleet.ai.regime.model_store import PickleModelStore as S; "
            f"m = S({str(root)!r}).find('EUR/USD', {model.fitted_at_ns}, {model.data_key or 'nokey'!r}); "
            "assert m is not None; print(sorted(n for n in sys.modules if n.split('.')[0] == 'joblib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_service_reading_equals_batch_filter(tmp_path):
    clock = SimClock(int(TS[900]))
    gate, _ = _gate(tmp_path, clock)
    reading = gate.service.reading("EUR/USD", clock.now_ns())
    model = gate.service._state["EUR/USD"].model
    period = 30 * 86_400 * 10**9
    anchor = clock.now_ns() // period * period
    cut = int(np.searchsorted(TS, anchor, side="right"))
    assert model.fitted_at_ns == anchor and model.data_end_ns == TS[cut - 1] and model.n_obs == cut - 20
    X = regime_features(EUR["close"].to_numpy()[:901], 20)
    probs = np.exp(model.filter(X)[-1])
    assert reading.bar_ts == TS[900] and reading.model_version == model.version
    assert reading.regime == model.labels[int(np.argmax(probs))]
    assert reading.probs[model.labels[0]] == pytest.approx(probs[0], abs=1e-12)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.integers(1, 120), min_size=1, max_size=6), extra=st.integers(1, 79))
def test_future_bars_never_change_past_regimes(stored_model, steps, extra):
    root, _ = stored_model  # a shared store: fits of each refit period are reused across runs
    cut = 700 + sum(steps)  # at most 1,420: the later run's start, cut + extra, stays within the 1,500 bars
    # run A: step through time on data that ends at the cut (the future does not exist yet)
    clock_a = SimClock(int(TS[700]))
    hist_a = MemoryRegimeHistory()
    gate_a, _ = _gate(root, clock_a, frame=EUR.iloc[: cut + 1], history=hist_a)
    readings_a, t = [], 700
    for s in steps:
        t += s
        clock_a.set_ns(int(TS[t]))
        readings_a.append((t, gate_a.service.reading("EUR/USD", clock_a.now_ns())))
    # the same instants asked afresh with the whole future on file give the same answers
    for t, ra in readings_a:
        clock = SimClock(int(TS[t]))
        fresh, _ = _gate(root, clock)
        rb = fresh.service.reading("EUR/USD", clock.now_ns())
        assert (rb.regime, rb.bar_ts, rb.model_version) == (ra.regime, ra.bar_ts, ra.model_version)
        for k, p in ra.probs.items():
            assert rb.probs[k] == pytest.approx(p, abs=1e-9)
    # a run started later records the same rows where both recorded, and only causal ones
    clock_b = SimClock(int(TS[cut + extra]))
    hist_b = MemoryRegimeHistory()
    gate_b, _ = _gate(root, clock_b, history=hist_b)
    gate_b.service.reading("EUR/USD", clock_b.now_ns())
    rows_a = {r.ts_event: r for r in hist_a.read("EUR/USD")}
    rows_b = hist_b.read("EUR/USD")
    anchor_b = gate_b.service._state["EUR/USD"].model.fitted_at_ns
    assert rows_b and all(r.ts_event > anchor_b for r in rows_b)
    for rb in rows_b:
        ra = rows_a.get(rb.ts_event)
        if ra is not None:
            assert (ra.regime, ra.model_version) == (rb.regime, rb.model_version)
            assert ra.p_bull == pytest.approx(rb.p_bull, abs=1e-9)


def test_gate_rejects_outside_declared_regimes(stored_model):
    root, _ = stored_model
    clock = SimClock(int(TS[900]))
    gate, data = _gate(root, clock)
    model = None
    current = gate.service.reading("EUR/USD", clock.now_ns()).regime
    others = frozenset({"bull", "bear", "sideways"} - {current})
    spec = make_spec(regimes=others)
    d = gate.evaluate(_signal(clock), make_ctx(clock, spec, FrameMarket(data)))
    assert d.verdict is Verdict.REJECT and d.reason == "regime_excluded"
    model = gate.service._state["EUR/USD"].model
    assert d.data["regime"] == current and d.data["model_version"] == model.version
    assert sum(d.data["probs"].values()) == pytest.approx(1.0, abs=1e-5)


def test_gate_resizes_by_regime_multiplier(stored_model):
    root, _ = stored_model
    clock = SimClock(int(TS[900]))
    gate, data = _gate(root, clock, size_multipliers={"bull": 0.9, "bear": 0.4, "sideways": 0.6})
    current = gate.service.reading("EUR/USD", clock.now_ns()).regime
    d = gate.evaluate(_signal(clock), make_ctx(clock, make_spec(), FrameMarket(data)))
    assert d.verdict is Verdict.RESIZE and d.reason == "regime_size"
    assert d.scale == {"bull": 0.9, "bear": 0.4, "sideways": 0.6}[current]


def test_gate_passes_exits_and_unknown(tmp_path):
    clock = SimClock(int(TS[60]))
    gate, data = _gate(tmp_path, clock, min_fit_bars=500)
    ctx = make_ctx(clock, make_spec(regimes=frozenset({"bull"})), FrameMarket(data))
    assert gate.evaluate(_signal(clock, Direction.FLAT), ctx).reason == "exit_allowed"
    d = gate.evaluate(_signal(clock), ctx)
    assert d.verdict is Verdict.PASS and d.reason == "regime_unknown"
    gate_strict, data2 = _gate(tmp_path, clock, min_fit_bars=500, on_unknown="reject")
    assert gate_strict.evaluate(_signal(clock), ctx).verdict is Verdict.REJECT


def test_gate_fits_persists_and_refits_on_schedule(tmp_path):
    clock = SimClock(int(TS[400]))
    gate, data = _gate(tmp_path / "m", clock, history=JsonlRegimeHistory(tmp_path / "h"), refit_every_days=7)
    gate.evaluate(_signal(clock), make_ctx(clock, make_spec(), FrameMarket(data)))
    store = PickleModelStore(tmp_path / "m")
    assert len(store.versions("EUR/USD")) == 1
    first = gate.service.reading("EUR/USD", clock.now_ns())
    clock.set_ns(int(TS[420]))  # same refit period: same model, filter advanced
    gate.evaluate(_signal(clock), make_ctx(clock, make_spec(), FrameMarket(data)))
    assert len(store.versions("EUR/USD")) == 1
    clock.set_ns(int(TS[400]) + 8 * 86_400 * 10**9)  # next period: refit on the bars up to its anchor
    gate.evaluate(_signal(clock), make_ctx(clock, make_spec(), FrameMarket(data)))
    versions = store.versions("EUR/USD")
    assert len(versions) == 2 and versions[1]["data_end_ns"] > versions[0]["data_end_ns"]
    week = 7 * 86_400 * 10**9
    assert all(v["fitted_at_ns"] % week == 0 for v in versions)
    rows = JsonlRegimeHistory(tmp_path / "h").read("EUR/USD")
    ts = [r.ts_event for r in rows]
    assert ts == sorted(set(ts)) and rows[0].ts_event > versions[0]["fitted_at_ns"]  # causal rows only
    assert first.bar_ts in ts
    # another run (another start time) reuses the stored model of each period: no refit, same answer
    clock2 = SimClock(int(TS[400]) + 8 * 86_400 * 10**9)
    gate2, _ = _gate(tmp_path / "m", clock2, refit_every_days=7)
    again = gate2.service.reading("EUR/USD", clock2.now_ns())
    assert len(store.versions("EUR/USD")) == 2
    assert again == gate.service.reading("EUR/USD", clock.now_ns())


def test_monthly_btc_uses_its_own_window(tmp_path):
    cfg = RegimeConfig()
    assert (cfg.window("BTC/USD"), cfg.min_bars("BTC/USD")) == (6, 67)
    assert (cfg.window("SPX"), cfg.min_bars("SPX")) == (20, 141)
    btc = load_dataset("btcusd")
    ts = btc.index.as_unit("ns").asi8
    clock = SimClock(int(ts[100]))  # 2020: 101 monthly bars
    data = FrameData({"BTC/USD": btc}, clock)
    gate = RegimeGate.create(RegimeConfig(model_dir=str(tmp_path)), data, history=MemoryRegimeHistory())
    spec = make_spec(instrument="BTC/USD", asset_class=AssetClass.CRYPTO, timeframe="1mo")
    sig = Signal("t-bot", "BTC/USD", Direction.LONG, 0.8, 1.0, clock.now_ns(), clock.now_ns())
    d = gate.evaluate(sig, make_ctx(clock, spec, FrameMarket(data)))
    assert d.reason in {"regime_ok", "regime_size", "regime_excluded"} and d.data["market"] == "BTC/USD"
    assert gate.service._state["BTC/USD"].model.vol_window == 6


def test_late_history_is_picked_up_within_the_period(tmp_path):
    clock = SimClock(int(TS[900]))
    gate, data = _gate(tmp_path, clock, frame=EUR.iloc[880:901])  # a live start before the warm-up loaded
    assert gate.service.reading("EUR/USD", clock.now_ns()) is None
    data.frames["EUR/USD"] = EUR  # the warm-up history arrives
    data._ns["EUR/USD"] = TS
    assert gate.service.reading("EUR/USD", clock.now_ns()) is None  # retried at most hourly
    clock.set_ns(int(TS[902]))
    assert gate.service.reading("EUR/USD", clock.now_ns()) is not None


def test_a_model_saved_by_an_older_version_is_a_cache_miss_and_is_refitted(stored_model, tmp_path):
    # a model file pickled under a module path that no longer exists (as files saved before
    # the tradefleet namespace move name ``ai.regime.hmm``): not an error, a refit
    import pickle
    import shutil

    root, model = stored_model
    old_root = tmp_path / "old"
    shutil.copytree(root, old_root)
    stale = pickle.dumps(model).replace(b"tradefleet.ai.regime.hmm", b"tradefleex.ai.regime.hmm")  # same length
    paths = sorted(old_root.rglob("*.pkl"))  # the shared store may also hold other tests' fits: all go stale
    for path in paths:
        path.write_bytes(stale)
    path = max((p for p in paths if int(p.name.split("-")[0]) <= TS[700]), key=lambda p: p.name)  # latest() reads it
    store = PickleModelStore(old_root)
    assert store.latest("EUR/USD", int(TS[700])) is None
    assert store.find("EUR/USD", model.fitted_at_ns, model.data_key or "nokey") is None
    # a corrupt file is still an error, never silently skipped
    path.write_bytes(b"not a pickle")
    with pytest.raises(Exception, match="cannot load"):
        store.latest("EUR/USD", int(TS[700]))


def test_a_stored_model_is_reused_only_under_the_fit_settings_it_was_fitted_with(tmp_path):
    # the model cache's key covers the bars and every fit setting: a run with another seed,
    # iteration cap, tolerance or volatility window fits its own model instead of reading one
    # fitted another way (which would silently keep the old settings' regimes)
    def models_after(**settings):
        clock = SimClock(int(TS[900]))
        gate, _ = _gate(tmp_path, clock, **settings)
        reading = gate.service.reading("EUR/USD", clock.now_ns())
        assert reading is not None
        return sorted(p.name for p in tmp_path.rglob("*.pkl"))

    first = models_after()
    assert len(first) == 1
    assert models_after() == first  # same settings: the stored model is used
    seen = set(first)
    for other in ({"seed": 8}, {"n_iter": 301}, {"tol": 2e-4}, {"vol_window": 21}):
        now = models_after(**other)
        assert len(now) == len(seen) + 1, other  # fitted afresh and stored beside the others
        seen = set(now)
    assert models_after(seed=8) == sorted(seen)  # and each is reused under its own settings
