"""The one-pass SMA-cross signal equals the two-pass form (two rolling means, then the
cross state) bit for bit, and the sweep's shared-window path equals per-combination backtests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tradefleet.backtest import sweep_shared
from tradefleet.backtest.engine import SimSettings, run_backtest
from tradefleet.backtest.strategies import cross_state_nb, rolling_mean_nb, sma_cross_nb
from tradefleet.backtest.sweep import evaluate, grid
from tradefleet.orchestrator.bot import BotSpec
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


def _cross_state_bar_by_bar(fast: np.ndarray, slow: np.ndarray) -> np.ndarray:
    """The cross state as it was first written: one bar at a time, branches (plain Python)."""
    out = np.zeros(len(fast))
    state = 0.0
    for i in range(1, len(fast)):
        if fast[i - 1] < slow[i - 1] and fast[i] > slow[i]:
            state = 1.0
        elif fast[i - 1] > slow[i - 1] and fast[i] < slow[i]:
            state = -1.0
        out[i] = state
    return out


def test_cross_state_equals_the_bar_by_bar_form() -> None:
    # values on a coarse grid (ties, touching means), NaNs, identical inputs, tiny lengths
    rng = np.random.default_rng(17)
    for n in (0, 1, 2, 3, 10, 4095, 4097, 20_000):
        a = np.round(rng.normal(size=n), 1)
        b = np.round(rng.normal(size=n), 1)
        a[rng.random(n) < 0.05] = np.nan
        for x, y in ((a, b), (b, a), (a, a), (b, b.copy())):
            assert cross_state_nb(x, y).tobytes() == _cross_state_bar_by_bar(x, y).tobytes(), n
    x = np.ascontiguousarray(load_dataset("goog")["close"].to_numpy(dtype=np.float64))
    for nf, ns in PAIRS:
        f, s = rolling_mean_nb(x, nf), rolling_mean_nb(x, ns)
        assert cross_state_nb(f, s).tobytes() == _cross_state_bar_by_bar(f, s).tobytes(), (nf, ns)


SETTINGS = [SimSettings(), SimSettings(fee=0.0005, slippage=0.0002, sl_pct=0.02, tp_pct=0.04, tsl_pct=0.03),
            SimSettings(allow_short=False, fill="close", delay=1)]


def _plain(spec: BotSpec, frame: pd.DataFrame, combos: list[dict[str, Any]], s: SimSettings,
           start: int) -> list[tuple[dict[str, float] | None, str]]:
    out: list[tuple[dict[str, float] | None, str]] = []
    for c in combos:
        try:
            out.append((run_backtest(spec, frame, s, c, start=start).metrics, ""))
        except Exception as exc:  # noqa: BLE001
            out.append((None, f"{type(exc).__name__}: {exc}"))
    return out


def _same(a: dict[str, float] | None, b: dict[str, float] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.keys() == b.keys() and all(np.float64(a[k]).tobytes() == np.float64(b[k]).tobytes() for k in a)


@pytest.mark.parametrize("cache_windows", [100, 3, 0])
def test_shared_window_sweep_equals_one_backtest_per_combination(
        goog: pd.DataFrame, sma_spec: BotSpec, monkeypatch: pytest.MonkeyPatch, cache_windows: int) -> None:
    # all means kept, a few (the rest fall back to the one-pass signal), none
    monkeypatch.setattr(sweep_shared, "CACHE_BYTES", cache_windows * len(goog) * 8)
    combos = grid({"slow": [30, 5, 20, 50], "fast": [10, 2, 20, 5]}) + [{"fast": 7}, {}, {"slow": 9.0, "fast": 3}]
    for s in SETTINGS:
        for start in (0, 60):
            rows = evaluate(sma_spec, goog, combos, s, start=start)
            plain = _plain(sma_spec, goog, combos, s, start)
            assert [r.params for r in rows] == combos
            assert all(_same(r.metrics, m) and r.error == e for r, (m, e) in zip(rows, plain, strict=True))
    assert sum(r.metrics is None for r in rows) == 4  # fast >= slow: rejected with the bot's message
    rows = evaluate(sma_spec, goog.iloc[:1], combos[:2], SETTINGS[0])  # too few bars: the plain error
    assert [(r.metrics, r.error) for r in rows] == _plain(sma_spec, goog.iloc[:1], combos[:2], SETTINGS[0], 0)


def test_shared_window_sweep_computes_each_window_once(goog: pd.DataFrame, sma_spec: BotSpec,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def counted(x: np.ndarray, n: int) -> np.ndarray:
        seen.append(n)
        return rolling_mean_nb(x, n)

    monkeypatch.setattr(sweep_shared, "rolling_mean_nb", counted)
    rows = evaluate(sma_spec, goog, grid({"fast": [5, 10, 15], "slow": [20, 30, 40, 60]}), SETTINGS[0])
    assert all(r.metrics is not None for r in rows)
    assert sorted(seen) == [5, 10, 15, 20, 30, 40, 60]
