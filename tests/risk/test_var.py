"""VaR / CVaR against the normal closed forms and scipy's quantiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tradefleet.risk.var import (PortfolioVar, historical_cvar, historical_var, measures, parametric_cvar,
                      parametric_var)


@pytest.mark.parametrize("alpha", [0.95, 0.99])
def test_parametric_var_cvar_equal_closed_forms(alpha: float) -> None:
    mu, sigma = 0.0004, 0.012
    z = stats.norm.ppf(1 - alpha)
    assert parametric_var(mu, sigma, alpha) == pytest.approx(-(mu + sigma * z), abs=1e-12)
    closed = -(mu - sigma * stats.norm.pdf(z) / (1 - alpha))
    assert parametric_cvar(mu, sigma, alpha) == pytest.approx(closed, abs=1e-12)
    # CVaR by integrating the normal tail numerically
    tail = stats.norm(mu, sigma).expect(lambda x: x, ub=mu + sigma * z, conditional=True)
    assert parametric_cvar(mu, sigma, alpha) == pytest.approx(-tail, rel=1e-7)


@pytest.mark.parametrize("alpha", [0.95, 0.99])
def test_historical_var_equals_scipy_quantile(alpha: float) -> None:
    r = np.random.default_rng(3).standard_t(4, size=2_000) * 0.01
    q = stats.mstats.mquantiles(r, prob=[1 - alpha], alphap=1, betap=1)[0]
    assert historical_var(r, alpha) == pytest.approx(-q, abs=1e-15)
    assert historical_cvar(r, alpha) == pytest.approx(-r[r <= q].mean(), abs=1e-15)


def test_historical_measures_converge_to_normal_closed_form_on_normal_returns() -> None:
    mu, sigma = 0.0, 0.01
    r = np.random.default_rng(7).normal(mu, sigma, size=400_000)
    hist = measures(r, "historical")
    assert hist.var95 == pytest.approx(parametric_var(mu, sigma, 0.95), rel=0.01)
    assert hist.var99 == pytest.approx(parametric_var(mu, sigma, 0.99), rel=0.01)
    assert hist.cvar95 == pytest.approx(parametric_cvar(mu, sigma, 0.95), rel=0.01)
    assert hist.cvar99 == pytest.approx(parametric_cvar(mu, sigma, 0.99), rel=0.015)


def test_portfolio_var_parametric_uses_covariance() -> None:
    rng = np.random.default_rng(1)
    r = rng.multivariate_normal([0, 0], [[1e-4, 5e-5], [5e-5, 4e-4]], size=1_000)
    pv = PortfolioVar(["A", "B"], r)
    w = pv.weights({"A": 0.5, "B": -0.2, "ZZZ": 1.0})
    assert w.tolist() == [0.5, -0.2]
    m = pv.measure(w, "parametric")
    port = r @ w
    assert m.var99 == pytest.approx(-(port.mean() + port.std(ddof=1) * stats.norm.ppf(0.01)), rel=1e-9)
    h = pv.measure(w, "historical")
    assert h.var95 == pytest.approx(-np.quantile(port, 0.05), abs=1e-15)


def test_measures_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown VaR method"):
        measures(np.zeros(10), "garch")


@pytest.mark.parametrize("n", [20, 250, 1001])
def test_fast_historical_path_equals_numpy_quantile(n: int) -> None:
    r = np.random.default_rng(n).normal(0, 0.01, n)
    m = measures(r, "historical")
    assert m.var95 == pytest.approx(historical_var(r, 0.95), abs=1e-15)
    assert m.var99 == pytest.approx(historical_var(r, 0.99), abs=1e-15)
    assert m.cvar95 == pytest.approx(historical_cvar(r, 0.95), abs=1e-15)
    assert m.cvar99 == pytest.approx(historical_cvar(r, 0.99), abs=1e-15)


def test_var_probe_equals_full_measure() -> None:
    rng = np.random.default_rng(5)
    r = rng.normal(0, 0.01, (300, 6)) + rng.normal(0, 0.01, (300, 1))
    pv = PortfolioVar(list("ABCDEF"), r)
    base = np.array([0.1, -0.05, 0.2, 0.0, 0.03, -0.1])
    probe = pv.probe(base)
    for j, dw in ((0, 0.05), (3, -0.2), (5, 0.1)):
        w = base.copy()
        w[j] += dw
        for method in ("historical", "parametric"):
            a, b = probe.at(j, dw, method).as_dict(), pv.measure(w, method).as_dict()
            for k in a:
                assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-15)


def test_var_probe_shift_equals_a_fresh_probe() -> None:
    rng = np.random.default_rng(6)
    pv = PortfolioVar(list("ABC"), rng.normal(0, 0.01, (200, 3)))
    base = np.array([0.1, 0.2, -0.1])
    probe = pv.probe(base.copy())
    assert probe.shift("B", 0.05) and not probe.shift("ZZZ", 1.0)
    fresh = pv.probe(np.array([0.1, 0.25, -0.1]))
    for method in ("historical", "parametric"):
        a, b = probe.at(0, 0.01, method).as_dict(), fresh.at(0, 0.01, method).as_dict()
        for k in a:
            assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-15)
