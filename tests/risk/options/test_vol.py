"""Volatility: realised vol, GARCH(1,1) on the bundled S&P 500 (checked against arch's own
forecasts), the causal filter, and realised versus implied (VIX)."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tradefleet.risk.options.errors import OptionsError
from tradefleet.risk.options.vol import (
    GarchFit,
    fit_garch,
    forward_realized_vol,
    garch_filter_vol,
    realized_vol,
    realized_vs_implied,
    sp500_garch,
    vix_implied,
)
from tradefleet.scrapers.bundled import load_dataset


@cache
def _fit() -> GarchFit:
    return sp500_garch()


@cache
def _close() -> pd.Series:
    return load_dataset("sp500")["close"]


def test_realized_vol_is_the_annualised_std_of_log_returns() -> None:
    close = _close().iloc[:300]
    rv = realized_vol(close, 21)
    r = np.log(close.to_numpy())
    manual = np.std(np.diff(r)[-21:], ddof=1) * math.sqrt(252)
    assert rv.iloc[-1] == pytest.approx(manual, rel=1e-12)
    assert rv.iloc[:21].isna().all() and rv.iloc[21:].notna().all()
    fwd = forward_realized_vol(close, 21)
    assert fwd.iloc[100] == pytest.approx(rv.iloc[121], rel=1e-12)


def test_sp500_garch_is_stationary_and_plausible() -> None:
    fit = _fit()
    assert fit.nobs == len(_close()) - 1
    assert 0.05 < fit.alpha < 0.2 and 0.75 < fit.beta < 0.95
    assert 0.95 < fit.persistence < 1.0
    assert 0.14 < fit.long_run_vol < 0.25  # the S&P 500's long-run vol, 1999-2018
    cond = fit.conditional_vol
    assert cond.max() > 0.6  # autumn 2008
    assert cond.index[cond.argmax()].year == 2008


def test_garch_forecasts_match_arch_and_revert_to_the_long_run() -> None:
    from arch import arch_model

    fit = _fit()
    res = arch_model(100 * np.log(_close()).diff().dropna(), mean="Constant", vol="GARCH", p=1, q=1).fit(disp="off")
    arch_var = res.forecast(horizon=63, reindex=False).variance.iloc[-1].to_numpy()
    np.testing.assert_allclose(fit.forecast_variances(63), arch_var, rtol=1e-6)
    assert fit.forecast_vol(1) == pytest.approx(math.sqrt(arch_var[0] * 252) / 100, rel=1e-6)
    far = fit.forecast_vol(20_000)
    assert far == pytest.approx(fit.long_run_vol, rel=0.02)
    # end of 2018 was turbulent: the forecast falls toward the long run with the horizon
    assert fit.forecast_vol(1) > fit.forecast_vol(21) > fit.forecast_vol(252) > fit.long_run_vol


def test_fit_garch_needs_enough_data() -> None:
    with pytest.raises(OptionsError, match="at least 250 returns"):
        fit_garch(_close().iloc[:100])
    with pytest.raises(OptionsError, match="horizon"):
        _fit().forecast_variances(0)


def test_garch_filter_is_causal() -> None:
    close = _close().iloc[:800]
    full = garch_filter_vol(close)
    part = garch_filter_vol(close.iloc[:500])
    pd.testing.assert_series_equal(part, full.iloc[:500], check_exact=True)
    assert full.iloc[:20].isna().all() and full.iloc[21:].notna().all()
    with pytest.raises(OptionsError):
        garch_filter_vol(close, alpha=0.5, beta=0.6)


def test_garch_filter_tracks_realised_vol() -> None:
    close = _close()
    g, rv = garch_filter_vol(close), forward_realized_vol(close, 21)
    both = pd.concat([g, rv], axis=1).dropna()
    assert both.corr().iloc[0, 1] > 0.6


def test_vix_carries_a_variance_risk_premium_over_realised() -> None:
    cmp = realized_vs_implied(_close(), vix_implied())
    s = cmp.summary
    assert s["days"] > 1200  # 2014-01 .. 2018-12, less the last month's forward window
    assert 0.1 < s["mean_implied"] < 0.2
    assert s["mean_premium"] > 0.01  # implied above realised on average: the premium sellers earn
    assert s["share_implied_above"] > 0.7
    assert s["correlation"] > 0.3
    row = cmp.frame.loc["2016-06-01"]
    assert row["premium"] == pytest.approx(row["implied"] - row["realized_forward"])


def test_realized_vs_implied_needs_overlap() -> None:
    implied = pd.Series([0.2] * 10, index=pd.date_range("1990-01-01", periods=10))
    with pytest.raises(OptionsError, match="common dates"):
        realized_vs_implied(_close(), implied)
