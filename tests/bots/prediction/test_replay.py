from __future__ import annotations

import pytest

from bots.prediction.bots import KALSHI_POLY_ARB, KALSHI_WEATHER, PREDICTION_SPECS
from bots.prediction.edge import kalshi_fee
from bots.prediction.market import ContractTerms, PredictionSnapshot, load_fixture
from bots.prediction.replay import backtest_fixture, outcome, run_snapshots, settle
from orchestrator.clock import SimClock
from orchestrator.errors import PluginError


def test_outcome_respects_direction_of_terms() -> None:
    assert outcome(ContractTerms("a", "weather", "v", 85.0), 88.0)
    assert not outcome(ContractTerms("a", "weather", "v", 85.0), 85.0)
    assert outcome(ContractTerms("a", "economics", "v", 4.25, above=False), 4.25)


def test_weather_backtest_settles_against_recorded_high() -> None:
    entries = backtest_fixture(KALSHI_WEATHER, "sample_session")
    # two YES entries on "> 85" (t0, then after the cooldown at t0 + 35 min); the high was 88
    assert [e.signal.instrument for e in entries] == ["KXHIGHNY-T85", "KXHIGHNY-T85"]
    assert all(e.won for e in entries)
    assert entries[0].pnl == pytest.approx(1 - 0.25 - kalshi_fee(0.25, 100) / 100)


def test_arbitrage_pays_the_locked_edge_whatever_the_outcome() -> None:
    snaps = load_fixture("sample_session")
    sigs = run_snapshots(KALSHI_POLY_ARB, snaps)
    locked = sigs[0].meta["locked"]
    for fed_upper in (4.0, 4.5):
        pnl = sum(e.pnl for e in settle(sigs, snaps, {"fed_upper_2024-12": fed_upper}))
        assert pnl == pytest.approx(locked)


def test_every_prediction_spec_backtests_on_the_fixture() -> None:
    for spec in PREDICTION_SPECS:
        entries = backtest_fixture(spec, "sample_session")
        assert entries, f"{spec.name} took no entry on the sample session"


def test_replay_uses_the_sim_clock_and_refuses_bar_bots() -> None:
    from bots.equities.trend import SPX_SMA_TREND

    snaps: list[PredictionSnapshot] = load_fixture("sample_session")
    clock = SimClock(0)
    run_snapshots(KALSHI_WEATHER, snaps, clock)
    assert clock.now_ns() == snaps[-1].ts_ns
    with pytest.raises(PluginError, match="bar bot"):
        run_snapshots(SPX_SMA_TREND, snaps)
