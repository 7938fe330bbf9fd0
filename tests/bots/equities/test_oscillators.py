from __future__ import annotations

import numpy as np
import pandas as pd

from tradefleet.bots.equities.oscillators import CciReversionBot, DoubleSevensBot, IbsReversionBot, StochasticReversionBot
from tests.bots.crafted import build, frame_from_close, frame_ohlc


def _first(mask: np.ndarray, start: int = 0) -> int:
    return start + int(np.flatnonzero(mask[start:])[0])


def test_stochastic_buys_oversold_d_and_exits_above_mid() -> None:
    close = np.concatenate([np.linspace(100, 110, 30), np.linspace(110, 100, 8), np.linspace(100, 108, 12)])
    f = frame_from_close(close, spread=0.002)
    sig = build(StochasticReversionBot, k_period=14, d_period=3).compute(f)["signal"].to_numpy()
    hh, ll = f.high.rolling(14).max(), f.low.rolling(14).min()
    d = (100 * (f.close - ll) / (hh - ll)).rolling(3).mean().to_numpy()
    entry = _first(d < 20)
    exit_ = _first(d > 50, entry)
    assert (sig[:entry] == 0).all()
    assert (sig[entry:exit_] == 1).all()
    assert sig[exit_] == 0 and 30 <= entry < 38


def test_stochastic_trend_filter_blocks_longs_below_sma() -> None:
    close = np.concatenate([np.linspace(120, 100, 40), np.linspace(100, 95, 5), np.linspace(95, 99, 10)])
    f = frame_from_close(close, spread=0.002)
    assert (build(StochasticReversionBot, trend_period=30).compute(f)["signal"] == 0).all()
    assert (build(StochasticReversionBot, trend_period=0).compute(f)["signal"] == 1).any()


def test_cci_fades_extremes_and_exits_at_zero() -> None:
    close = np.concatenate([100 + np.tile([0.3, -0.3], 15), [96.0, 95.0, 97.0, 100.5, 101.0, 105.0, 106.0, 100.0]])
    f = frame_from_close(close, spread=0.001)
    sig = build(CciReversionBot, period=20, entry=150.0).compute(f)["signal"].to_numpy()
    tp = (f.high + f.low + f.close) / 3
    mad = tp.rolling(20).apply(lambda w: np.abs(w - w.mean()).mean(), raw=True)
    cci = ((tp - tp.rolling(20).mean()) / (0.015 * mad)).to_numpy()
    assert cci[30] < -150 and sig[30] == 1
    first_pos = _first(cci > 0, 30)
    assert (sig[30:first_pos] == 1).all() and sig[first_pos] != 1
    short = _first(cci > 150, first_pos)
    assert sig[short] == -1


def test_ibs_enters_near_low_and_exits_near_high_or_on_time() -> None:
    # bars: neutral, neutral, close at the low (IBS 0.1), mid, mid, close at the high (IBS 0.9)
    o = [100, 100, 100, 99, 99, 99, 100, 100, 100, 100, 100, 100]
    h = [101, 101, 101, 100, 100, 101, 101, 101, 101, 101, 101, 101]
    lo = [99, 99, 99, 98, 98, 98, 99, 99, 99, 99, 99, 99]
    c = [100, 100, 99.2, 99, 99, 100.8, 100, 99.1, 100, 100, 100, 100]
    sig = build(IbsReversionBot, trend_period=0, max_hold=3).compute(frame_ohlc(o, h, lo, c))["signal"].tolist()
    assert sig[:2] == [0, 0]
    assert sig[2:5] == [1, 1, 1]      # IBS 0.1 entry, held through two mid closes
    assert sig[5] == 0                # IBS 0.93 > 0.7: exit
    assert sig[7] == 1                # IBS 0.05: entry again
    assert sig[8:10] == [1, 1] and sig[10] == 0   # three bars later: time exit


def test_double_sevens_buys_seven_day_low_in_uptrend() -> None:
    up = np.linspace(100, 130, 60)
    close = np.concatenate([up, [126.0, 127, 126.5, 129, 131.0, 132.0]])
    sig = build(DoubleSevensBot, channel=7, trend_period=50).compute(frame_from_close(close))["signal"].to_numpy()
    assert (sig[:60] == 0).all()
    assert sig[60] == 1                  # 126 is the lowest close of the last 7
    assert sig[63] == 1                  # 129 < 7-day high (130): still held
    assert sig[64] == 0                  # 131 is a new 7-day closing high: exit
    low_trend = 200 - np.linspace(100, 130, 60)
    sig_down = build(DoubleSevensBot, trend_period=50).compute(frame_from_close(low_trend))["signal"]
    assert (sig_down == 0).all()


def test_stochastic_short_mirror_enters_overbought() -> None:
    close = np.concatenate([np.linspace(110, 100, 30), np.linspace(100, 110, 8), np.linspace(110, 103, 12)])
    sig = build(StochasticReversionBot, allow_short=True).compute(frame_from_close(close, spread=0.002))["signal"]
    assert (sig == -1).any() and isinstance(sig, pd.Series)
