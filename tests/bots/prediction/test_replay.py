"""Snapshot feeding and the settlement rule. What the bots earn is proven through the real
engine (``tests/orchestrator/test_prediction_replay.py``, ``tests/backtest/test_quote_replay.py``),
not by a side simulator."""

from __future__ import annotations

import pytest

from tradefleet.bots.prediction.bots import KALSHI_WEATHER
from tradefleet.bots.prediction.market import ContractTerms, PredictionSnapshot, load_fixture
from tradefleet.bots.prediction.replay import outcome, run_snapshots
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import PluginError


def test_outcome_respects_direction_of_terms() -> None:
    assert outcome(ContractTerms("a", "weather", "v", 85.0), 88.0)
    assert not outcome(ContractTerms("a", "weather", "v", 85.0), 85.0)
    assert outcome(ContractTerms("a", "economics", "v", 4.25, above=False), 4.25)


def test_replay_uses_the_sim_clock_and_refuses_bar_bots() -> None:
    from tradefleet.bots.equities.trend import SPX_SMA_TREND

    snaps: list[PredictionSnapshot] = load_fixture("handwritten_synthetic")
    clock = SimClock(0)
    run_snapshots(KALSHI_WEATHER, snaps, clock)
    assert clock.now_ns() == snaps[-1].ts_ns
    with pytest.raises(PluginError, match="bar bot"):
        run_snapshots(SPX_SMA_TREND, snaps)
