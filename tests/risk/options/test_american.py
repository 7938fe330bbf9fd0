"""Bjerksund-Stensland (2002) against published values and independent references.

References: Haug, *The Complete Guide to Option Pricing Formulas* (2nd ed., table of
the 2002 approximation, futures options b = 0); QuantLib's finite-difference American
engine (an independent implementation); QuantLib's Bjerksund-Stensland engine, which is
the 1993 one-step boundary and so a lower bound of the 2002 two-step value.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from tradefleet.risk.options.american import (bivariate_normal_cdf, bjerksund_stensland_price,
                                   bjerksund_stensland_valuation)
from tradefleet.risk.options.bsm import bsm_price
from tradefleet.risk.options.bump import bump_greeks


def test_bivariate_normal_cdf_matches_scipy() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=40) * 2, rng.normal(size=40) * 2
    for rho in (0.786, -0.786, 0.3):
        ref = [multivariate_normal(cov=[[1, rho], [rho, 1]]).cdf([x, y]) for x, y in zip(a, b)]
        assert np.allclose(bivariate_normal_cdf(a, b, rho), ref, atol=1e-12)


def test_bivariate_normal_cdf_refuses_rho_outside_the_rule() -> None:
    with pytest.raises(ValueError, match="rho"):
        bivariate_normal_cdf(0.0, 0.0, 0.95)


@pytest.mark.parametrize(("spot", "expected"), [(90, 0.0205), (100, 1.8757), (110, 10.0)])
def test_bs2002_matches_haug_table_futures_call(spot: float, expected: float) -> None:
    # Haug (2007), §3.1.3, the BS2002 table: X=100, T=0.1, r=0.1, b=0 (q = r), v=0.15
    assert float(bjerksund_stensland_price("call", spot, 100, 0.1, 0.1, 0.15, 0.1)) == pytest.approx(expected, abs=5e-5)


def test_bs2002_call_without_dividend_is_the_european_price() -> None:
    s = np.array([80.0, 100.0, 120.0])
    assert np.allclose(bjerksund_stensland_price("call", s, 100, 0.5, 0.05, 0.25),
                       bsm_price("call", s, 100, 0.5, 0.05, 0.25), atol=1e-12)


def test_bs2002_put_is_above_european_and_intrinsic() -> None:
    s = np.linspace(40, 160, 25)
    am = bjerksund_stensland_price("put", s, 100, 0.75, 0.06, 0.3)
    assert np.all(am >= bsm_price("put", s, 100, 0.75, 0.06, 0.3) - 1e-12)
    assert np.all(am >= np.maximum(100 - s, 0) - 1e-12)


def _quantlib_american(kind: str, spot: float, strike: float, days: int, r: float, v: float, q: float,
                       engine: str) -> tuple[float, float]:
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(3, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    expiry = today + days
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, strike)
    option = ql.VanillaOption(payoff, ql.AmericanExercise(today, expiry))
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)), ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), v, dc)))
    if engine == "fd":
        option.setPricingEngine(ql.FdBlackScholesVanillaEngine(process, 400, 400))
    else:
        option.setPricingEngine(ql.BjerksundStenslandApproximationEngine(process))
    return option.NPV(), dc.yearFraction(today, expiry)


@pytest.mark.parametrize("kind", ["put", "call"])
@pytest.mark.parametrize("spot", [80.0, 95.0, 100.0, 105.0, 120.0])
def test_bs2002_close_to_quantlib_finite_differences(kind: str, spot: float) -> None:
    fd, t = _quantlib_american(kind, spot, 100.0, 182, 0.05, 0.25, 0.04, "fd")
    ours = float(bjerksund_stensland_price(kind, spot, 100.0, t, 0.05, 0.25, 0.04))
    assert ours <= fd + 1e-3                       # the approximation is a lower bound
    assert ours == pytest.approx(fd, rel=6e-3, abs=2e-3)
    bs1993, _ = _quantlib_american(kind, spot, 100.0, 182, 0.05, 0.25, 0.04, "bs1993")
    assert ours >= bs1993 - 1e-9                   # two-step boundary beats the flat one


def test_bs2002_valuation_equals_bumping_the_price() -> None:
    kind = np.array(["put", "call", "put"])
    s, k, t, v = np.array([90.0, 100.0, 110.0]), np.array([100.0, 95.0, 100.0]), np.array([0.2, 0.5, 1.0]), 0.3
    val = bjerksund_stensland_valuation(kind, s, k, t, 0.04, v, 0.02)
    ref = bump_greeks(lambda s_, t_, r_, v_: bjerksund_stensland_price(kind, s_, k, t_, r_, v_, 0.02), s, t, 0.04, v)
    for g in ("price", "delta", "gamma", "theta", "vega", "rho"):
        assert np.allclose(getattr(val, g), getattr(ref, g), rtol=1e-9, atol=1e-9), g
    assert np.all(val.delta[[0, 2]] < 0) and val.delta[1] > 0


def test_bs2002_prices_a_mixed_batch_as_each_contract_alone() -> None:
    """Calls and puts of a chain go through the formula as one batch: every price equals, to
    the last bit, the price of that contract on its own (generated inputs)."""
    rng = np.random.default_rng(11)
    n = 64
    kind = np.where(rng.random(n) < 0.5, "call", "put")
    s = rng.uniform(50, 500, n)
    k = s * rng.uniform(0.7, 1.3, n)
    t = rng.uniform(0.01, 1.0, n)
    v = rng.uniform(0.1, 0.6, n)
    q = rng.choice([0.0, 0.01, 0.05], n)
    batch = bjerksund_stensland_price(kind, s, k, t, 0.04, v, q)
    alone = np.array([bjerksund_stensland_price(kind[i], s[i], k[i], t[i], 0.04, v[i], q[i]) for i in range(n)])
    assert np.array_equal(batch.view(np.int64), alone.reshape(n).view(np.int64))


def test_bs2002_stacked_and_term_by_term_paths_agree_to_the_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small batch prices its terms stacked, a large one term by term (generated inputs,
    puts and dividend calls): both paths give every price to the last bit."""
    from tradefleet.risk.options import american as am

    rng = np.random.default_rng(13)
    n = 150
    kind = np.where(rng.random(n) < 0.5, "call", "put")
    s, t, v = rng.uniform(50, 500, n), rng.uniform(0.01, 1.5, n), rng.uniform(0.1, 0.8, n)
    k, q = s * rng.uniform(0.6, 1.4, n), rng.choice([0.0, 0.02, 0.06], n)
    monkeypatch.setattr(am, "_STACK_MAX", n)
    stacked = bjerksund_stensland_price(kind, s, k, t, 0.04, v, q)
    monkeypatch.setattr(am, "_STACK_MAX", 0)
    by_term = bjerksund_stensland_price(kind, s, k, t, 0.04, v, q)
    assert np.array_equal(stacked.view(np.int64), by_term.view(np.int64))


