"""The signal tracker's retention: a long run forgets instruments nobody signals any more
(an expired option contract's legs) and old signal ids, and no ``recent`` answer changes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.orchestrator.domain import Direction, Signal
from tests.ai.fakes import make_services

HOUR = 3600 * NS
DAY = 24 * HOUR


def _signal(bot: str, instrument: str, ts: int, i: int, sign: int = 1) -> Signal:
    return Signal(bot, instrument, Direction.LONG if sign > 0 else Direction.SHORT, 0.5, 1.0, ts, i)


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3), st.integers(0, 30 * HOUR),
                                st.integers(-2 * DAY, HOUR), st.sampled_from([-1, 1]),
                                st.integers(0, 26 * HOUR)), min_size=1, max_size=120),
       retention_h=st.integers(1, 48))
def test_every_answer_equals_the_tracker_that_keeps_everything(steps, retention_h):
    """Fed the same signals (instruments that go quiet, late and early stamps) and asked
    at a clock that never goes back, with windows up to the retention, both trackers give
    the same answers."""
    retention = retention_h * HOUR
    kept, pruned = SignalTracker(max_per_instrument=5), SignalTracker(max_per_instrument=5, retention_ns=retention)
    now = 0
    for i, (inst, bot, advance, stamp, sign, window) in enumerate(steps):
        now += advance
        s = _signal(f"b{bot}", f"I{inst}", max(0, now + stamp), i, sign)
        for t in (kept, pruned):
            t.note_signal(s)
            t.note_signal(s)  # the bus delivers it again: ignored
        window = min(window, retention)
        for name in {f"I{inst}", f"I{(inst + 3) % 8}"}:
            for exclude in (None, f"b{bot}"):
                assert pruned.recent(name, now, window, exclude) == kept.recent(name, now, window, exclude)


def test_a_long_run_keeps_only_what_is_recent():
    """Ten years of daily signals, each day on two contracts that then fall silent
    (expired legs) and on one index: what is kept stays about a retention and a week's
    worth, while the tracker that keeps everything grows with the run."""
    kept, pruned = SignalTracker(), SignalTracker(retention_ns=DAY)
    i = 0
    for day in range(3650):
        now = day * DAY + 16 * HOUR
        for inst in ("SPX", f"C{day}", f"P{day}"):
            i += 1
            s = _signal("b", inst, now, i)
            kept.note_signal(s)
            pruned.note_signal(s)
        assert pruned.recent("SPX", now, DAY) == kept.recent("SPX", now, DAY)
    assert len(kept._signals) == 2 * 3650 + 1 and len(kept._seen) == 3 * 3650
    assert len(pruned._signals) <= 2 * 9 + 1 and len(pruned._seen) <= 3 * 9
    assert "SPX" in pruned._signals and len(pruned._signals["SPX"]) <= 256  # a live market keeps its deque


def test_a_window_longer_than_the_retention_extends_it():
    t = SignalTracker(retention_ns=DAY)
    t.note_signal(_signal("a", "X", 0, 1))
    assert t.recent("X", 2 * DAY, 3 * DAY) == [t._signals["X"][0]]
    assert t.retention_ns == 3 * DAY
    t.note_signal(_signal("b", "Y", 2 * DAY, 2))
    assert t.recent("Y", 20 * DAY, 3 * DAY) == []  # the sweep at day 20 forgets both
    assert t.recent("X", 20 * DAY, 3 * DAY) == [] and "X" not in t._signals


@pytest.mark.parametrize("consensus, opposing, hours", [(24.0, 24.0, 24.0), (6.0, 72.0, 72.0), (96.0, 1.0, 96.0)])
def test_the_shared_tracker_keeps_the_longest_ensemble_window(consensus, opposing, hours):
    cfg = AppConfig.model_validate({"ensemble": {"consensus_window_hours": consensus,
                                                 "opposing_window_hours": opposing}})
    services = make_services(cfg, SimClock(0), {})
    assert SignalTracker.shared(services).retention_ns == int(hours * HOUR)


def test_random_streams_with_a_generated_seed_agree_over_many_days():
    """A longer generated stream (100 instruments, a week-long sweep interval crossed many
    times) than hypothesis draws: every answer equal."""
    rng = random.Random(11)
    kept, pruned = SignalTracker(max_per_instrument=8), SignalTracker(max_per_instrument=8, retention_ns=30 * HOUR)
    now = 0
    for i in range(6000):
        now += rng.randrange(0, 3 * HOUR)
        inst = f"I{rng.randrange(100) if rng.random() < 0.5 else i // 50}"
        s = _signal(f"b{rng.randrange(4)}", inst, max(0, now - rng.randrange(0, 40 * HOUR)), i, rng.choice([-1, 1]))
        kept.note_signal(s)
        pruned.note_signal(s)
        window = rng.randrange(0, 30 * HOUR)
        assert pruned.recent(inst, now, window) == kept.recent(inst, now, window)
    assert len(pruned._signals) < len(kept._signals)
