from __future__ import annotations

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.bots.equities.volatility import BollingerSqueezeBot, KeltnerBreakoutBot, RangeExpansionBot
from tests.bots.crafted import build, frame_from_close, frame_ohlc


def test_keltner_breakout_enters_above_band_exits_below_ema() -> None:
    close = np.concatenate([100 + np.tile([0.5, -0.5], 20), [104.0, 106.0, 107.0, 103.0, 100.0, 99.0]])
    f = frame_from_close(close, spread=0.002)
    out = build(KeltnerBreakoutBot, period=10, width=1.5).compute(f)
    sig = out["signal"].to_numpy()
    lo, mid, up = ta.keltner(f.high.to_numpy(), f.low.to_numpy(), close, 10, 1.5)
    assert close[40] > up[40] and sig[40] == 1
    exit_ = 40 + int(np.flatnonzero(close[40:] < mid[40:])[0])
    assert (sig[40:exit_] == 1).all() and sig[exit_] == 0
    assert (sig[:40] == 0).all()


def test_squeeze_breakout_only_after_narrow_bands() -> None:
    wide = 100 + np.tile([3.0, -3.0], 30)
    tight = 100 + np.tile([0.2, -0.2], 30)
    close = np.concatenate([wide, tight, [102.0, 103.0, 101.0, 99.0]])
    sig = build(BollingerSqueezeBot, period=20, squeeze_lookback=60, memory=5).compute(
        frame_from_close(close))["signal"].to_numpy()
    assert (sig[:120] == 0).all()
    assert sig[120] == 1 and sig[121] == 1
    # the same breakout out of wide bands is no squeeze: nothing
    close2 = np.concatenate([wide, wide, [110.0, 111.0]])
    sig2 = build(BollingerSqueezeBot, period=20, squeeze_lookback=60, memory=5).compute(
        frame_from_close(close2))["signal"].to_numpy()
    assert (sig2[:120] == 0).all()


def test_range_expansion_holds_for_n_bars() -> None:
    o = [100, 100, 100, 100, 100.0, 102, 102, 102, 102, 102]
    c = [100.2, 99.8, 100.1, 99.9, 101.5, 102.1, 101.9, 102.0, 102.2, 101.8]
    h = [max(a, b) + 0.5 for a, b in zip(o, c, strict=True)]
    lo = [min(a, b) - 0.5 for a, b in zip(o, c, strict=True)]
    sig = build(RangeExpansionBot, k=1.0, hold=3).compute(frame_ohlc(o, h, lo, c))["signal"].tolist()
    # bar 4: body 1.5 > 1.0 * prior range (1.2): long for bars 4, 5, 6, flat at 7
    assert sig == [0, 0, 0, 0, 1, 1, 1, 0, 0, 0]
