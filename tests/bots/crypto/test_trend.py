from __future__ import annotations

import numpy as np

from tradefleet.bots.crypto.trend import BTC_SMA_TREND, CryptoTrendBot
from tests.bots.crafted import build, frame_from_close


def test_crypto_trend_filter_on_monthly_bars() -> None:
    close = np.concatenate([np.full(10, 100.0), 100 * 1.1 ** np.arange(1, 9), 214 * 0.85 ** np.arange(1, 9)])
    sig = build(CryptoTrendBot, fast=3, slow=10, atr_period=6).compute(frame_from_close(close, freq="MS"))
    s = sig["signal"].to_numpy()
    assert (s[:10] == 0).all()
    assert (s[11:18] == 1).all()      # the 3-month SMA climbs over the 10-month one
    assert (s[-4:] == 0).all()        # the crash: long only, flat
    assert BTC_SMA_TREND.family == "crypto" and BTC_SMA_TREND.build().warmup_bars() < 156 // 2
