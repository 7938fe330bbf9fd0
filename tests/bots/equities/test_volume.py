from __future__ import annotations

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.bots.equities.volume import ObvTrendBot
from tests.bots.crafted import build, frame_from_close


def test_obv_hand_computed() -> None:
    o = ta.obv(np.array([10.0, 11.0, 10.5, 10.5, 12.0]), np.array([5.0, 3.0, 2.0, 7.0, 1.0]))
    assert o.tolist() == [0.0, 3.0, 1.0, 1.0, 2.0]


def test_obv_trend_needs_volume_confirmation() -> None:
    n = 60
    close = np.concatenate([np.linspace(100, 120, n), np.linspace(120, 100, n)])
    heavy_up = np.where(np.arange(2 * n) < n, 5000.0, 1000.0)
    f = frame_from_close(close, volume=heavy_up)
    sig = build(ObvTrendBot, obv_period=10, price_period=20, allow_short=True).compute(f)["signal"].to_numpy()
    assert (sig[25:n] == 1).all() and (sig[n + 25:] == -1).all()
    # price rising while volume flows out (down days carry the volume): no confirmation, no long
    zig = 100 + np.cumsum(np.tile([1.0, -0.5], n))
    vol = np.tile([100.0, 5000.0], n)
    sig2 = build(ObvTrendBot, obv_period=10, price_period=20).compute(frame_from_close(zig, volume=vol))["signal"]
    assert (sig2 == 0).all()
