"""CRR binomial trees: convergence to Black-Scholes, early exercise, tree Greeks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.risk.options.binomial import crr_price, crr_tree
from tradefleet.risk.options.bsm import bsm_price, bsm_valuation
from tradefleet.risk.options.errors import OptionInputError

GRID = [(kind, k, t, v, q) for kind in ("call", "put") for k in (80.0, 90.0, 100.0, 110.0, 120.0)
        for t, v, q in ((0.25, 0.2, 0.02), (1.0, 0.2, 0.0), (2.0, 0.35, 0.03))]


@pytest.mark.parametrize("case", GRID)
def test_european_binomial_converges_to_bs_within_1e3_at_500_steps(case: tuple) -> None:
    kind, k, t, v, q = case
    tree = float(crr_price(kind, 100.0, k, t, 0.05, v, q, steps=500, style="european"))
    assert abs(tree - float(bsm_price(kind, 100.0, k, t, 0.05, v, q))) < 1e-3


def test_plain_crr_converges_at_first_order() -> None:
    bs = float(bsm_price("call", 100.0, 100.0, 1.0, 0.05, 0.2))
    errs = [abs(float(crr_price("call", 100.0, 100.0, 1.0, 0.05, 0.2, 0.0, n, "european", "crr")) - bs)
            for n in (50, 100, 200, 400)]
    assert errs[-1] < 1e-2
    for coarse, fine in zip(errs, errs[1:], strict=False):
        assert 1.6 < coarse / fine < 2.5  # error halves when the steps double


def test_refinements_beat_plain_crr() -> None:
    bs = bsm_price("put", 100.0, np.array([85.0, 100.0, 115.0]), 1.0, 0.05, 0.25)
    err = {m: np.abs(crr_price("put", 100.0, np.array([85.0, 100.0, 115.0]), 1.0, 0.05, 0.25, 0.0, 500,
                               "european", m) - bs).max() for m in ("crr", "bbs", "bbsr")}
    assert err["bbsr"] < err["bbs"] < err["crr"]
    assert err["bbsr"] < 1e-4


@settings(max_examples=60, deadline=None)
@given(k=st.floats(60, 140), t=st.floats(0.05, 2), r=st.floats(0.0, 0.1), v=st.floats(0.08, 0.8),
       q=st.floats(0, 0.06))
def test_american_put_at_least_european(k: float, t: float, r: float, v: float, q: float) -> None:
    am = float(crr_price("put", 100.0, k, t, r, v, q, 200, "american"))
    eu = float(crr_price("put", 100.0, k, t, r, v, q, 200, "european"))
    assert am >= eu - 1e-9
    assert am >= max(k - 100.0, 0.0) - 1e-9  # never below immediate exercise


def test_american_call_without_dividend_is_european() -> None:
    am = float(crr_price("call", 100.0, 95.0, 1.0, 0.05, 0.25, 0.0, 500, "american"))
    assert am == pytest.approx(float(bsm_price("call", 100.0, 95.0, 1.0, 0.05, 0.25)), abs=1e-3)


def test_american_put_matches_fine_plain_tree() -> None:
    # reference: 10,000-step plain CRR (error ~1e-4); the default refinement at 500 steps
    fine = float(crr_price("put", 100.0, 100.0, 1.0, 0.05, 0.2, 0.0, 10_000, "american", "crr"))
    assert float(crr_price("put", 100.0, 100.0, 1.0, 0.05, 0.2, 0.0, 500, "american")) == pytest.approx(fine, abs=1e-3)
    assert 6.08 < fine < 6.10  # the well-known 6.09 American put (S=K=100, r=5%, vol 20%, 1y)


def test_tree_greeks_match_bs_for_european() -> None:
    tree = crr_tree(["call", "put"], 100.0, [95.0, 105.0], 1.0, 0.05, 0.2, 0.01, 500, "european")
    ref = bsm_valuation(["call", "put"], 100.0, [95.0, 105.0], 1.0, 0.05, 0.2, 0.01)
    np.testing.assert_allclose(tree.price, ref.price, atol=1e-3)
    np.testing.assert_allclose(tree.delta, ref.delta, atol=1e-3)
    np.testing.assert_allclose(tree.gamma, ref.gamma, atol=1e-3)
    np.testing.assert_allclose(tree.theta, ref.theta, rtol=5e-3)


def test_batch_equals_one_by_one() -> None:
    k = np.array([90.0, 100.0, 110.0])
    batch = crr_price("put", 100.0, k, 0.5, 0.03, 0.3, 0.01, 300, "american")
    one = [float(crr_price("put", 100.0, x, 0.5, 0.03, 0.3, 0.01, 300, "american")) for x in k]
    np.testing.assert_allclose(batch, one, rtol=1e-12)


@pytest.mark.parametrize("style", ["european", "american"])
@pytest.mark.parametrize("method", ["crr", "bbs", "bbsr"])
def test_numba_and_numpy_engines_agree(style: str, method: str) -> None:
    rng = np.random.default_rng(5)
    n = 40
    args = (rng.random(n) < 0.5, rng.uniform(80, 120, n), rng.uniform(80, 120, n), rng.uniform(0.1, 2, n), 0.05,
            rng.uniform(0.1, 0.6, n), 0.01, 120, style, method)
    a, b = crr_tree(*args, engine="numba"), crr_tree(*args, engine="numpy")
    for field in ("price", "delta", "gamma", "theta"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", [{"steps": 2}, {"style": "bermudan"}, {"method": "lr"}, {"engine": "cuda"}])
def test_binomial_rejects_bad_settings(kw: dict) -> None:
    args = {"steps": 100, "style": "american", "method": "bbsr", "engine": "numba"} | kw
    with pytest.raises(OptionInputError):
        crr_price("put", 100.0, 100.0, 1.0, 0.05, 0.2, 0.0, **args)


@settings(max_examples=40, deadline=None)
@given(k=st.floats(70, 130), t=st.floats(0.05, 2), r=st.floats(0.0, 0.1), v=st.floats(0.1, 0.6),
       q=st.floats(0, 0.06))
def test_american_put_call_parity_bounds(k: float, t: float, r: float, v: float, q: float) -> None:
    # S e^-qT - K <= C - P <= S - K e^-rT for American options (Hull, with a dividend yield)
    c = float(crr_price("call", 100.0, k, t, r, v, q, 200, "american"))
    p = float(crr_price("put", 100.0, k, t, r, v, q, 200, "american"))
    assert 100.0 * np.exp(-q * t) - k - 1e-6 <= c - p <= 100.0 - k * np.exp(-r * t) + 1e-6
