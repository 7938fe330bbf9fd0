"""Black-Scholes-Merton prices and Greeks against an independent closed form (stdlib
``statistics.NormalDist``, scalar, written from the textbook formulas) and against
published values (Hull; Haug, *The Complete Guide to Option Pricing Formulas*)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.risk.options.bsm import bsm_price, bsm_valuation, is_call_array, no_arbitrage_bounds
from tradefleet.risk.options.errors import OptionInputError

N = NormalDist()


def reference(kind: str, s: float, k: float, t: float, r: float, v: float, q: float) -> dict[str, float]:
    """Textbook BSM with continuous dividend yield, one option, pure Python."""
    d1 = (math.log(s / k) + (r - q + v * v / 2) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    eq, er = math.exp(-q * t), math.exp(-r * t)
    pdf = N.pdf(d1)
    common_theta = -s * eq * pdf * v / (2 * math.sqrt(t))
    if kind == "call":
        return {"price": s * eq * N.cdf(d1) - k * er * N.cdf(d2), "delta": eq * N.cdf(d1),
                "theta": common_theta - r * k * er * N.cdf(d2) + q * s * eq * N.cdf(d1),
                "rho": k * t * er * N.cdf(d2), "gamma": eq * pdf / (s * v * math.sqrt(t)),
                "vega": s * eq * pdf * math.sqrt(t)}
    return {"price": k * er * N.cdf(-d2) - s * eq * N.cdf(-d1), "delta": -eq * N.cdf(-d1),
            "theta": common_theta + r * k * er * N.cdf(-d2) - q * s * eq * N.cdf(-d1),
            "rho": -k * t * er * N.cdf(-d2), "gamma": eq * pdf / (s * v * math.sqrt(t)),
            "vega": s * eq * pdf * math.sqrt(t)}


CASES = [(kind, s, k, t, r, v, q)
         for kind in ("call", "put")
         for s, k in ((100, 100), (100, 80), (100, 125), (42, 40), (2500, 2600))
         for t, r, v, q in ((1.0, 0.05, 0.2, 0.0), (0.25, 0.01, 0.45, 0.03), (2.0, 0.08, 0.12, 0.015))]


@pytest.mark.parametrize("case", CASES)
def test_bsm_valuation_matches_closed_form_to_1e8(case: tuple) -> None:
    kind, s, k, t, r, v, q = case
    ref = reference(kind, s, k, t, r, v, q)
    val = bsm_valuation(kind, s, k, t, r, v, q)
    for name, expected in ref.items():
        got = float(getattr(val, name))
        assert got == pytest.approx(expected, rel=1e-8, abs=1e-8), name
    assert float(bsm_price(kind, s, k, t, r, v, q)) == pytest.approx(ref["price"], rel=1e-8, abs=1e-8)


def test_bsm_matches_published_values() -> None:
    # Hull, Options Futures and Other Derivatives, example 15.6: c = 4.76, p = 0.81
    assert float(bsm_price("call", 42, 40, 0.5, 0.10, 0.2)) == pytest.approx(4.7594, abs=5e-5)
    assert float(bsm_price("put", 42, 40, 0.5, 0.10, 0.2)) == pytest.approx(0.8086, abs=5e-5)
    # Haug (2007) 1.1.1: call 2.1334; 1.1.4 Merton 1973 with yield: put 2.4648
    assert float(bsm_price("call", 60, 65, 0.25, 0.08, 0.30)) == pytest.approx(2.1334, abs=5e-5)
    assert float(bsm_price("put", 100, 95, 0.5, 0.10, 0.20, 0.05)) == pytest.approx(2.4648, abs=5e-5)


def test_bsm_is_vectorised_and_broadcasts() -> None:
    rng = np.random.default_rng(7)
    n = 500
    s, k = rng.uniform(50, 150, n), rng.uniform(50, 150, n)
    t, v = rng.uniform(0.05, 3, n), rng.uniform(0.05, 1.0, n)
    call = rng.random(n) < 0.5
    val = bsm_valuation(call, s, k, t, 0.03, v, 0.01)
    assert val.price.shape == (n,)
    for i in range(0, n, 50):
        ref = reference("call" if call[i] else "put", s[i], k[i], t[i], 0.03, v[i], 0.01)
        assert val.price[i] == pytest.approx(ref["price"], rel=1e-8, abs=1e-8)
        assert val.theta[i] == pytest.approx(ref["theta"], rel=1e-8, abs=1e-8)
    grid = bsm_price(["call", "put"], 100, np.array([[90.0], [100.0], [110.0]]), 1, 0.05, 0.2)
    assert grid.shape == (3, 2)


@settings(max_examples=200, deadline=None)
@given(s=st.floats(1, 5000), m=st.floats(0.5, 2.0), t=st.floats(0.01, 5), r=st.floats(-0.02, 0.15),
       v=st.floats(0.02, 2.0), q=st.floats(0, 0.1))
def test_put_call_parity_holds(s: float, m: float, t: float, r: float, v: float, q: float) -> None:
    k = s * m
    c, p = bsm_price("call", s, k, t, r, v, q), bsm_price("put", s, k, t, r, v, q)
    forward_gap = s * math.exp(-q * t) - k * math.exp(-r * t)
    assert float(c - p) == pytest.approx(forward_gap, abs=1e-9 * max(s, k))
    val = bsm_valuation(["call", "put"], s, k, t, r, v, q)
    assert float(val.delta[0] - val.delta[1]) == pytest.approx(math.exp(-q * t), abs=1e-12)
    assert float(val.gamma[0]) == pytest.approx(float(val.gamma[1]), rel=1e-12)
    assert float(val.vega[0]) == pytest.approx(float(val.vega[1]), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(s=st.floats(10, 500), m=st.floats(0.5, 2.0), t=st.floats(0.02, 3), r=st.floats(0, 0.1),
       v=st.floats(0.05, 1.0), q=st.floats(0, 0.05), call=st.booleans())
def test_price_within_no_arbitrage_bounds(s: float, m: float, t: float, r: float, v: float, q: float,
                                         call: bool) -> None:
    lo, hi = no_arbitrage_bounds(call, s, s * m, t, r, q)
    price = float(bsm_price(call, s, s * m, t, r, v, q))
    assert float(lo) - 1e-9 <= price <= float(hi) + 1e-9


@pytest.mark.parametrize("bad", [{"s": 0.0}, {"k": -1.0}, {"t": 0.0}, {"v": 0.0}, {"v": float("nan")}])
def test_bsm_rejects_bad_inputs(bad: dict[str, float]) -> None:
    args = {"s": 100.0, "k": 100.0, "t": 1.0, "v": 0.2} | bad
    with pytest.raises(OptionInputError):
        bsm_price("call", args["s"], args["k"], args["t"], 0.05, args["v"])


def test_is_call_array_parses_kinds() -> None:
    assert is_call_array(["call", "P", "c", "put"]).tolist() == [True, False, True, False]
    assert is_call_array(np.array(["call", "put", "put"])).tolist() == [True, False, False]
    assert is_call_array(np.array(["call", " Put", "C"])).tolist() == [True, False, True]
    with pytest.raises(OptionInputError, match="'strangle'"):
        is_call_array(np.array(["call", "put", "strangle"]))
    with pytest.raises(OptionInputError, match="straddle"):
        is_call_array("straddle")
