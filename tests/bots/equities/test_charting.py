from __future__ import annotations

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.bots.equities.charting import HeikinAshiTrendBot, IchimokuCloudBot
from tests.bots.crafted import build, frame_from_close, frame_ohlc


def test_ichimoku_long_above_cloud_short_below() -> None:
    close = np.concatenate([np.full(80, 100.0), np.linspace(100, 150, 60), np.linspace(150, 80, 80)])
    f = frame_from_close(close, spread=0.002)
    out = build(IchimokuCloudBot, allow_short=True).compute(f)
    sig = out["signal"].to_numpy()
    tk, kj, sa, sb = ta.ichimoku(f.high.to_numpy(), f.low.to_numpy())
    assert (sig[:78] == 0).all()                   # spans need 52 + 26 bars
    assert (sig[90:140] == 1).all()
    assert (sig[180:] == -1).all()
    i = 120
    assert close[i] > max(sa[i], sb[i]) and tk[i] > kj[i]
    assert (out["stop"][sig == 1] < f.close[sig == 1]).all()
    long_only = build(IchimokuCloudBot).compute(f)["signal"].to_numpy()
    assert (long_only[180:] == 0).all()


def test_heikin_ashi_needs_a_run_to_flip() -> None:
    # opens = previous close; a rise, one sharp down bar, more rise, then a slide
    c = [100, 101, 102, 103, 104, 100.5, 104.5, 106, 104, 101, 98, 95]
    o = [100] + c[:-1]
    h = [max(a, b) + 0.1 for a, b in zip(o, c, strict=True)]
    lo = [min(a, b) - 0.1 for a, b in zip(o, c, strict=True)]
    f = frame_ohlc(o, h, lo, c)
    ha_o, ha_c = ta.heikin_ashi(*(f[k].to_numpy() for k in ("open", "high", "low", "close")))
    colour = np.sign(np.round(ha_c - ha_o, 9)).astype(int).tolist()
    assert colour == [0, 1, 1, 1, 1, -1, 1, 1, 1, -1, -1, -1]
    sig = build(HeikinAshiTrendBot, run=3, allow_short=True).compute(f)["signal"].tolist()
    # long once three greens are in (bar 3); the lone red at bar 5 does not flip it; three reds do
    assert sig == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, -1]
    sig_lo = build(HeikinAshiTrendBot, run=3).compute(f)["signal"].tolist()
    assert sig_lo[-1] == 0


def test_heikin_ashi_values_by_hand() -> None:
    o, h, lo, c = [np.array(v, float) for v in ([10, 11], [12, 13], [9, 10], [11, 12])]
    ha_o, ha_c = ta.heikin_ashi(o, h, lo, c)
    assert ha_c.tolist() == [10.5, 11.5] and ha_o.tolist() == [10.5, 10.5]
