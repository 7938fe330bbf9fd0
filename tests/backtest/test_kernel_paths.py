"""The kernel's copy of its loop for the common case (next-open fills, no worked entry, no
volume; compiled with those modes as constants) gives the same bits as the general loop.

A volume array with no volume cap and no impact changes nothing in the rules but sends
``simulate_nb`` down the general loop, so the two runs below compare the two copies; the
general copy also runs on the common case's own inputs. ``simulate_nb`` picks the copy
(two cached functions, each compiled only when first used)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradefleet.backtest.engine import SimSettings, bar_arrays
from tradefleet.backtest import kernel
from tradefleet.backtest.kernel import simulate_common_nb, simulate_general_nb, simulate_nb
from tradefleet.backtest.strategies import sma_cross_nb

SETTINGS = [SimSettings(), SimSettings(fee=0.0005, slippage=0.0002, sl_pct=0.01),
            SimSettings(slippage=0.001, sl_pct=0.02, tp_pct=0.03, tsl_pct=0.015),
            SimSettings(allow_short=False, sl_pct=0.05, delay=2),
            SimSettings(same_bar="favourable", limit_fill="touch", tp_pct=0.02, sl_pct=0.02, size=0.5),
            SimSettings(init_cash=1.0, size=10.0, fee=0.05)]  # leverage and fees that ruin the account


def _both(frame: pd.DataFrame, signal: np.ndarray, s: SimSettings, stop: np.ndarray, target: np.ndarray,
          slip: np.ndarray) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    o, h, lo, c = bar_arrays(frame)
    vol = np.ascontiguousarray(frame["volume"].to_numpy(dtype=np.float64))
    p = s.params()
    fast = simulate_nb(o, h, lo, c, signal, stop, target, slip, p, np.empty(0), s.plan())
    general = simulate_nb(o, h, lo, c, signal, stop, target, slip, p, vol, s.plan())
    assert _same(fast, simulate_common_nb(o, h, lo, c, signal, stop, target, slip, p, np.empty(0), s.plan()))
    assert _same(fast, simulate_general_nb(o, h, lo, c, signal, stop, target, slip, p, np.empty(0), s.plan()))
    return fast, general


def _same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> bool:
    eq, tr, nt, kids, nc = a
    return (nt == b[2] and nc == b[4] == 0 and eq.tobytes() == b[0].tobytes()
            and tr[:nt].tobytes() == b[1][:b[2]].tobytes())


@pytest.mark.parametrize("s", SETTINGS)
def test_common_case_copy_equals_general_loop(goog: pd.DataFrame, s: SimSettings) -> None:
    c = np.ascontiguousarray(goog["close"].to_numpy(dtype=np.float64))
    n = len(c)
    rng = np.random.default_rng(11)
    noisy = rng.choice([-1.0, 0.0, 1.0, np.nan], n, p=[0.3, 0.1, 0.5, 0.1])
    none = np.full(1, np.nan)
    levels = c * (1 - 0.03 * np.sign(rng.normal(size=n)))
    slips = rng.uniform(0, 0.002, n)
    trades = 0
    for signal in (sma_cross_nb(c, 10, 20), sma_cross_nb(c, 3, 7), noisy):
        for stop, target, slip in ((none, none, np.full(1, s.slippage)), (levels, none, slips),
                                   (none, c * 1.02, slips), (levels, c * (1 + 0.02 * np.sign(signal - 0.5)), np.zeros(1))):
            fast, general = _both(goog, signal, s, stop, target, slip)
            assert _same(fast, general)
            trades += fast[2]
    assert trades > 100


@pytest.mark.parametrize(("s", "with_volume", "copy"), [
    (SimSettings(), False, "common"), (SimSettings(sl_pct=0.01, tp_pct=0.02, delay=1), False, "common"),
    (SimSettings(fill="close"), False, "general"), (SimSettings(), True, "general"),
    (SimSettings(max_volume_share=0.1), True, "general"),
    (SimSettings(execution={"algo": "twap", "params": {"horizon_s": 3 * 86400, "interval_s": 86400}}), True, "general")])
def test_simulate_nb_picks_the_copy(goog: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, s: SimSettings,
                                    with_volume: bool, copy: str) -> None:
    called: list[str] = []

    def spy(name: str, fn: object) -> object:
        def run(*args: object) -> object:
            called.append(name)
            return fn(*args)  # type: ignore[operator]
        return run

    monkeypatch.setattr(kernel, "simulate_common_nb", spy("common", simulate_common_nb))
    monkeypatch.setattr(kernel, "simulate_general_nb", spy("general", simulate_general_nb))
    o, h, lo, c = bar_arrays(goog)
    vol = np.ascontiguousarray(goog["volume"].to_numpy(dtype=np.float64)) if with_volume else np.empty(0)
    none = np.full(1, np.nan)
    out = simulate_nb(o, h, lo, c, sma_cross_nb(c, 10, 20), none, none, np.full(1, s.slippage), s.params(), vol, s.plan())
    assert called == [copy]
    assert out[2] > 0


def _max_drawdown(equity: np.ndarray, init_cash: float) -> float:
    """Per bar, as metrics_nb used to: e / running peak (from the initial cash) - 1."""
    peak = np.maximum.accumulate(np.concatenate([[init_cash], equity]))[1:]
    return float(min(0.0, float(np.min(equity / peak - 1.0))))


def test_max_drawdown_one_division_per_peak_equals_per_bar() -> None:
    from tradefleet.backtest.kernel import METRIC_NAMES, metrics_nb

    k = METRIC_NAMES.index("max_drawdown")
    rng = np.random.default_rng(2)
    no_trades = np.empty((0, 10))
    for seed in range(40):
        r = np.random.default_rng(seed)
        n = int(r.integers(2, 6000))
        drift = r.choice([-1e-3, 0.0, 5e-3, 2e-2])  # new peaks rare .. on most bars (> 512 of them)
        eq = 1000.0 * np.exp(np.cumsum(r.normal(drift, 0.01, n)))
        if seed % 5 == 0:
            eq[n // 2:] = 0.0  # ruined
        for cash in (1000.0, float(eq.max()) * 2, 1.0):
            got = metrics_nb(eq, no_trades, 0, cash, 1.0)[k]
            assert np.float64(got).tobytes() == np.float64(_max_drawdown(eq, cash)).tobytes(), (seed, cash)
    # a new peak on every bar but one dip, at every position of the batch buffer
    rising = 1000.0 * 1.01 ** np.arange(1200)
    for p in range(1, 1200):
        eq = rising.copy()
        eq[p] *= 0.5 + rng.uniform(0, 0.4)
        got = metrics_nb(eq, no_trades, 0, 1000.0, 1.0)[k]
        assert np.float64(got).tobytes() == np.float64(_max_drawdown(eq, 1000.0)).tobytes(), p
        assert got < -0.08
    flat = np.full(3, 5.0)
    assert metrics_nb(flat, no_trades, 0, 5.0, 1.0)[k] == 0.0
