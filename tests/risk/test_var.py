"""VaR / CVaR against the normal closed forms and scipy's quantiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from risk.var import (PortfolioVar, historical_cvar, historical_var, measures, parametric_cvar,
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
