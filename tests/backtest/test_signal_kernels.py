"""The one-pass SMA-cross signal equals the two-pass form (two rolling means, then the
cross state) bit for bit, and the sweep's shared-window path equals per-combination backtests."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.backtest.strategies import cross_state_nb, rolling_mean_nb, sma_cross_nb
from tradefleet.scrapers.bundled import DATASETS, load_dataset


def _walk(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))


def _two_pass(x: np.ndarray, nf: int, ns: int) -> np.ndarray:
    return cross_state_nb(rolling_mean_nb(x, nf), rolling_mean_nb(x, ns))


PAIRS = [(1, 2), (2, 3), (3, 40), (10, 20), (10, 30), (5, 60), (50, 240), (7, 1023), (1024, 1025), (20, 3000)]


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_sma_cross_one_pass_is_bit_identical_on_bundled_data(name: str) -> None:
    x = np.ascontiguousarray(load_dataset(name)["close"].to_numpy(dtype=np.float64))
    for nf, ns in PAIRS:
        assert np.array_equal(sma_cross_nb(x, nf, ns), _two_pass(x, nf, ns)), (name, nf, ns)


def test_sma_cross_one_pass_is_bit_identical_on_long_series_and_gaps() -> None:
    x = _walk(20_000, 3)
    for nf, ns in PAIRS:
        assert np.array_equal(sma_cross_nb(x, nf, ns), _two_pass(x, nf, ns)), (nf, ns)
    # a NaN close poisons the running sums until a re-sum: both forms alike
    y = x.copy()
    y[5000] = np.nan
    for nf, ns in PAIRS:
        assert np.array_equal(sma_cross_nb(y, nf, ns), _two_pass(y, nf, ns)), (nf, ns)
    assert np.array_equal(sma_cross_nb(x[:3], 10, 20), np.zeros(3))


def test_sma_cross_one_pass_on_tick_prices_with_ties() -> None:
    # prices on a 0.01 grid moving a tick or two: the means tie or nearly tie often, so a
    # rounding step done differently (or a tie read as a cross) changes the signal
    x = np.round(50.0 + np.cumsum(np.random.default_rng(5).integers(-1, 2, 50_000)) * 0.01, 2)
    for nf, ns in PAIRS + [(2, 4), (4, 8), (5, 10)]:
        assert np.array_equal(sma_cross_nb(x, nf, ns), _two_pass(x, nf, ns)), (nf, ns)


def test_touching_means_are_not_a_cross() -> None:
    # flat, then up: the means are equal on the flat bars, then the fast one pulls ahead;
    # backtesting.py's crossover needs fast < slow the bar before, so no long signal
    x = np.array([10.0] * 6 + [11.0, 12.0, 13.0])
    assert np.array_equal(sma_cross_nb(x, 2, 4), np.zeros(9))
    assert np.array_equal(sma_cross_nb(x, 2, 4), _two_pass(x, 2, 4))