def test_bs2002_terms_in_one_batch_equal_each_term_alone() -> None:
    """phi's six and psi's five terms are rows of one batch each, and psi's four bivariate
    normals one batch: every row equals, to the last bit, that term computed on its own
    (generated inputs; the rows' correlations are +rho, +rho, -rho, -rho)."""
    from tradefleet.risk.options import american as am

    rng = np.random.default_rng(5)
    n = 40
    s, h, i1 = rng.uniform(50, 150, n), rng.uniform(60, 140, n), rng.uniform(100, 200, n)
    i2, t = i1 * 1.1, rng.uniform(0.05, 1.0, n)
    r, b, v = rng.uniform(0.01, 0.05, n), rng.uniform(-0.03, 0.0, n), rng.uniform(0.1, 0.5, n)
    gammas = [rng.uniform(1.5, 3.0, n), np.ones(n), np.zeros(n)]
    bits = lambda x: np.asarray(x).view(np.int64)  # noqa: E731
    stacked = am._ksi(s, t, np.stack(gammas), np.stack([h, i1, h]), i2, i1, am._T1_SHARE * t, r, b, v)
    for row, (g, hh) in enumerate(zip(gammas, [h, i1, h], strict=True)):
        alone = am._ksi(s, t, g[None], hh[None], i2, i1, am._T1_SHARE * t, r, b, v)[0]
        assert np.array_equal(bits(stacked[row]), bits(alone))
    a, c = rng.normal(size=(4, n)) * 2, rng.normal(size=(4, n)) * 2
    rows = am._bvn(a, c, am._PSI_ASR[:, None], am._PSI_SN[:, None, :])
    for row, rho in enumerate([am._RHO, am._RHO, -am._RHO, -am._RHO]):
        assert np.array_equal(bits(rows[row]), bits(bivariate_normal_cdf(a[row], c[row], rho)))
