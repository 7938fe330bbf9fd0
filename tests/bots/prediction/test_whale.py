"""The whale tracker: only large orders count, one order moves the estimate by a bounded
amount whatever its size, the estimate decays, and it reaches every domain's snapshots."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.bots.prediction.market import Trade
from tradefleet.bots.prediction.whale import WhaleTracker

NS = 10**9


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1e7), st.sampled_from(["yes", "no"]), st.integers(0, 7200)),
                min_size=1, max_size=60),
       st.floats(0.01, 1.0))
def test_one_order_moves_the_estimate_by_at_most_max_step(trades, max_step) -> None:
    w = WhaleTracker(min_size=100.0, max_step=max_step, half_life_s=1800.0)
    ts = 0
    for size, side, gap in trades:
        ts += gap * NS
        before = w.at("X", ts)
        after = w.observe(Trade("X", ts, 0.5, size, side))
        assert abs(after - before) <= max_step + 1e-12
        assert -1.0 <= after <= 1.0


def test_small_orders_are_ignored_and_large_ones_push_their_side() -> None:
    w = WhaleTracker(min_size=250.0, max_step=0.2, half_life_s=3600.0)
    for i in range(50):
        w.observe(Trade("X", i * NS, 0.5, 249.0, "yes"))
    assert w.at("X", 50 * NS) == 0.0
    w.observe(Trade("X", 60 * NS, 0.5, 1e9, "yes"))  # a huge order: still one bounded step
    assert 0 < w.at("X", 60 * NS) <= 0.2
    w.observe(Trade("X", 61 * NS, 0.5, 1e9, "no"))
    assert w.at("X", 61 * NS) < 0.2
    later = w.at("X", 61 * NS + 3600 * NS)
    assert abs(later) == pytest.approx(abs(w.at("X", 61 * NS)) / 2)  # one half-life


def test_every_domain_carries_whale_flow_in_the_synthetic_session() -> None:
    from tradefleet.bots.prediction.session import load_session
    from tradefleet.bots.prediction.source import session_path

    session = load_session(session_path("synthetic_session"))
    domains = {t.domain for s in session.snapshots[-1:] for t in s.terms.values()}
    moved = {session.snapshots[0].terms[sym].domain for s in session.snapshots for sym, f in s.flow.items() if f}
    assert moved == domains  # weather, economics, politics and sports contracts all see large orders
