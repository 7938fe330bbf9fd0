"""How a model is trained: the one frozen spec the trainer and every model kind read."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TrainSpec"]


@dataclass(frozen=True)
class TrainSpec:
    """How to train: model family, objective, label horizon, folds, calibration."""

    kind: str = "xgboost"
    objective: str = "logloss"
    horizon: int = 1
    n_splits: int = 5
    test_fraction: float = 0.5
    embargo: int = 5
    calibration: str = "sigmoid"
    calib_fraction: float = 0.2
    n_estimators: int = 200
    seed: int = 0
    device: str | None = None
    lstm_seq_len: int = 16
    lstm_hidden: int = 32
    lstm_epochs: int = 10
