"""Purged walk-forward / k-fold: no training row's label window touches a test label window."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.ml_models.errors import TrainingError
from tradefleet.ml_models.training.labels import make_labels
from tradefleet.ml_models.training.splits import PurgedKFold, PurgedWalkForward


@st.composite
def label_ends(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(20, 400))
    horizons = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    return np.arange(n) + np.asarray(horizons)


def _check(end: np.ndarray, train: np.ndarray, test: np.ndarray, embargo: int) -> None:
    assert len(np.intersect1d(train, test)) == 0
    for t in test:  # every test label window [t, end[t]] against every training window
        clash = (train <= end[t]) & (end[train] >= t)
        assert not clash.any(), (t, train[clash])
    hi = end[test].max()
    assert not ((train > hi) & (train <= hi + embargo)).any()


@settings(max_examples=150, deadline=None)
@given(end=label_ends(), n_splits=st.integers(2, 6), embargo=st.integers(0, 20),
       frac=st.floats(0.2, 0.8), max_train=st.none() | st.integers(10, 300))
def test_walk_forward_never_trains_on_test_label_windows(end: np.ndarray, n_splits: int, embargo: int,
                                                         frac: float, max_train: int | None) -> None:
    splitter = PurgedWalkForward(n_splits, frac, embargo, min_train=1, max_train=max_train)
    try:
        folds = list(splitter.split(end))
    except TrainingError:
        return
    for f in folds:
        _check(end, f.train, f.test, embargo)
        assert f.train.max() < f.test.min()


@settings(max_examples=150, deadline=None)
@given(end=label_ends(), n_splits=st.integers(2, 6), embargo=st.integers(0, 20))
def test_kfold_purges_and_embargoes_both_sides(end: np.ndarray, n_splits: int, embargo: int) -> None:
    for f in PurgedKFold(n_splits, embargo).split(end):
        _check(end, f.train, f.test, embargo)


def test_walk_forward_purges_exactly_the_overlapping_rows() -> None:
    end = make_labels(np.linspace(1, 2, 100), horizon=5).end
    folds = list(PurgedWalkForward(2, 0.5, embargo=0, min_train=1).split(end))
    assert folds[0].test[0] == 50
    assert folds[0].train.tolist() == list(range(45))  # rows 45..49 read labels at 50+


def test_walk_forward_raises_without_enough_training_rows() -> None:
    with pytest.raises(TrainingError, match="no fold"):
        list(PurgedWalkForward(2, 0.5, min_train=500).split(np.arange(100)))


def test_labels_mark_up_moves_and_their_windows() -> None:
    lab = make_labels(np.array([1.0, 2.0, 1.5, 1.5, 3.0]), horizon=1)
    assert lab.up[:4].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert np.isnan(lab.up[4])
    assert lab.end.tolist() == [1, 2, 3, 4, 5]
