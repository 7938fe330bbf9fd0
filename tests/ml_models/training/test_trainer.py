"""Training on real bundled data: a report against naive baselines (never a profit claim)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tradefleet.ml_models.errors import TrainingError
from tradefleet.ml_models.training.trainer import TrainSpec, build_dataset, train_asset
from tradefleet.scrapers.bundled import load_dataset

SMALL = TrainSpec(kind="xgboost", n_estimators=20, n_splits=2, device="cpu")


def test_train_reports_out_of_sample_against_baselines(spx: pd.DataFrame) -> None:
    res = train_asset(spx, "SPX", SMALL)
    m = res.metrics
    assert m["oos_folds"] == 2 and m["oos_rows"] > 500
    for key in ("oos_logloss", "baseline_logloss", "oos_accuracy", "baseline_accuracy", "oos_auc"):
        assert math.isfinite(m[key])
    assert 0.0 <= m["baseline_accuracy"] <= 1.0
    assert m["beats_baseline"] == (m["oos_logloss"] < m["baseline_logloss"])
    card = res.model.card
    assert card.asset == "SPX" and card.feature_hash == res.model.feature_set.hash
    assert card.train_start < card.train_end
    p = res.model.predict_proba(spx)
    assert 0.0 <= p <= 1.0


def test_training_rows_all_have_defined_features(spx: pd.DataFrame) -> None:
    ds = build_dataset(spx, horizon=3)
    assert not np.isnan(ds.X).any() and not np.isnan(ds.y).any()
    assert (ds.end == np.arange(len(ds.y)) + 3).all()


def test_lightgbm_profit_objective_trains(spx: pd.DataFrame) -> None:
    res = train_asset(spx, "SPX", TrainSpec(kind="lightgbm", objective="profit", n_estimators=20,
                                             n_splits=2, calibration="isotonic"), report=False)
    assert res.metrics == {} and res.model.card.calibration["method"] == "isotonic"
    assert 0.0 <= res.model.predict_proba(spx) <= 1.0


def test_monthly_bars_are_refused() -> None:
    with pytest.raises(TrainingError, match="timeframe"):
        train_asset(load_dataset("btcusd"), "BTC/USD", SMALL)


def test_too_little_data_is_refused(spx: pd.DataFrame) -> None:
    with pytest.raises(TrainingError, match="usable rows"):
        train_asset(spx.iloc[:400], "SPX", SMALL)
