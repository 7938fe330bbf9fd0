from __future__ import annotations

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.bots.forex.macd import MacdCrossBot
from tests.bots.crafted import build, frame_from_close


def _accelerating_then_reversing() -> np.ndarray:
    t = np.arange(80.0)
    up = 1.10 + 2e-6 * t**2                   # accelerating rise: MACD above its signal line
    down = up[-1] - 2e-6 * t**2               # accelerating fall: MACD below its signal line
    return np.concatenate([up, down])


def test_macd_follows_the_histogram_sign() -> None:
    close = _accelerating_then_reversing()
    frame = frame_from_close(close, freq="1h", spread=0.0002)
    out = build(MacdCrossBot, min_hist_atr=0.0).compute(frame)
    sig = out["signal"].to_numpy()
    _, _, hist = ta.macd(close, 12, 26, 9)
    first = int(np.flatnonzero(np.isfinite(hist))[0])
    assert first == 33 and (sig[:first] == 0).all()
    np.testing.assert_array_equal(sig[first:], np.sign(hist[first:]))
    assert (sig[40:80] == 1).all() and (sig[100:] == -1).all()
    short = sig == -1
    assert (out["target"][short] < frame["close"][short]).all()
    assert (out["stop"][short] > frame["close"][short]).all()


def test_macd_dead_band_holds_previous_side() -> None:
    # An accelerating rise, then a flat market: the histogram turns negative slowly; with a
    # dead band the long is held until the histogram clears the band.
    t = np.arange(60.0)
    close = np.concatenate([1.0 + 2e-5 * t**2, np.full(12, 1.0 + 2e-5 * 59**2)])
    frame = frame_from_close(close, freq="1h", spread=0.0002)
    atr = ta.atr(frame["high"].to_numpy(), frame["low"].to_numpy(), close, 14)
    _, _, hist = ta.macd(close)
    sig_band = build(MacdCrossBot, min_hist_atr=0.5).compute(frame)["signal"].to_numpy()
    sig_none = build(MacdCrossBot, min_hist_atr=0.0).compute(frame)["signal"].to_numpy()
    inside = np.flatnonzero((hist < 0) & (np.abs(hist) < 0.5 * atr))
    assert inside.size, "crafted data must have bars with a small negative histogram"
    assert (sig_none[inside] == -1).all()
    assert (sig_band[inside] == 1).all()
    cleared = np.flatnonzero(hist < -0.5 * atr)
    assert cleared.size and (sig_band[cleared] == -1).all()
