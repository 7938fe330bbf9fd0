"""Shortfall decomposition and the impact model, on crafted fills with hand-worked numbers."""

from __future__ import annotations

import pytest

from tradefleet.orchestrator.execution.impact import ImpactModel, ImpactScales, calibrate_eta_scale
from tradefleet.orchestrator.execution.tca import ChildFill, ParentOutcome, decompose, group, size_bucket


def test_buy_shortfall_splits_into_delay_spread_impact_and_fees_that_add_up() -> None:
    # arrival mid 100.00; child 1 sent at mid 100.10 (ask 100.15) filled 100 @ 100.20, fee 1;
    # child 2 sent at mid 99.90 (ask 99.95) filled 50 @ 99.95 (at the touch), fee 0.5
    fills = [ChildFill("p.1", 100, 100.20, 1.0, 100.10, 100.15), ChildFill("p.2", 50, 99.95, 0.5, 99.90, 99.95)]
    s = decompose(True, 100.0, fills, ordered=200, last=100.30)
    assert s.delay == pytest.approx(100 * 0.10 + 50 * -0.10)      # 5.0
    assert s.spread == pytest.approx(100 * 0.05 + 50 * 0.05)      # 7.5
    assert s.impact == pytest.approx(100 * 0.05 + 50 * 0.0)       # 5.0
    assert s.fees == pytest.approx(1.5)
    paid = 100 * 100.20 + 50 * 99.95 - 150 * 100.0 + 1.5
    assert s.total == pytest.approx(paid)                          # the parts add up to the total
    assert s.unfilled == 50 and s.opportunity == pytest.approx(50 * 0.30)
    assert s.bps()["total"] == pytest.approx(paid / (150 * 100.0) * 1e4)


def test_sell_shortfall_mirrors_the_signs_and_a_better_limit_fill_is_negative_impact() -> None:
    fills = [ChildFill("p.1", 10, 50.06, 0.0, 50.00, 49.98)]  # sold above the bid: earned spread
    s = decompose(False, 50.10, fills)
    assert s.delay == pytest.approx(-10 * (50.00 - 50.10))
    assert s.spread == pytest.approx(-10 * (49.98 - 50.00))
    assert s.impact == pytest.approx(-10 * (50.06 - 49.98))
    assert s.total == pytest.approx(10 * (50.10 - 50.06))


def test_group_sums_by_key_and_size_bucket() -> None:
    a = decompose(True, 10.0, [ChildFill("a.1", 100, 10.1, 0.0, 10.0, 10.05)])
    b = decompose(True, 10.0, [ChildFill("b.1", 50_000, 10.0, 0.0, 10.0, 10.0)])
    outs = [ParentOutcome("a", "bot1", "paper", "X", "twap", 100, a),
            ParentOutcome("b", "bot1", "paper", "X", "pov", 50_000, b)]
    by_bot = group(outs, "bot")
    assert list(by_bot) == ["bot1"] and by_bot["bot1"].total == pytest.approx(a.total + b.total)
    assert set(group(outs, "algorithm")) == {"twap", "pov"}
    assert set(group(outs, "size")) == {size_bucket(1000.0), size_bucket(500_000.0)} == {"<10k", "100k-1m"}


def test_impact_model_cost_grows_with_size_and_max_quantity_meets_the_budget() -> None:
    m = ImpactModel()
    rate = 1000.0 / 60  # units per second
    small, large = m.estimate(10, 100, 0.02, rate, 60), m.estimate(1000, 100, 0.02, rate, 60)
    assert small.per_unit < large.per_unit
    # 1 % of the market's rate costs one spread (the textbook calibration)
    one_pct = m.estimate(0.01 * rate * 60, 100, 0.02, rate, 60)
    assert one_pct.temporary / one_pct.quantity == pytest.approx(0.02, rel=1e-3)
    q = m.max_quantity(0.05, 0.02, rate, 60)
    assert m.estimate(q, 100, 0.02, rate, 60).per_unit == pytest.approx(0.05, rel=1e-6)
    assert m.max_quantity(0.005, 0.02, rate, 60) == 0.0  # the half spread alone is over budget
    assert ImpactModel(ImpactScales(eta=2.0)).params(0.02, rate).eta == pytest.approx(2 * m.params(0.02, rate).eta)


def test_calibration_recovers_the_scale_of_measured_impact_and_needs_enough_samples() -> None:
    spread, market = 0.02, 50.0
    eta0 = spread / (0.01 * market)
    samples = [(r, 3.0 * eta0 * r, spread, market) for r in (0.5, 1.0, 2.0, 4.0) * 6]
    assert calibrate_eta_scale(samples) == pytest.approx(3.0)
    assert calibrate_eta_scale(samples[:5], current=1.3) == 1.3
    assert calibrate_eta_scale([(1.0, 1e6, spread, market)] * 30) == 10.0  # bounded
