from __future__ import annotations

import numpy as np
import pytest

from tradefleet.bots.equities.breakout import IXIC_DONCHIAN, DonchianBreakoutBot
from tradefleet.orchestrator.errors import PluginError
from tests.bots.crafted import build, frame_from_close


def test_donchian_enters_on_breakout_and_exits_on_exit_channel() -> None:
    rng = 100 + np.tile([1.0, -1.0, 0.5, -0.5], 10)          # 40 bars inside 99..101
    up = np.array([103.0, 105.0, 106.0, 104.0, 105.0])         # breakout and hold
    down = np.array([100.0, 97.0, 96.0])                       # falls through the 10-bar low
    close = np.concatenate([rng, up, down])
    out = build(DonchianBreakoutBot, entry_period=20, exit_period=10).compute(frame_from_close(close, spread=0.001))
    sig = out["signal"].to_numpy()
    assert (sig[:40] == 0).all()
    assert (sig[40:45] == 1).all()
    assert sig[46] == 0 and sig[47] == 0
    lows = frame_from_close(close, spread=0.001)["low"].to_numpy()
    assert out["stop"].iloc[42] == pytest.approx(lows[32:42].min())


def test_donchian_short_side() -> None:
    rng = 100 + np.tile([1.0, -1.0], 20)
    close = np.concatenate([rng, [96.0, 95.0, 94.0, 100.5, 102.5]])
    sig = build(DonchianBreakoutBot, entry_period=20, exit_period=3, allow_short=True).compute(
        frame_from_close(close, spread=0.001))["signal"].to_numpy()
    assert (sig[40:43] == -1).all()
    assert sig[43] == 0   # above the 3-bar high: short exits, still inside the 20-bar channel
    assert sig[44] == 1   # above the 20-bar high: long


def test_donchian_exit_must_not_exceed_entry() -> None:
    with pytest.raises(PluginError):
        IXIC_DONCHIAN.make_params({"entry_period": 10, "exit_period": 20})
