"""Train one asset's model: features, labels, purged walk-forward report, final fit, calibration.

The out-of-sample report refits the model on each walk-forward fold (purged and
embargoed) and scores the concatenated test predictions against two naive baselines:
the training base rate as a constant probability (log-loss) and the training majority
class (accuracy). The final model is fitted on all rows but the most recent
``calib_fraction``, on which (purged) the calibrator is fitted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.ml_models.errors import TrainingError
from tradefleet.ml_models.features.featureset import FeatureSet, bars_from_frame
from tradefleet.ml_models.kinds import model_class
from tradefleet.ml_models.model import Model, ModelCard, default_max_age_ns
from tradefleet.ml_models.training.calibration import Calibrator
from tradefleet.ml_models.training.labels import make_labels
from tradefleet.ml_models.training.spec import TrainSpec
from tradefleet.ml_models.training.splits import PurgedWalkForward, purge

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str, int, int], None]
MIN_ROWS = 300


@dataclass(frozen=True)
class Dataset:
    """The rows a model trains on: features, labels, label ends, timestamps (contiguous rows)."""

    X: np.ndarray
    y: np.ndarray
    ret: np.ndarray
    end: np.ndarray
    ts: np.ndarray
    feature_set: FeatureSet


def build_dataset(frame: pd.DataFrame, horizon: int, feature_set: FeatureSet | None = None) -> Dataset:
    """Return the labelled rows of ``frame`` whose every feature is defined."""
    fs = feature_set or FeatureSet.for_frame(frame)
    bars = bars_from_frame(frame)
    X = fs.matrix(bars).T
    lab = make_labels(bars.close, horizon)
    ok = ~np.isnan(X).any(axis=1) & ~np.isnan(lab.up)
    if ok.sum() < MIN_ROWS:
        raise TrainingError(f"{int(ok.sum())} usable rows (features defined and labelled); need {MIN_ROWS}+")
    first = int(np.argmax(ok))
    last = len(ok) - int(np.argmax(ok[::-1]))  # exclusive
    if not ok[first:last].all():
        raise TrainingError("features undefined inside the series (non-finite data?)")
    sl = slice(first, last)
    return Dataset(np.ascontiguousarray(X[sl]), lab.up[sl], lab.ret[sl], lab.end[sl] - first, bars.ts[sl], fs)


def _iso(ns: int) -> str:
    from tradefleet.orchestrator.clock import ns_to_dt

    return ns_to_dt(int(ns)).isoformat()


def fit_calibrated(ds: Dataset, rows: np.ndarray, spec: TrainSpec, card: ModelCard) -> Model:
    """Fit on ``rows`` minus a purged held-out tail, then calibrate on that tail."""
    n_cal = max(int(len(rows) * spec.calib_fraction), 50) if spec.calibration != "none" else 0
    cal = rows[len(rows) - n_cal:] if n_cal else rows[:0]
    fit_rows = purge(ds.end, rows[:len(rows) - n_cal], cal, spec.embargo) if n_cal else rows
    if len(fit_rows) < 100 or np.unique(ds.y[fit_rows]).shape[0] < 2:
        raise TrainingError(f"{len(fit_rows)} training rows with {np.unique(ds.y[fit_rows]).shape[0]} class(es)")
    model = _fit(ds, fit_rows, spec, card)
    calibrator = Calibrator.fit(model.raw_at(ds.X, cal), ds.y[cal], spec.calibration) if n_cal else Calibrator()
    return model.with_calibrator(calibrator)


def _fit(ds: Dataset, rows: np.ndarray, spec: TrainSpec, card: ModelCard) -> Model:
    from tradefleet.ml_models.device import best_device

    device = spec.device or best_device()
    if spec.kind == "xgboost":
        from tradefleet.ml_models.training.gbm import fit_xgboost

        raw = fit_xgboost(ds.X[rows], ds.y[rows], ds.ret[rows], objective=spec.objective,
                          n_estimators=spec.n_estimators, seed=spec.seed, device=device)
        return model_class("xgboost").from_artifact(card, {"model.ubj": raw})
    if spec.kind == "lightgbm":
        from tradefleet.ml_models.training.gbm import fit_lightgbm

        raw = fit_lightgbm(ds.X[rows], ds.y[rows], ds.ret[rows], objective=spec.objective,
                           n_estimators=spec.n_estimators, seed=spec.seed)
        return model_class("lightgbm").from_artifact(card, {"model.txt": raw})
    if spec.kind == "lstm":
        from tradefleet.ml_models.lstm import fit_lstm

        return fit_lstm(card, ds.X, ds.y, ds.ret, rows, spec, device)
    raise TrainingError(f"unknown model kind {spec.kind!r} (xgboost, lightgbm, lstm)")


def _card(asset: str, ds: Dataset, rows: np.ndarray, spec: TrainSpec) -> ModelCard:
    fs = ds.feature_set
    return ModelCard(
        asset=asset, kind=spec.kind, feature_set=fs.spec(), feature_hash=fs.hash, horizon=spec.horizon,
        objective=spec.objective, calibration=Calibrator().to_json(),
        train_start=_iso(ds.ts[rows[0]]), train_end=_iso(ds.ts[rows[-1]]), n_train=int(len(rows)),
        max_age_ns=default_max_age_ns(fs.base),
        params={k: v for k, v in spec.__dict__.items() if k != "device"},
    )


def walk_forward_report(ds: Dataset, spec: TrainSpec, asset: str, progress: Progress | None = None) -> dict[str, Any]:
    """Refit on each purged walk-forward fold; return out-of-sample metrics vs naive baselines."""
    splitter = PurgedWalkForward(spec.n_splits, spec.test_fraction, spec.embargo, min_train=MIN_ROWS // 2)
    folds = list(splitter.split(ds.end))
    p, y, r, base_p, major = [], [], [], [], []
    for k, fold in enumerate(folds):
        model = fit_calibrated(ds, fold.train, spec, _card(asset, ds, fold.train, spec))
        p.append(model.predict_proba_rows_at(ds.X, fold.test))
        y.append(ds.y[fold.test])
        r.append(ds.ret[fold.test])
        rate = float(ds.y[fold.train].mean())
        base_p.append(np.full(len(fold.test), rate))
        major.append(np.full(len(fold.test), 1.0 if rate >= 0.5 else 0.0))
        if progress:
            progress(f"{asset}: walk-forward", k + 1, len(folds))
    return oos_metrics(np.concatenate(p), np.concatenate(y), np.concatenate(r),
                       np.concatenate(base_p), np.concatenate(major), len(folds))


def oos_metrics(p: np.ndarray, y: np.ndarray, r: np.ndarray, base_p: np.ndarray, major: np.ndarray,
                folds: int) -> dict[str, Any]:
    """Score out-of-sample probabilities against the base-rate and majority-class baselines."""
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    side = np.where(p > 0.5, 1.0, -1.0)
    two = np.unique(y).shape[0] == 2
    out = {
        "oos_rows": int(len(y)), "oos_folds": folds,
        "oos_logloss": float(log_loss(y, p, labels=[0, 1])),
        "baseline_logloss": float(log_loss(y, base_p, labels=[0, 1])),
        "oos_brier": float(brier_score_loss(y, p)),
        "baseline_brier": float(brier_score_loss(y, base_p)),
        "oos_accuracy": float(((p > 0.5) == (y == 1)).mean()),
        "baseline_accuracy": float((major == y).mean()),
        "always_up_accuracy": float(y.mean()),
        "oos_auc": float(roc_auc_score(y, p)) if two else float("nan"),
        "oos_mean_logret_model": float((side * r).mean()),
        "oos_mean_logret_always_up": float(r.mean()),
    }
    out["beats_baseline"] = bool(out["oos_logloss"] < out["baseline_logloss"])
    return out


@dataclass(frozen=True)
class TrainResult:
    """A fitted model (unregistered) and its out-of-sample report."""

    model: Model
    metrics: dict[str, Any]


def train_asset(frame: pd.DataFrame, asset: str, spec: TrainSpec | None = None,
                progress: Progress | None = None, report: bool = True) -> TrainResult:
    """Train ``asset``'s model on bar ``frame``; with ``report``, also walk-forward score it."""
    spec = spec or TrainSpec()
    ds = build_dataset(frame, spec.horizon)
    metrics = walk_forward_report(ds, spec, asset, progress) if report else {}
    rows = np.arange(len(ds.y))
    model = fit_calibrated(ds, rows, spec, _card(asset, ds, rows, spec))
    # the close of the last bar any feature or label read: a point-in-time user refuses the
    # model before it (the last labelled row's time, train_end, is earlier by the horizon)
    data_end = int(np.asarray(frame.index.as_unit("ns").asi8)[-1])
    model.card = model.card.with_(metrics=metrics, params={**model.card.params, "data_end_ns": data_end})
    if progress:
        progress(f"{asset}: final fit", 1, 1)
    return TrainResult(model, metrics)
