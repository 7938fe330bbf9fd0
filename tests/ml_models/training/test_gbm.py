"""The abs-return objective and the calibrators against their reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from tradefleet.ml_models.training.calibration import Calibrator
from tradefleet.ml_models.training.gbm import (
    XGB_PARAMS, abs_return_objective, fit_lightgbm, fit_xgboost, lightgbm_margin, load_lightgbm, load_xgboost,
    return_weights, sigmoid, xgboost_margin,
)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(1500, 8))
    ret = 0.01 * rng.normal(size=1500) + 0.004 * X[:, 0]
    return X, (ret > 0).astype(float), ret


def test_profit_objective_equals_abs_return_weighted_logloss(data: tuple[np.ndarray, ...]) -> None:
    X, y, ret = data
    exact = {"tree_method": "exact", "subsample": 1.0, "colsample_bytree": 1.0}
    raw = fit_xgboost(X, y, ret, objective="profit", n_estimators=15, params=exact)
    got = xgboost_margin(load_xgboost(raw), X)
    ref = xgb.train({**XGB_PARAMS, **exact, "seed": 0, "objective": "binary:logistic", "base_score": 0.5},
                    xgb.DMatrix(X, label=y, weight=return_weights(ret)), num_boost_round=15)
    np.testing.assert_allclose(got, ref.inplace_predict(X, predict_type="margin"), atol=1e-5)
    plain = xgboost_margin(load_xgboost(fit_xgboost(X, y, ret, objective="logloss", n_estimators=15,
                                                    params=exact)), X)
    assert np.abs(plain - got).max() > 1e-3  # the weighting changes the trees


def test_objective_gradient_is_weighted_logistic() -> None:
    class D:
        def get_label(self) -> np.ndarray:
            return np.array([1.0, 0.0])

    w = np.array([2.0, 0.5])
    grad, hess = abs_return_objective(w)(np.array([0.0, 1.0]), D())
    p = sigmoid(np.array([0.0, 1.0]))
    np.testing.assert_allclose(grad, w * (p - [1.0, 0.0]))
    np.testing.assert_allclose(hess, w * p * (1 - p))


def test_lightgbm_round_trip_predicts_identically(data: tuple[np.ndarray, ...]) -> None:
    X, y, ret = data
    raw = fit_lightgbm(X, y, ret, objective="profit", n_estimators=20)
    a = lightgbm_margin(load_lightgbm(raw), X)
    assert np.array_equal(a, lightgbm_margin(load_lightgbm(raw), X))
    assert ((sigmoid(a) > 0.5) == (y == 1)).mean() > 0.6  # the signal in X[:, 0] is learnt


def test_isotonic_calibrator_equals_sklearn(data: tuple[np.ndarray, ...]) -> None:
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(1)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p ** 2).astype(float)
    cal = Calibrator.fit(p, y, "isotonic")
    ref = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(p, y)
    q = rng.uniform(-0.1, 1.1, size=300)
    np.testing.assert_allclose(cal(q), np.clip(ref.predict(q), 1e-6, 1 - 1e-6))
    assert Calibrator.from_json(cal.to_json()) == cal


def test_sigmoid_calibrator_equals_platt_scaling() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.95, size=500)
    y = (rng.uniform(size=500) < 0.5 + 0.5 * (p - 0.5)).astype(float)
    cal = Calibrator.fit(p, y, "sigmoid")
    z = np.log(p / (1 - p)).reshape(-1, 1)
    ref = LogisticRegression(C=1e6).fit(z, y).predict_proba(z)[:, 1]
    np.testing.assert_allclose(cal(p), ref, rtol=1e-6)
