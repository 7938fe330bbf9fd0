from __future__ import annotations

import numpy as np

from tradefleet.bots.equities.gaps import GapFadeBot
from tests.bots.crafted import build, frame_ohlc


def _bars(n: int = 20) -> tuple[list[float], list[float], list[float], list[float]]:
    c = [100.0 + 0.1 * (i % 2) for i in range(n)]
    o = [100.0] + c[:-1]
    return o, [x + 0.5 for x in c], [x - 0.5 for x in c], c


def test_gap_down_is_bought_until_filled() -> None:
    o, h, lo, c = _bars()
    # bar 15 gaps down to 98 (ATR ~1) and closes at 98.2; bar 16 recovers to 99; bar 17 fills
    o[15], h[15], lo[15], c[15] = 98.0, 98.5, 97.8, 98.2
    o[16], h[16], lo[16], c[16] = 98.2, 99.2, 98.1, 99.0
    o[17], h[17], lo[17], c[17] = 99.0, 100.3, 98.9, 100.2
    o[18], h[18], lo[18] = c[17], 100.6, 99.5
    out = build(GapFadeBot, gap_atr=0.75, hold=3).compute(frame_ohlc(o, h, lo, c))
    sig = out["signal"].tolist()
    assert sig[:15] == [0] * 15
    assert sig[15] == 1 and sig[16] == 1 and sig[17] == 0
    assert out["target"].iloc[15] == c[14]      # the pre-gap close


def test_unfilled_gap_is_abandoned_after_hold_bars() -> None:
    o, h, lo, c = _bars()
    o[15], h[15], lo[15], c[15] = 98.0, 98.5, 97.8, 98.2
    for i in range(16, 20):
        o[i], h[i], lo[i], c[i] = 98.2, 98.6, 97.9, 98.3
    sig = build(GapFadeBot, gap_atr=0.75, hold=2).compute(frame_ohlc(o, h, lo, c))["signal"].tolist()
    assert sig[15:] == [1, 1, 0, 0, 0]


def test_gap_up_is_shorted_and_small_gaps_ignored() -> None:
    o, h, lo, c = _bars()
    o[15], h[15], lo[15], c[15] = 102.0, 102.3, 101.5, 101.8
    o[16], h[16] = c[15], 102.0
    o[10], h[10], lo[10], c[10] = 100.4, 100.6, 99.6, 100.0   # a 0.4 gap: too small
    sig = np.array(build(GapFadeBot, gap_atr=0.75).compute(frame_ohlc(o, h, lo, c))["signal"])
    assert sig[15] == -1 and sig[10] == 0
    long_only = np.array(build(GapFadeBot, allow_short=False).compute(frame_ohlc(o, h, lo, c))["signal"])
    assert (long_only == 0).all()
