"""Rolling-IC weights and the replay data fallback."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.ai.data import ReplayFallbackData
from tradefleet.ai.ensemble.combine import ICTracker, combine
from tradefleet.ai.ensemble.source import Vote
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import load_dataset
from tests.ai.fakes import FrameData

EUR = load_dataset("eurusd")
TS = EUR.index.as_unit("ns").asi8
CLOSE = EUR["close"].to_numpy()


def test_ic_rewards_sources_that_predicted_the_return_and_only_after_it_closed():
    ic = ICTracker(window=40, horizon=3, strength=2.0)
    for i in range(100, 160):
        fwd = CLOSE[i + 3] / CLOSE[i] - 1.0
        votes = [Vote("good", float(np.tanh(fwd * 100)), 1.0), Vote("bad", float(np.tanh(-fwd * 100)), 1.0),
                 Vote.abstained("quiet", "unavailable: x")]
        ic.record("EUR/USD", int(TS[i]), float(CLOSE[i]), votes)
        ic.resolve("EUR/USD", TS[: i + 1], CLOSE[: i + 1])  # only bars closed by now
    m = ic.multipliers(["good", "bad", "quiet"])
    assert m["good"] == pytest.approx(2.0) and m["bad"] == pytest.approx(0.0) and m["quiet"] == 1.0
    assert ic.ic("good") == pytest.approx(1.0)
    # the last 3 votes are still pending: their returns have not closed yet
    assert ic.resolved("good") == 40 and len(ic._pending["EUR/USD"]) == 2 * 3
    res = combine([Vote("good", 0.5, 1.0), Vote("bad", -0.5, 1.0)], {"good": 10, "bad": 10}, m)
    assert res.weights == {"good": 1.0, "bad": 0.0} and res.score == pytest.approx(0.5)


def test_ic_needs_enough_pairs():
    ic = ICTracker(window=60, horizon=1, strength=2.0)
    assert ic.multipliers(["x"]) == {"x": 1.0}


def test_replay_fallback_serves_bundled_history_cut_at_the_clock():
    clock = SimClock(int(TS[1000]))
    late_start = FrameData({"EUR/USD": EUR.iloc[900:]}, clock)  # a replay that starts at bar 900
    data = ReplayFallbackData(late_start, clock)
    f = data.frame("EUR/USD", 300)
    assert len(f) == 300 and f.index[-1] == EUR.index[1000] and f.index[0] == EUR.index[701]
    assert len(data.frame("EUR/USD")) == 1001
    assert len(data.frame("EUR/USD", 50)) == 50
    # a symbol not loaded at all (a regime market no bot trades) still cuts at the clock
    assert data.frame("BTC/USD").index[-1] <= EUR.index[1000]
    remapped = ReplayFallbackData(late_start, clock, frozenset({"EUR/USD"}))
    assert len(remapped.frame("EUR/USD", 300)) == 101  # a file mapped in [replay.data] is never replaced
    with pytest.raises(DataError):
        remapped.frame("XYZ")
