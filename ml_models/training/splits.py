"""Purged walk-forward (and purged k-fold) splits with an embargo.

A training row ``i`` whose label window ``[i, end[i]]`` overlaps the test fold's label
span ``[first test row, last test label end]`` would leak the test outcome into training:
it is *purged*. Rows starting within ``embargo`` rows after that span are dropped too
(serial correlation carries information backwards). Walk-forward splits train only on
rows before each test fold; k-fold splits train on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tradefleet.ml_models.errors import TrainingError


@dataclass(frozen=True)
class Split:
    """One fold: positions of training and test rows."""

    train: np.ndarray
    test: np.ndarray


def purge(end: np.ndarray, candidates: np.ndarray, test: np.ndarray, embargo: int) -> np.ndarray:
    """Return the ``candidates`` whose label windows stay clear of ``test``'s span and embargo."""
    lo = int(test.min())
    hi = int(end[test].max())
    c = candidates
    overlaps = (c <= hi) & (end[c] >= lo)
    embargoed = (c > hi) & (c <= hi + embargo)
    return c[~overlaps & ~embargoed]


def _fold_bounds(n: int, n_splits: int, test_start: int) -> list[tuple[int, int]]:
    edges = np.linspace(test_start, n, n_splits + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


@dataclass(frozen=True)
class PurgedWalkForward:
    """Walk-forward splits: ``n_splits`` consecutive test folds over the last ``test_fraction``.

    Each fold trains on the rows before it (all of them, or the last ``max_train``),
    purged and embargoed against the fold.
    """

    n_splits: int = 5
    test_fraction: float = 0.5
    embargo: int = 0
    min_train: int = 100
    max_train: int | None = None

    def split(self, end: np.ndarray) -> Iterator[Split]:
        """Yield the folds for rows ``0..len(end)-1`` with label ends ``end``."""
        n = end.shape[0]
        start = int(n * (1.0 - self.test_fraction))
        folds = 0
        for a, b in _fold_bounds(n, self.n_splits, start):
            lo = 0 if self.max_train is None else max(0, a - self.max_train)
            test = np.arange(a, b)
            train = purge(end, np.arange(lo, a), test, self.embargo)
            if train.shape[0] < self.min_train:
                continue
            folds += 1
            yield Split(train, test)
        if folds == 0:
            raise TrainingError(f"walk-forward: {n} rows leave no fold with {self.min_train}+ training rows")


@dataclass(frozen=True)
class PurgedKFold:
    """K contiguous test folds over all rows; training on both sides, purged and embargoed."""

    n_splits: int = 5
    embargo: int = 0

    def split(self, end: np.ndarray) -> Iterator[Split]:
        """Yield the folds for rows ``0..len(end)-1`` with label ends ``end``."""
        n = end.shape[0]
        everything = np.arange(n)
        for a, b in _fold_bounds(n, self.n_splits, 0):
            test = np.arange(a, b)
            rest = everything[(everything < a) | (everything >= b)]
            yield Split(purge(end, rest, test, self.embargo), test)
