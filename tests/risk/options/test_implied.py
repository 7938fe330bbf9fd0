"""Implied volatility: round trips, vectorised solving, and the no-solution error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.risk.options.binomial import crr_price
from tradefleet.risk.options.bsm import bsm_price, bsm_valuation
from tradefleet.risk.options.errors import ImpliedVolError
from tradefleet.risk.options.implied import implied_vol, implied_vol_array


@settings(max_examples=200, deadline=None)
@given(m=st.floats(0.7, 1.4), t=st.floats(0.02, 3), r=st.floats(-0.01, 0.1), v=st.floats(0.03, 2.5),
       q=st.floats(0, 0.06), call=st.booleans())
def test_implied_vol_round_trips(m: float, t: float, r: float, v: float, q: float, call: bool) -> None:
    kind = "call" if call else "put"
    val = bsm_valuation(kind, 100.0, 100.0 * m, t, r, v, q)
    if float(val.vega) < 1e-3:  # price insensitive to vol: vol not identifiable to 1e-6
        return
    got = implied_vol(float(val.price), kind, 100.0, 100.0 * m, t, r, q)
    assert got == pytest.approx(v, abs=1e-7)


def test_implied_vol_array_solves_a_chain() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    s, k = rng.uniform(50, 150, n), rng.uniform(50, 150, n)
    t, v = rng.uniform(0.05, 2, n), rng.uniform(0.05, 1.5, n)
    call = rng.random(n) < 0.5
    val = bsm_valuation(call, s, k, t, 0.03, v, 0.01)
    iv = implied_vol_array(val.price, call, s, k, t, 0.03, 0.01)
    ok = val.vega > 1e-2
    assert np.isfinite(iv[ok]).all()
    assert np.abs(iv[ok] - v[ok]).max() < 1e-8


def test_implied_vol_array_marks_impossible_prices_nan() -> None:
    prices = np.array([10.0, 0.5, 150.0, np.nan])
    iv = implied_vol_array(prices, "call", 100.0, 95.0, 1.0, 0.05)
    assert np.isfinite(iv[0]) and np.isnan(iv[1:]).all()


@pytest.mark.parametrize("price", [0.5, 100.0, 150.0])
def test_no_solution_error_names_price_and_bounds(price: float) -> None:
    with pytest.raises(ImpliedVolError) as info:
        implied_vol(price, "call", 100.0, 95.0, 1.0, 0.05)
    err = info.value
    lower = 100.0 - 95.0 * np.exp(-0.05)
    assert err.lower == pytest.approx(lower) and err.upper == pytest.approx(100.0)
    msg = str(err)
    assert f"{price:.6g}" in msg and f"{lower:.6g}" in msg and "no-arbitrage bounds" in msg


def test_american_implied_vol_round_trips() -> None:
    for kind, k, q in (("put", 110.0, 0.0), ("put", 90.0, 0.02), ("call", 100.0, 0.04)):
        p = float(crr_price(kind, 100.0, k, 0.75, 0.05, 0.32, q, 300, "american"))
        assert implied_vol(p, kind, 100.0, k, 0.75, 0.05, q, "american", 300) == pytest.approx(0.32, abs=1e-8)


def test_american_put_below_intrinsic_has_no_implied_vol() -> None:
    with pytest.raises(ImpliedVolError, match="American put price 9.5"):
        implied_vol(9.5, "put", 100.0, 110.0, 1.0, 0.05, 0.0, "american")


def test_european_deep_itm_put_below_intrinsic_is_still_solvable() -> None:
    # European puts can trade below intrinsic (K e^-rT < K): not an arbitrage
    p = float(bsm_price("put", 100.0, 130.0, 2.0, 0.08, 0.15))
    assert p < 30.0
    assert implied_vol(p, "put", 100.0, 130.0, 2.0, 0.08) == pytest.approx(0.15, abs=1e-6)
