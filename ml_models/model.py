"""The model interface the ensemble calls, and the gradient-boosted implementation.

``Model.predict_proba(frame)`` returns the calibrated probability that the close rises
over the model's horizon, from the point-in-time features of ``frame``'s LAST row. It
raises a :class:`~tradefleet.ml_models.errors.ModelNotReady` subclass rather than guess:

* :class:`FeatureSetMismatch`: the model was trained on another feature-set version
  (its recorded hash differs from the current code's) or another bar timeframe;
* :class:`StaleFeatures`: ``now_ns`` is given and the last bar is older than the
  model's ``max_age_ns``;
* :class:`MissingFeatures`: the frame is too short for every feature to be defined.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tradefleet.ml_models.errors import FeatureSetMismatch, MissingFeatures, StaleFeatures
from tradefleet.ml_models.features.featureset import FeatureSet, bars_from_frame
from tradefleet.ml_models.features.timeframes import infer_timeframe, period_ns
from tradefleet.ml_models.training.calibration import Calibrator

if TYPE_CHECKING:
    import pandas as pd

DAY_NS = 86_400 * 10**9


def default_max_age_ns(base: str) -> int:
    """Return how old the last bar may be: 3 bars, and at least 4 days for daily bars (weekends)."""
    p = period_ns(base)
    return max(3 * p, 4 * DAY_NS) if p >= DAY_NS else 3 * p


@dataclass(frozen=True)
class ModelCard:
    """A model's metadata, stored as ``metadata.json`` beside its artifact files."""

    asset: str
    kind: str
    feature_set: dict[str, Any]
    feature_hash: str
    horizon: int
    objective: str
    calibration: dict[str, Any]
    train_start: str
    train_end: str
    n_train: int
    max_age_ns: int
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    created: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelCard:
        """Rebuild from :meth:`to_json` output (unknown keys are an error)."""
        return cls(**data)

    def with_(self, **changes: Any) -> ModelCard:
        """Return a copy with ``changes``."""
        return replace(self, **changes)


