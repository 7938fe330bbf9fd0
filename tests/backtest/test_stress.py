"""Synthetic shocks change prices as described; crisis windows use real bundled data."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.backtest.engine import SimSettings
from tradefleet.backtest.stress import CRISES, crisis_runs, flash_crash, gap_down, liquidity_drought, shock_runs, vol_x3


def test_gap_down_scales_everything_after(goog) -> None:  # type: ignore[no-untyped-def]
    out = gap_down(goog, 100)
    assert np.allclose(out["close"].iloc[100:], goog["close"].iloc[100:] * 0.9)
    assert out["close"].iloc[:100].equals(goog["close"].iloc[:100])
    assert out["open"].iloc[100] / goog["close"].iloc[99] == pytest.approx(goog["open"].iloc[100] / goog["close"].iloc[99] * 0.9)


def test_vol_x3_triples_return_dispersion(goog) -> None:  # type: ignore[no-untyped-def]
    out = vol_x3(goog, 500, 60)
    before = np.diff(np.log(goog["close"].to_numpy()[499:560]))
    after = np.diff(np.log(out["close"].to_numpy()[499:560]))
    assert after.std() == pytest.approx(3 * before.std(), rel=1e-9)
    assert (out["high"] >= out[["open", "close"]].max(axis=1) - 1e-9).all()
    assert (out["low"] <= out[["open", "close"]].min(axis=1) + 1e-9).all()


def test_flash_crash_and_drought(goog) -> None:  # type: ignore[no-untyped-def]
    out = flash_crash(goog, 300, depth=0.2, length=5)
    assert out["low"].iloc[300] <= goog["low"].iloc[300] * 0.8 + 1e-9
    assert out["close"].iloc[306:].equals(goog["close"].iloc[306:])   # recovered
    dry, slip = liquidity_drought(goog, 300, 20, 0.001)
    assert np.allclose(dry["volume"].iloc[300:320], goog["volume"].iloc[300:320] * 0.1)
    assert slip[300] == pytest.approx(0.01) and slip[299] == 0.001


def test_crisis_and_shock_runs(goog, sma_spec) -> None:  # type: ignore[no-untyped-def]
    rows = {r.scenario: r for r in crisis_runs(sma_spec, goog, "goog", SimSettings())}
    assert set(rows) == set(CRISES)
    assert rows["covid-2020"].metrics is None and "not in the bundled data" in rows["covid-2020"].note
    assert rows["gfc-2008"].data == "goog"           # GOOG covers 2007-2009
    assert rows["q4-2018"].data == "sp500"           # GOOG ends 2013: falls back to the S&P 500
    assert rows["gfc-2008"].metrics is not None and rows["gfc-2008"].metrics["trades"] > 0
    shocks = {r.scenario: r for r in shock_runs(sma_spec, goog, "goog", SimSettings())}
    assert set(shocks) == {"gap_down", "vol_x3", "flash_crash", "liquidity_drought"}
    assert all(r.baseline is not None and r.metrics is not None for r in shocks.values())
