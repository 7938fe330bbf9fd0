from __future__ import annotations

import numpy as np
import pytest

from tradefleet.bots import indicators as ta
from tradefleet.bots.crypto.oscillators import (
    BTC_GRID,
    FearGreedContrarianBot,
    GridBot,
    RsiExtremesBot,
    fear_greed_proxy,
)
from tradefleet.orchestrator.errors import PluginError
from tests.bots.crafted import build, frame_from_close


def test_rsi_extremes_long_oversold_short_overbought_exit_at_50() -> None:
    close = np.concatenate([np.linspace(100, 80, 10), [82.0, 85.0, 88.0], np.linspace(90, 120, 8), [115.0, 110.0]])
    sig = build(RsiExtremesBot, period=4, oversold=30.0, overbought=70.0).compute(
        frame_from_close(close, freq="MS"))["signal"].to_numpy()
    r = ta.rsi(close, 4)
    first_long = int(np.flatnonzero(r < 30)[0])
    back = first_long + int(np.flatnonzero(r[first_long:] > 50)[0])
    assert (sig[:first_long] == 0).all() and (sig[first_long:back] == 1).all()
    first_short = int(np.flatnonzero(r > 70)[0])
    assert first_short >= back and sig[first_short] == -1
    assert (sig[np.isnan(r)] == 0).all()


def test_grid_levels_and_sizing() -> None:
    # anchor = SMA(3); 100, 100, 100 then 88 (-8.1 % of 97.3... one level at 5 % steps)
    close = [100.0, 100.0, 100.0, 80.0, 100.0, 120.0, 150.0]
    out = build(GridBot, center_period=3, step=0.05, levels=4).compute(frame_from_close(close, freq="MS"))
    center = np.convolve(close, np.ones(3) / 3, "valid")
    lvl = np.clip(np.trunc((np.array(close[2:]) / center - 1) / 0.05), -4, 4)
    assert out["signal"].tolist()[2:] == (-np.sign(lvl)).astype(int).tolist()
    assert out["signal"].iloc[3] == 1 and out["signal"].iloc[6] == -1
    on = lvl != 0
    np.testing.assert_allclose(out["confidence"].to_numpy()[2:][on], np.abs(lvl[on]) / 4)
    assert out["target"].iloc[3] == pytest.approx(center[1])


def test_grid_params_rejected_when_grid_crosses_zero() -> None:
    with pytest.raises(PluginError, match="step"):
        BTC_GRID.make_params({"step": 0.3, "levels": 4})
    assert BTC_GRID.regimes == frozenset({"sideways"})


def test_fear_greed_proxy_components_by_hand() -> None:
    close = 100 * np.ones(30)
    close[-1] = 70.0   # a 30 % crash on the last bar
    fg = fear_greed_proxy(close, 5)
    rsi = 0.0
    mom = 50 + 50 * (70 / 94 - 1) / 0.3                 # close vs SMA(5) = 94
    dd = 100 * (1 + (70 / 100 - 1) / 0.5)               # 30 % below the 5-bar high
    lr = np.diff(np.log(close))
    ratio = lr[-5:].std() / lr[-15:].std()
    vol = np.clip(100 * (1.5 - ratio), 0, 100)
    assert fg[-1] == pytest.approx((rsi + mom + dd + vol) / 4)
    assert fg[-1] < 25


def test_fear_greed_contrarian_buys_the_crash_and_sells_the_euphoria() -> None:
    close = np.concatenate([100 * 1.01 ** np.arange(30), [90.0, 70.0, 60.0], 60 * 1.12 ** np.arange(1, 12)])
    f = frame_from_close(close, freq="MS")
    sig = build(FearGreedContrarianBot, period=5, fear=25.0, greed=75.0).compute(f)["signal"].to_numpy()
    fg = fear_greed_proxy(close, 5)
    entry = int(np.flatnonzero(fg < 25)[0])
    exit_ = entry + int(np.flatnonzero(fg[entry:] > 75)[0])
    assert 30 <= entry <= 33 and (sig[:entry] == 0).all()
    assert (sig[entry:exit_] == 1).all() and sig[exit_] == 0
