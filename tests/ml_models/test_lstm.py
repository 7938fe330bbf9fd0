"""The LSTM family behind the same interface: deterministic, round-trips through the registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tradefleet.ml_models.lstm import LSTMModel
from tradefleet.ml_models.registry import ModelRegistry
from tradefleet.ml_models.training.trainer import TrainSpec, build_dataset, train_asset

SPEC = TrainSpec(kind="lstm", n_splits=2, lstm_epochs=2, lstm_seq_len=8, lstm_hidden=8, device="cpu")


def test_lstm_trains_deterministically_and_round_trips(spx: pd.DataFrame, tmp_path: Path) -> None:
    a = train_asset(spx, "SPX", SPEC, report=False).model
    b = train_asset(spx, "SPX", SPEC, report=False).model
    assert isinstance(a, LSTMModel) and a.rows_needed == 8
    pa = a.predict_proba(spx)
    assert 0.0 <= pa <= 1.0 and pa == b.predict_proba(spx)
    reg = ModelRegistry(tmp_path)
    reg.register(a)
    reg.promote("SPX", 1)
    assert reg.load_promoted("SPX").predict_proba(spx) == pa


def test_lstm_sequences_read_only_past_rows(spx: pd.DataFrame) -> None:
    model = train_asset(spx, "SPX", SPEC, report=False).model
    X = build_dataset(spx, 1).X
    full = model.raw_series(X)
    assert np.isnan(full[:7]).all()
    cut = model.raw_series(X[:500])
    np.testing.assert_allclose(cut[7:], full[7:500], rtol=1e-5)


def test_lstm_walk_forward_report(spx: pd.DataFrame) -> None:
    res = train_asset(spx, "SPX", SPEC)
    assert res.metrics["oos_rows"] > 0 and np.isfinite(res.metrics["oos_logloss"])
