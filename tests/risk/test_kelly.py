"""Quarter-Kelly: the formula, shrinkage toward the prior, floor and cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradefleet.risk.config import KellyConfig
from tradefleet.risk.kelly import KellySizer, OutcomeStats, kelly_fraction, shrink


def test_kelly_fraction_equals_formula() -> None:
    assert kelly_fraction(0.6, 2.0) == pytest.approx(0.6 - 0.4 / 2.0)
    assert kelly_fraction(0.5, 1.0) == 0.0
    with pytest.raises(ValueError):
        kelly_fraction(0.5, 0.0)


def test_kelly_without_trades_uses_prior() -> None:
    cfg = KellyConfig(prior_win_rate=0.55, prior_payoff=1.5, fraction=0.25, cap=1.0)
    sizer = KellySizer(cfg)
    assert sizer.fraction("b", "X") == pytest.approx(0.25 * (0.55 - 0.45 / 1.5))


def test_kelly_shrinks_toward_prior_then_measured() -> None:
    cfg = KellyConfig(prior_win_rate=0.5, prior_payoff=1.0, prior_trades=10, fraction=0.25, cap=1.0)
    sizer = KellySizer(cfg)
    for i in range(1000):  # 60% wins of 2, 40% losses of 1: f* = 0.6 - 0.4 / 2 = 0.4
        sizer.record("b", "X", 2.0 if i % 5 < 3 else -1.0)
    p, b, n = sizer.estimates("b", "X")
    assert n == 1000
    assert p == pytest.approx(0.6, abs=0.005)
    assert b == pytest.approx(2.0, abs=0.02)
    assert sizer.fraction("b", "X") == pytest.approx(0.25 * 0.4, abs=0.005)
    # a new instrument of the same bot inherits the bot's record, not the raw prior
    p_new, _, n_new = sizer.estimates("b", "NEW")
    assert n_new == 0 and p_new == pytest.approx(0.6, abs=0.005)


def test_shrink_exact_values() -> None:
    s = OutcomeStats()
    for pnl in (3.0, -1.0, 1.0, -1.0):
        s.add(pnl)
    p, b = shrink(s, 0.5, 1.0, 4)
    assert p == pytest.approx((2 + 4 * 0.5) / 8)
    assert b == pytest.approx((4 * 2.0 + 4 * 1.0) / 8)


def test_kelly_never_negative_and_capped() -> None:
    sizer = KellySizer(KellyConfig(prior_trades=0, cap=0.1, fraction=1.0))
    for _ in range(20):
        sizer.record("loser", "X", -1.0)
    sizer.record("loser", "X", 0.5)
    assert sizer.fraction("loser", "X") == 0.0
    for _ in range(50):
        sizer.record("winner", "X", 5.0)
    sizer.record("winner", "X", -1.0)
    assert sizer.fraction("winner", "X") == 0.1


@given(st.lists(st.floats(-100, 100, allow_nan=False), max_size=60))
def test_kelly_fraction_always_within_bounds(pnls: list[float]) -> None:
    cfg = KellyConfig()
    sizer = KellySizer(cfg)
    for x in pnls:
        sizer.record("b", "X", x)
    assert 0.0 <= sizer.fraction("b", "X") <= cfg.cap
