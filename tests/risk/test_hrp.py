"""HRP against PyPortfolioOpt's HRPOpt and riskfolio-lib's HCPortfolio on the same returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradefleet.risk.hrp import hrp_multipliers, hrp_weights


def _returns(n_assets: int, seed: int, n_obs: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.normal(0, 0.01, size=(n_obs, 3))
    loadings = rng.uniform(-1, 1.5, size=(3, n_assets))
    noise = rng.normal(0, 0.01, size=(n_obs, n_assets)) * rng.uniform(0.5, 3, n_assets)
    return pd.DataFrame(factors @ loadings + noise, columns=[f"A{i}" for i in range(n_assets)])


def _bundled_returns() -> pd.DataFrame:
    from tradefleet.scrapers.bundled import load_dataset

    closes = {name: load_dataset(name)["close"] for name in ("sp500", "nasdaq", "goog")}
    frame = pd.DataFrame(closes).dropna()
    return frame.pct_change().dropna().iloc[-500:]


@pytest.mark.parametrize("n_assets,seed", [(2, 1), (5, 2), (12, 3), (30, 4)])
def test_hrp_weights_equal_pypfopt(n_assets: int, seed: int) -> None:
    from pypfopt import HRPOpt

    rets = _returns(n_assets, seed)
    expected = pd.Series(HRPOpt(rets).optimize("single"))[rets.columns].to_numpy()
    got = hrp_weights(rets.to_numpy())
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)


def test_hrp_weights_equal_riskfolio() -> None:
    import riskfolio as rp

    rets = _returns(8, 11)
    port = rp.HCPortfolio(returns=rets)
    expected = port.optimization(model="HRP", codependence="pearson", rm="MV", rf=0,
                                 linkage="single", leaf_order=False)
    got = hrp_weights(rets.to_numpy())
    np.testing.assert_allclose(got, expected["weights"][rets.columns].to_numpy(), atol=1e-6, rtol=0)


def test_hrp_weights_on_real_bundled_data_equal_pypfopt() -> None:
    from pypfopt import HRPOpt

    rets = _bundled_returns()
    expected = pd.Series(HRPOpt(rets).optimize("single"))[rets.columns].to_numpy()
    np.testing.assert_allclose(hrp_weights(rets.to_numpy()), expected, atol=1e-6, rtol=0)


def test_hrp_multipliers_one_for_identical_iid_assets_and_capped() -> None:
    rng = np.random.default_rng(5)
    iid = rng.normal(0, 0.01, size=(20_000, 8))  # generated: identical, independent assets
    np.testing.assert_allclose(hrp_multipliers(iid, max_multiplier=1.5), 1.0, atol=0.05)
    # a diversifier (a quarter of the others' volatility) would get about 16x an equal share: capped
    calm = iid.copy()
    calm[:, 0] *= 0.25
    mult = hrp_multipliers(calm, max_multiplier=1.5)
    assert mult[0] == 1.5 and np.all(mult[1:] < 1.0)
    assert np.all(mult >= 0)


def test_hrp_rejects_constant_column() -> None:
    r = np.column_stack([np.linspace(-0.01, 0.01, 50), np.zeros(50)])
    with pytest.raises(ValueError, match="zero variance"):
        hrp_weights(r)


def test_hrp_single_asset_gets_everything() -> None:
    assert hrp_weights(np.array([[0.01], [0.02], [-0.01]])).tolist() == [1.0]
