"""Gradient-boosted trees (XGBoost, LightGBM) for the up-move probability.

Two objectives: ``logloss`` (the standard binary log-loss) and ``profit``, a custom
XGBoost objective whose per-row gradient and hessian are the log-loss's scaled by the
row's absolute forward return (normalised to mean 1), so the trees spend their capacity
on the moves that carry the money. LightGBM gets the same weighting as sample weights.
Both boosters predict margins; the probability is their logistic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

# Half the cores, at least one: training runs beside the live event loop, and OpenMP
# workers spin-wait, so an oversubscribed box loses far more than the extra thread gains
# (measured here: 50 trees on 100k x 50 took 7.4 s of CPU with 2 threads, 1.4 s with 1).
THREADS = max(1, (os.cpu_count() or 2) // 2)
XGB_PARAMS: dict[str, Any] = {
    "tree_method": "hist", "max_depth": 4, "eta": 0.05, "subsample": 0.8,
    "colsample_bytree": 0.8, "min_child_weight": 5.0, "lambda": 1.0, "nthread": THREADS,
}
LGB_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 20,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
    "num_threads": THREADS, "verbose": -1, "deterministic": True, "force_row_wise": True,
}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic of ``z``."""
    return 1.0 / (1.0 + np.exp(-z))


def return_weights(ret: np.ndarray) -> np.ndarray:
    """Return ``|ret|`` normalised to mean 1 (all ones if every return is zero)."""
    w = np.abs(np.asarray(ret, dtype=np.float64))
    m = w.mean() if w.size else 0.0
    return w / m if m > 0 else np.ones_like(w)


def abs_return_objective(weights: np.ndarray) -> Callable[[np.ndarray, Any], tuple[np.ndarray, np.ndarray]]:
    """Return an XGBoost objective: log-loss gradient/hessian weighted by ``weights``."""

    def objective(margin: np.ndarray, dtrain: Any) -> tuple[np.ndarray, np.ndarray]:
        y = dtrain.get_label()
        p = sigmoid(margin)
        grad = weights * (p - y)
        hess = np.maximum(weights * p * (1.0 - p), 1e-16)
        return grad, hess

    return objective


def fit_xgboost(X: np.ndarray, y: np.ndarray, ret: np.ndarray, *, objective: str, n_estimators: int,
                seed: int = 0, device: str = "cpu", params: dict[str, Any] | None = None) -> bytes:
    """Train an XGBoost booster and return it serialised (UBJSON bytes).

    ``params`` override :data:`XGB_PARAMS` (``device`` is ``"cuda"`` where a GPU is present).
    """
    import xgboost as xgb

    params = {**XGB_PARAMS, **(params or {}), "seed": seed, "device": device, "base_score": 0.5}
    dtrain = xgb.DMatrix(X, label=y)
    if objective == "logloss":
        booster = xgb.train({**params, "objective": "binary:logistic"}, dtrain, num_boost_round=n_estimators)
    elif objective == "profit":
        # base_score is a probability for binary:logistic; with a custom objective it is the
        # raw starting margin, so 0.0 here is the same start (p = 0.5)
        booster = xgb.train({**params, "base_score": 0.0}, dtrain, num_boost_round=n_estimators,
                            obj=abs_return_objective(return_weights(ret)))
    else:
        raise ValueError(f"unknown objective {objective!r}")
    return bytes(booster.save_raw("ubj"))


def load_xgboost(raw: bytes) -> Any:
    """Return a booster from :func:`fit_xgboost` bytes (predicting on the CPU)."""
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    booster.set_param({"device": "cpu", "nthread": 1})
    return booster


def xgboost_margin(booster: Any, X: np.ndarray) -> np.ndarray:
    """Return the booster's raw margins for rows ``X``."""
    return np.asarray(booster.inplace_predict(X, predict_type="margin"), dtype=np.float64)


def fit_lightgbm(X: np.ndarray, y: np.ndarray, ret: np.ndarray, *, objective: str, n_estimators: int,
                 seed: int = 0) -> bytes:
    """Train a LightGBM booster and return its model text (UTF-8 bytes)."""
    import lightgbm as lgb

    weight = return_weights(ret) if objective == "profit" else None
    data = lgb.Dataset(X, label=y, weight=weight, params={"verbose": -1})
    booster = lgb.train({**LGB_PARAMS, "seed": seed}, data, num_boost_round=n_estimators)
    return str(booster.model_to_string()).encode()


def load_lightgbm(raw: bytes) -> Any:
    """Return a booster from :func:`fit_lightgbm` bytes."""
    import lightgbm as lgb

    return lgb.Booster(model_str=raw.decode())


def lightgbm_margin(booster: Any, X: np.ndarray) -> np.ndarray:
    """Return the booster's raw scores for rows ``X``."""
    return np.asarray(booster.predict(X, raw_score=True, num_threads=1), dtype=np.float64)
