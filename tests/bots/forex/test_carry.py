from __future__ import annotations

import numpy as np
import pytest

from tradefleet.bots.forex.carry import EURUSD_CARRY, CarryTrendBot
from tradefleet.orchestrator.errors import PluginError
from tests.bots.crafted import build, frame_from_close


def _frame() -> np.ndarray:
    return np.concatenate([np.linspace(1.20, 1.10, 100), np.linspace(1.10, 1.25, 100)])


def test_carry_holds_the_high_yielder_only_with_the_trend() -> None:
    f = frame_from_close(_frame(), freq="1h", spread=0.0005)
    short_carry = build(CarryTrendBot, base_rate=-0.4, quote_rate=1.25, trend_period=20).compute(f)["signal"]
    sig = short_carry.to_numpy()
    assert (sig[:19] == 0).all()
    assert (sig[25:100] == -1).all()          # falling pair: the trend agrees with short carry
    assert (sig[120:] == 0).all()             # rising pair: never long against the carry
    long_carry = build(CarryTrendBot, base_rate=4.0, quote_rate=0.5, trend_period=20).compute(f)["signal"]
    assert (long_carry.to_numpy()[120:] == 1).all() and (long_carry.to_numpy()[25:100] == 0).all()


def test_carry_needs_a_meaningful_differential() -> None:
    f = frame_from_close(_frame(), freq="1h")
    sig = build(CarryTrendBot, base_rate=1.0, quote_rate=1.2, trend_period=20).compute(f)["signal"]
    assert (sig == 0).all()
    with pytest.raises(PluginError):
        EURUSD_CARRY.make_params({"base_rate": None})
