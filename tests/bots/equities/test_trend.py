from __future__ import annotations

import numpy as np
import pytest

from tradefleet.bots.equities.trend import SPX_SMA_TREND, MovingAverageTrendBot
from tradefleet.orchestrator.errors import PluginError
from tests.bots.crafted import build, frame_from_close

# flat, then a steady rise, then a steady fall
CLOSE = np.concatenate([np.full(30, 100.0), np.linspace(100, 130, 30), np.linspace(130, 90, 40)])


def test_sma_trend_long_in_rise_flat_in_fall() -> None:
    out = build(MovingAverageTrendBot, fast=5, slow=20).compute(frame_from_close(CLOSE))
    sig = out["signal"].to_numpy()
    assert (sig[:31] == 0).all()            # warm-up and a flat market: no trend
    assert (sig[32:60] == 1).all()          # the rise: fast SMA above slow
    assert (sig[70:] == 0).all()            # the fall, long only: flat
    assert (out["stop"][sig == 1] < frame_from_close(CLOSE)["close"][sig == 1]).all()


def test_ema_trend_goes_short_in_fall_when_allowed() -> None:
    out = build(MovingAverageTrendBot, fast=5, slow=20, kind="ema", allow_short=True).compute(frame_from_close(CLOSE))
    sig = out["signal"].to_numpy()
    assert (sig[35:60] == 1).all()
    assert (sig[70:] == -1).all()
    assert np.isnan(out["stop"].to_numpy()[sig == 0]).all()


def test_trend_crossing_bar_is_exact() -> None:
    # Fast (3) crosses slow (6) on the first bar where mean(last 3) > mean(last 6).
    close = [10, 10, 10, 10, 10, 10, 11, 12, 13]
    sig = build(MovingAverageTrendBot, fast=3, slow=6).compute(frame_from_close(close))["signal"].tolist()
    assert sig == [0, 0, 0, 0, 0, 0, 1, 1, 1]


def test_trend_params_validated() -> None:
    with pytest.raises(PluginError, match="fast"):
        SPX_SMA_TREND.make_params({"fast": 300, "slow": 200})
