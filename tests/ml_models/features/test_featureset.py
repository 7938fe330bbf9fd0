"""Point-in-time features: no row reads a later row; kernels agree with references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradefleet.ml_models.errors import TrainingError
from tradefleet.ml_models.features.featureset import (
    CALENDAR, PER_TIMEFRAME, FeatureSet, bars_from_frame, reference_block, timeframe_block,
)
from tradefleet.ml_models.features.timeframes import Bars, align, infer_timeframe, resample
from tests.ml_models.conftest import gbm_minutes


def _assert_prefix(fs: FeatureSet, frame: pd.DataFrame, cuts: list[int]) -> None:
    full = fs.compute(frame, np.float64)
    for k in cuts:
        part = fs.compute(frame.iloc[:k], np.float64)
        pd.testing.assert_frame_equal(part, full.iloc[:k], check_exact=True)


def test_features_truncated_equal_full_prefix_hourly(eurusd: pd.DataFrame) -> None:
    fs = FeatureSet.for_frame(eurusd)
    assert fs.timeframes == ("1h", "4h", "1d")
    # cuts at, just before and just after 4h/1d boundaries, and arbitrary rows
    midnight = int(np.flatnonzero(eurusd.index.hour == 0)[40])
    _assert_prefix(fs, eurusd, [midnight - 1, midnight, midnight + 1, 2345, 4999])


def test_features_truncated_equal_full_prefix_minutes() -> None:
    frame = gbm_minutes(3 * 1440 + 17)
    fs = FeatureSet.for_frame(frame)
    assert fs.timeframes == ("1m", "5m", "15m", "1h", "1d")
    _assert_prefix(fs, frame, [61, 300, 1440, 1441, 2 * 1440 + 7, 3 * 1440])


def test_features_ignore_changes_to_later_rows(spx: pd.DataFrame) -> None:
    fs = FeatureSet.for_frame(spx)
    k = 1200
    shocked = spx.copy()
    shocked.iloc[k + 1:, :4] *= 1.5  # a huge move after row k
    shocked.iloc[k + 1:, 4] *= 7.0
    a = fs.compute(spx, np.float64).iloc[:k + 1]
    b = fs.compute(shocked, np.float64).iloc[:k + 1]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not fs.compute(spx).iloc[k + 1:].equals(fs.compute(shocked).iloc[k + 1:])


@pytest.mark.parametrize("name", ["sp500", "eurusd"])
def test_fused_kernel_matches_reference_indicators(name: str, spx: pd.DataFrame, eurusd: pd.DataFrame) -> None:
    bars = bars_from_frame(spx if name == "sp500" else eurusd)
    fused = timeframe_block(bars).T
    ref = reference_block(bars)
    assert np.array_equal(np.isnan(fused), np.isnan(ref))
    np.testing.assert_allclose(fused, ref, rtol=1e-9, atol=1e-12)


def test_rsi_and_atr_match_pandas_wilder(spx: pd.DataFrame) -> None:
    bars = bars_from_frame(spx)
    got = timeframe_block(bars).T
    close = spx["close"]
    diff = close.diff()
    gain = diff.clip(lower=0).ewm(alpha=1 / 14, adjust=False, min_periods=14).mean()
    loss = (-diff.clip(upper=0)).ewm(alpha=1 / 14, adjust=False, min_periods=14).mean()
    rsi = 100 - 100 / (1 + gain / loss)
    np.testing.assert_allclose(got[:, PER_TIMEFRAME.index("rsi_14")], rsi / 50 - 1, rtol=1e-9)
    prev = close.shift(1).fillna(close.iloc[0])
    tr = pd.concat([spx["high"] - spx["low"], (spx["high"] - prev).abs(), (spx["low"] - prev).abs()], axis=1).max(axis=1)
    atr = tr.ewm(alpha=1 / 14, adjust=False, min_periods=14).mean() / close
    np.testing.assert_allclose(got[:, PER_TIMEFRAME.index("atr_14")], atr, rtol=1e-9)
    bb = 4 * close.rolling(20).std() / close.rolling(20).mean()
    np.testing.assert_allclose(got[:, PER_TIMEFRAME.index("bb_width_20")], bb, rtol=1e-8)


@pytest.mark.parametrize(("data", "tf", "rule"), [("eurusd", "4h", "4h"), ("eurusd", "1d", "1D"),
                                                  ("spx", "1w", "W-SAT"), ("minutes", "15m", "15min")])
def test_resample_matches_pandas_right_labelled_bars(data: str, tf: str, rule: str, eurusd: pd.DataFrame,
                                                     spx: pd.DataFrame) -> None:
    frame = {"eurusd": eurusd, "spx": spx}.get(data)
    if frame is None:  # minute bars with the weekends cut out
        frame = gbm_minutes(20_000)
        frame = frame[frame.index.day_of_week < 5]
    bars = bars_from_frame(frame)
    htf = resample(bars, tf)
    ref = frame.resample(rule, label="right", closed="right").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}).dropna()
    assert np.array_equal(htf.ts, ref.index.as_unit("ns").asi8)
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(getattr(htf, col), ref[col].to_numpy())


def test_align_exposes_a_higher_bar_only_from_its_close() -> None:
    h = 3_600 * 10**9
    base_ts = np.arange(1, 13, dtype=np.int64) * h  # bars closing 01:00 .. 12:00
    one = np.ones(12)
    htf = resample(Bars(base_ts, one, one, one, np.arange(12.0), one), "4h")
    out = np.empty((1, 12))
    align(base_ts, htf.ts, htf.close.reshape(1, -1), out)
    # the 4h bar closing 04:00 (close of the 04:00 bar = 3.0) is visible from 04:00 on
    assert np.isnan(out[0, :3]).all()
    assert out[0, 3:7].tolist() == [3.0, 3.0, 3.0, 3.0]
    assert out[0, 7:11].tolist() == [7.0] * 4
    assert out[0, 11] == 11.0


def test_feature_hash_is_stable_and_versioned() -> None:
    a = FeatureSet.for_timeframe("1d")
    assert a.hash == FeatureSet(("1d", "1w")).hash
    assert a.hash != FeatureSet(("1d", "1w"), version=a.version + 1).hash
    assert a.hash != FeatureSet.for_timeframe("1h").hash
    assert len(a.columns) == 2 * len(PER_TIMEFRAME) + len(CALENDAR)
    assert FeatureSet.from_spec(a.spec()) == a


def test_infer_timeframe_rejects_monthly_bars() -> None:
    month = np.arange(10, dtype=np.int64) * 30 * 86_400 * 10**9
    with pytest.raises(TrainingError, match="no supported timeframe"):
        infer_timeframe(month)


@pytest.mark.parametrize("name", ["eurusd", "spx"])
def test_last_rows_equal_full_computation(name: str, eurusd: pd.DataFrame, spx: pd.DataFrame) -> None:
    frame = eurusd if name == "eurusd" else spx
    fs = FeatureSet.for_frame(frame)
    bars = bars_from_frame(frame)
    full = fs.matrix(bars, np.float64).T[-16:]
    fast = fs.last_rows(bars, 16)
    assert not np.isnan(fast).any()
    # per-timeframe tails of HISTORY_BARS bars: EMA starts have decayed to ~1e-6
    np.testing.assert_allclose(fast, full, rtol=1e-4, atol=1e-5)
    tail = fs.compute(fs.tail(frame), np.float64).to_numpy()[-1]
    np.testing.assert_allclose(tail, full[-1], rtol=1e-4, atol=1e-5)
