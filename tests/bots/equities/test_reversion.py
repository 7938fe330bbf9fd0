from __future__ import annotations

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.bots.equities.reversion import BollingerReversionBot, Rsi2ReversionBot
from tests.bots.crafted import build, frame_from_close


def _uptrend_with_dip() -> np.ndarray:
    up = 100 * 1.004 ** np.arange(80)            # steady uptrend
    dip = up[-1] * np.array([0.99, 0.98, 0.975])  # three down days, still above the 50-day SMA
    rebound = dip[-1] * 1.01 ** np.arange(1, 8)
    return np.concatenate([up, dip, rebound])


def test_rsi2_buys_the_dip_in_uptrend_and_sells_the_bounce() -> None:
    close = _uptrend_with_dip()
    bot = build(Rsi2ReversionBot, trend_period=50, exit_period=5)
    sig = bot.compute(frame_from_close(close))["signal"].to_numpy()
    assert (sig[:80] == 0).all()          # no dip yet: RSI(2) is high in a steady rise
    r = ta.rsi(close, 2)
    assert r[81] > 10 > r[82]             # RSI(2) falls under 10 on the third down day
    assert sig[80] == sig[81] == 0 and sig[82] == 1
    first_long = 82
    exit_bar = first_long + int(np.flatnonzero(sig[first_long:] == 0)[0])
    sma5 = np.convolve(close, np.ones(5) / 5, "valid")[exit_bar - 4]
    assert close[exit_bar] > sma5          # exited on the first close above the 5-day SMA
    assert (sig[exit_bar:] == 0).all()


def test_rsi2_ignores_dips_below_the_trend() -> None:
    close = _uptrend_with_dip()[::-1].copy()  # a downtrend: the same dips are below the SMA
    sig = build(Rsi2ReversionBot, trend_period=50).compute(frame_from_close(close))["signal"]
    assert (sig == 0).all()


def test_rsi2_short_mirror() -> None:
    close = 1.0 / _uptrend_with_dip() * 1e4  # downtrend with a three-day spike up
    sig = build(Rsi2ReversionBot, trend_period=50, allow_short=True).compute(frame_from_close(close))["signal"]
    assert (sig == -1).any() and (sig >= -1).all() and not (sig == 1).any()


def test_bollinger_fades_the_spikes_and_exits_at_the_mean() -> None:
    base = 100 + np.tile([0.5, -0.5], 20)   # 40 bars oscillating +-0.5 around 100
    close = np.concatenate([base, [96.0, 97.0, 99.0, 100.6, 100.0, 104.0, 102.0, 99.5, 100.0]])
    out = build(BollingerReversionBot, period=20, width=2.0).compute(frame_from_close(close))
    sig = out["signal"].to_numpy()
    assert (sig[:40] == 0).all()
    assert sig[40] == 1 and sig[41] == 1 and sig[42] == 1   # below the lower band, held until the mean
    assert sig[43] == 0                                     # 100.6 is above the middle band: exit
    assert sig[45] == -1 and sig[46] == -1                  # above the upper band: short
    assert sig[47] == 0                                     # back under the mean
    assert out["target"].iloc[40] > close[40] > out["stop"].iloc[40]


def test_bollinger_long_only() -> None:
    base = 100 + np.tile([0.5, -0.5], 20)
    close = np.concatenate([base, [104.0, 103.0]])
    sig = build(BollingerReversionBot, allow_short=False).compute(frame_from_close(close))["signal"]
    assert (sig == 0).all()
