from __future__ import annotations

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.bots.equities.trend_strength import AdxTrendBot, AroonTrendBot, RegressionTrendBot
from tests.bots.crafted import build, frame_from_close, random_walk


def test_adx_long_in_strong_rise_short_in_strong_fall_flat_in_chop() -> None:
    chop = 100 + 2 * np.sin(2 * np.pi * np.arange(80) / 8)
    rise = np.linspace(100, 160, 60)
    fall = np.linspace(160, 100, 60)
    f = frame_from_close(np.concatenate([chop, rise, fall]), spread=0.002)
    out = build(AdxTrendBot, period=14, threshold=25.0).compute(f)
    sig = out["signal"].to_numpy()
    adx, pdi, mdi = ta.adx(f.high.to_numpy(), f.low.to_numpy(), f.close.to_numpy(), 14)
    assert np.nanmax(adx[40:80]) < 25 and (sig[:80] == 0).all()
    assert (sig[110:140] == 1).all() and (sig[175:] == -1).all()
    np.testing.assert_array_equal(sig != 0, np.nan_to_num(adx) > 25)
    long_only = build(AdxTrendBot, allow_short=False).compute(f)["signal"].to_numpy()
    assert (long_only[175:] == 0).all()


def test_aroon_follows_fresh_highs() -> None:
    close = np.concatenate([np.linspace(100, 130, 40), np.linspace(130, 100, 40)])
    f = frame_from_close(close)
    sig = build(AroonTrendBot, period=10, threshold=50.0, allow_short=True).compute(f)["signal"].to_numpy()
    assert (sig[:10] == 0).all()
    assert (sig[10:40] == 1).all()     # every bar a new high: up 100, down 0
    assert (sig[46:] == -1).all()      # after the top leaves the window's recent part
    up, down = ta.aroon(f.high.to_numpy(), f.low.to_numpy(), 10)
    assert up[39] == 100 and down[39] == 0 and down[70] == 100 and up[70] == 0


def test_regression_trades_significant_slopes_only() -> None:
    trend = 100 * 1.002 ** np.arange(120)                      # a clean exponential: t = inf
    noise = random_walk(120, seed=11, vol=0.01, start=trend[-1])
    f = frame_from_close(np.concatenate([trend, noise]))
    out = build(RegressionTrendBot, period=30, t_entry=8.0).compute(f)
    sig = out["signal"].to_numpy()
    assert (sig[29:120] == 1).all() and (sig[:29] == 0).all()
    _, t = ta.linreg(np.log(f.close.to_numpy()), 30)
    np.testing.assert_array_equal(sig[150:] == 1, t[150:] > 8.0)
    assert (np.abs(t[150:]) < 8).mean() > 0.5                  # the random walk is mostly insignificant


def test_linreg_matches_numpy_polyfit() -> None:
    y = random_walk(50, seed=5)
    slope, t = ta.linreg(y, 20)
    for k in (19, 33, 49):
        w = y[k - 19:k + 1]
        x = np.arange(20.0)
        (b, a), res, *_ = np.polyfit(x, w, 1, full=True)
        se = np.sqrt(res[0] / 18 / ((x - x.mean()) ** 2).sum())
        assert np.isclose(slope[k], b) and np.isclose(t[k], b / se)
