from __future__ import annotations

import numpy as np

from tradefleet.bots.equities.momentum import AbsoluteMomentumBot
from tests.bots.crafted import build, frame_from_close


def test_absolute_momentum_long_when_skip_adjusted_return_beats_hurdle() -> None:
    close = np.concatenate([np.linspace(100, 120, 40), np.linspace(120, 90, 40)])
    bot = build(AbsoluteMomentumBot, lookback=20, skip=5, hurdle=0.02, vol_period=10)
    sig = bot.compute(frame_from_close(close))["signal"].to_numpy()
    assert (sig[:20] == 0).all()                       # not enough history
    mom = close[20 - 5] / close[0] - 1                 # at t=20: close[t-5] / close[t-20] - 1
    assert mom > 0.02 and sig[20] == 1
    assert (sig[20:44] == 1).all()
    assert (sig[50:] == 0).all()                        # the fall: below the hurdle, long only


def test_absolute_momentum_short_and_hurdle_band() -> None:
    close = np.concatenate([np.linspace(100, 101, 40), np.linspace(101, 70, 40)])
    sig = build(AbsoluteMomentumBot, lookback=20, skip=0, hurdle=0.02, allow_short=True, vol_period=10).compute(
        frame_from_close(close))["signal"].to_numpy()
    assert (sig[20:40] == 0).all()   # +0.5 % over 20 bars is inside the hurdle band
    assert (sig[55:] == -1).all()
