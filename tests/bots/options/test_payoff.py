"""Strategy payoffs and P&L at expiry: exact figures, breakevens, extremes, Greeks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.bots.options.payoff import Leg, OptionStrategy
from tradefleet.risk.options.bsm import bsm_valuation
from tradefleet.risk.options.errors import OptionInputError


def _spread() -> OptionStrategy:
    return OptionStrategy("bull call spread", (Leg("call", 1, 6.0, 95.0), Leg("call", -1, 2.0, 105.0)), 100.0, 0.25)


def test_payoff_and_pnl_at_expiry_of_a_bull_call_spread() -> None:
    s = _spread()
    spots = np.array([80.0, 95.0, 99.0, 100.0, 105.0, 130.0])
    np.testing.assert_allclose(s.payoff_at_expiry(spots), [0, 0, 4, 5, 10, 10])
    np.testing.assert_allclose(s.pnl_at_expiry(spots), [-4, -4, 0, 1, 6, 6])
    assert s.net_premium == 4.0
    assert s.breakevens() == [99.0]
    assert (s.max_profit(), s.max_loss()) == (6.0, -4.0)


def test_multiplier_scales_money_not_breakevens() -> None:
    s = OptionStrategy("x", _spread().legs, 100.0, 0.25, multiplier=100)
    assert s.pnl_at_expiry(np.array([130.0]))[0] == 600.0
    assert s.breakevens() == [99.0] and s.max_loss() == -400.0


def test_unbounded_strategies() -> None:
    naked_call = OptionStrategy("short call", (Leg("call", -1, 3.0, 100.0),), 100.0, 0.1)
    assert naked_call.max_loss() == -math.inf and naked_call.max_profit() == 3.0
    assert naked_call.breakevens() == [103.0]
    long_stock = OptionStrategy("stock", (Leg("stock", 1, 100.0),), 100.0, 0.1)
    assert long_stock.max_profit() == math.inf and long_stock.max_loss() == -100.0
    straddle = OptionStrategy("straddle", (Leg("call", 1, 4.0, 100.0), Leg("put", 1, 3.0, 100.0)), 100.0, 0.1)
    assert straddle.breakevens() == [93.0, 107.0] and straddle.max_loss() == -7.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["call", "put"]), st.integers(-3, 3).filter(bool),
                          st.floats(0, 20), st.floats(50, 150)), min_size=1, max_size=4))
def test_breakevens_and_extremes_agree_with_a_dense_grid(legs: list) -> None:
    s = OptionStrategy("random", tuple(Leg(k, q, p, x) for k, q, p, x in legs), 100.0, 0.5)
    grid = np.linspace(0, 400, 80_001)
    pnl = s.pnl_at_expiry(grid)
    for be in s.breakevens():
        assert abs(float(s.pnl_at_expiry(np.array([be]))[0])) < 1e-8
    crossings = np.flatnonzero(np.sign(pnl[:-1]) * np.sign(pnl[1:]) < 0)
    assert len(crossings) <= len(s.breakevens())
    if math.isfinite(s.max_profit()):
        assert pnl.max() <= s.max_profit() + 1e-9
    if math.isfinite(s.max_loss()):
        assert pnl.min() >= s.max_loss() - 1e-9


def test_pnl_before_expiry_converges_to_expiry_pnl_and_starts_at_zero() -> None:
    from tradefleet.risk.options.bsm import bsm_price

    k1, k2 = 95.0, 105.0
    prem = [float(bsm_price("call", 100.0, k, 0.25, 0.05, 0.2)) for k in (k1, k2)]
    s = OptionStrategy("bcs", (Leg("call", 1, prem[0], k1), Leg("call", -1, prem[1], k2)), 100.0, 0.25)
    assert float(s.pnl_before_expiry(np.array([100.0]), 0.25, 0.05, 0.2)[0]) == pytest.approx(0.0, abs=1e-12)
    spots = np.array([90.0, 100.0, 110.0])
    np.testing.assert_allclose(s.pnl_before_expiry(spots, 1e-8, 0.05, 0.2), s.pnl_at_expiry(spots), atol=1e-6)
    np.testing.assert_allclose(s.pnl_before_expiry(spots, 0.0, 0.05, 0.2), s.pnl_at_expiry(spots))


def test_strategy_greeks_sum_the_legs() -> None:
    s = OptionStrategy("collar", (Leg("stock", 1, 100.0), Leg("put", 1, 2.0, 95.0), Leg("call", -1, 2.0, 105.0)),
                       100.0, 0.5, multiplier=100)
    g = s.greeks(0.03, 0.25)
    v = bsm_valuation(["put", "call"], 100.0, [95.0, 105.0], 0.5, 0.03, 0.25)
    assert g.delta == pytest.approx(100 * (1 + v.delta[0] - v.delta[1]))
    assert g.vega == pytest.approx(100 * (v.vega[0] - v.vega[1]))


@pytest.mark.parametrize("bad", [("call", 1, 1.0, 0.0), ("swap", 1, 1.0, 100.0), ("put", 1, -1.0, 100.0)])
def test_legs_validate(bad: tuple) -> None:
    with pytest.raises(OptionInputError):
        Leg(*bad)