class Model(ABC):
    """A trained per-asset direction model (XGBoost, LightGBM or LSTM)."""

    kind: ClassVar[str]

    def __init__(self, card: ModelCard) -> None:
        self.card = card
        self.feature_set = FeatureSet.from_spec(card.feature_set)
        self.calibrator = Calibrator.from_json(card.calibration)

    # --- the API the ensemble uses -------------------------------------------------
    @property
    def asset(self) -> str:
        return self.card.asset

    @property
    def horizon(self) -> int:
        return self.card.horizon

    def check_feature_set(self) -> None:
        """Raise FeatureSetMismatch unless the current feature code hashes as at training."""
        if getattr(self, "_feature_set_ok", False):  # the code cannot change under a running process
            return
        current = FeatureSet(self.feature_set.timeframes, self.feature_set.name)
        if current.hash != self.card.feature_hash or self.feature_set.hash != self.card.feature_hash:
            raise FeatureSetMismatch(
                f"model {self.asset} v{self.card.version}: trained on feature set {self.card.feature_hash} "
                f"(version {self.feature_set.version}), the code now builds {current.hash} "
                f"(version {current.version}); retrain with `tradefleet train {self.asset}`")
        self._feature_set_ok = True

    def predict_proba(self, frame: pd.DataFrame, now_ns: int | None = None) -> float:
        """Return P(close rises over the horizon) from ``frame``'s last row, in [0, 1].

        ``frame`` is a bar frame (UTC close-time index, OHLCV) of the model's timeframe
        holding at least the model's history; ``now_ns`` (from the injected clock)
        enables the staleness check.
        """
        X = self.last_features(frame, now_ns)
        return float(self.calibrator(self.raw_last(X))[0])

    # --- shared machinery ----------------------------------------------------------
    def last_features(self, frame: pd.DataFrame, now_ns: int | None = None) -> np.ndarray:
        """Return the feature rows the last prediction reads (checked: version, age, completeness)."""
        self.check_feature_set()
        if len(frame) < 3:
            raise MissingFeatures(f"model {self.asset}: frame has {len(frame)} bars, need history")
        start = frame.index[-1] - np.timedelta64(self.feature_set.history_ns, "ns")
        bars = bars_from_frame(frame.iloc[max(0, int(frame.index.searchsorted(start)) - 1):])
        base = infer_timeframe(bars.ts[-min(len(bars), 500):])
        if base != self.feature_set.base:
            raise FeatureSetMismatch(f"model {self.asset}: trained on {self.feature_set.base} bars, got {base} bars")
        last_ns = int(bars.ts[-1])
        if now_ns is not None and now_ns - last_ns > self.card.max_age_ns:
            age_h = (now_ns - last_ns) / 3.6e12
            raise StaleFeatures(f"model {self.asset}: last bar is {age_h:.1f} h old "
                                f"(limit {self.card.max_age_ns / 3.6e12:.1f} h); refresh the data")
        rows = self.rows_needed
        X = self.feature_set.last_rows(bars, min(rows, len(bars)))
        if X.shape[0] < rows or np.isnan(X).any():
            missing = sorted({self.feature_set.columns[j] for j in np.flatnonzero(np.isnan(X).any(axis=0))})
            raise MissingFeatures(
                f"model {self.asset}: features undefined at the last bar ({', '.join(missing[:4]) or 'history'}"
                f"{'...' if len(missing) > 4 else ''}); pass at least {self.feature_set.history_ns / DAY_NS:.0f} "
                f"days of {self.feature_set.base} bars")
        return np.ascontiguousarray(X)

    @property
    def rows_needed(self) -> int:
        """Return how many trailing feature rows one prediction reads."""
        return 1

    def predict_proba_rows(self, X: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities for every row of feature matrix ``X`` (batch use)."""
        return self.calibrator(self.raw_series(X))

    def predict_proba_rows_at(self, X: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities of rows ``idx`` of the contiguous feature matrix ``X``."""
        return self.calibrator(self.raw_at(X, idx))

    def with_calibrator(self, calibrator: Calibrator) -> Model:
        """Set the calibrator (after fitting it on held-out rows) and return self."""
        self.calibrator = calibrator
        self.card = self.card.with_(calibration=calibrator.to_json())
        return self

    @abstractmethod
    def raw_series(self, X: np.ndarray) -> np.ndarray:
        """Return uncalibrated probabilities for every row of ``X`` (NaN where undefined)."""

    def raw_at(self, X: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Return uncalibrated probabilities of rows ``idx`` of the contiguous feature matrix ``X``."""
        return self.raw_series(X[idx])

    def raw_last(self, X: np.ndarray) -> np.ndarray:
        """Return the uncalibrated probability of the last row (``X`` holds ``rows_needed`` rows)."""
        return self.raw_series(X)[-1:]

    @abstractmethod
    def artifact_files(self) -> dict[str, bytes]:
        """Return the artifact files (name -> bytes) that, with the card, rebuild this model."""

    @classmethod
    @abstractmethod
    def from_artifact(cls, card: ModelCard, files: dict[str, bytes]) -> Model:
        """Rebuild a model from its card and artifact files."""


class GBMModel(Model):
    """A gradient-boosted tree model (``card.kind`` ``xgboost`` or ``lightgbm``)."""

    kind: ClassVar[str] = "gbm"
    FILES: ClassVar[dict[str, str]] = {"xgboost": "model.ubj", "lightgbm": "model.txt"}

    def __init__(self, card: ModelCard, raw: bytes) -> None:
        super().__init__(card)
        from tradefleet.ml_models.training import gbm

        self._raw = raw
        if card.kind == "xgboost":
            self._booster = gbm.load_xgboost(raw)
            self._margin = gbm.xgboost_margin
        elif card.kind == "lightgbm":
            self._booster = gbm.load_lightgbm(raw)
            self._margin = gbm.lightgbm_margin
        else:
            raise ValueError(f"GBMModel cannot hold kind {card.kind!r}")

    def raw_series(self, X: np.ndarray) -> np.ndarray:
        from tradefleet.ml_models.training.gbm import sigmoid

        return sigmoid(self._margin(self._booster, np.asarray(X, dtype=np.float32)))

    def artifact_files(self) -> dict[str, bytes]:
        return {self.FILES[self.card.kind]: self._raw}

    @classmethod
    def from_artifact(cls, card: ModelCard, files: dict[str, bytes]) -> GBMModel:
        return cls(card, files[cls.FILES[card.kind]])
