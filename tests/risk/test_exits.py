"""Scaled exits: 33% at 1R, 33% at 2R, 34% trailing 1.5 ATR, break-even after target 1."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import Bar, Side
from tradefleet.risk.config import ExitsConfig
from tradefleet.risk.exits import ScaledExitPolicy


def _bar(high: float, low: float, close: float | None = None, ts: int = 0) -> Bar:
    c = close if close is not None else (high + low) / 2
    return Bar("X", ts, c, high, low, c, 1.0)


def test_exits_full_long_path() -> None:
    pol = ScaledExitPolicy()
    plan = pol.open("X", 1, entry=100.0, stop=95.0, quantity=Decimal(100))
    assert plan.risk == 5.0
    plan, acts = pol.on_bar(plan, _bar(104, 99))
    assert acts == []
    plan, acts = pol.on_bar(plan, _bar(105.5, 101))
    assert [(a.reason, a.quantity, a.side, a.trigger) for a in acts] == [("target_1", Decimal(33), Side.SELL, 105.0)]
    assert plan.stop == 100.0  # break-even
    plan = pol.on_fill(plan, Decimal(-33))
    assert plan.open_quantity == 67 and plan.pending == 0
    plan, acts = pol.on_bar(plan, _bar(111, 106), atr=2.0)
    assert [(a.reason, a.quantity) for a in acts] == [("target_2", Decimal(33))]
    assert plan.trailing and plan.stop == pytest.approx(111 - 3.0)
    plan = pol.on_fill(plan, Decimal(-33))
    plan, acts = pol.on_bar(plan, _bar(115, 110), atr=2.0)
    assert acts == [] and plan.stop == pytest.approx(112.0)
    plan, acts = pol.on_bar(plan, _bar(114, 108), atr=2.0)  # stop never loosens
    assert [(a.reason, a.quantity, a.trigger) for a in acts] == [("trailing_stop", Decimal(34), 112.0)]
    plan = pol.on_fill(plan, Decimal(-34))
    assert plan.closed


def test_exits_short_stop_before_target_in_same_bar() -> None:
    pol = ScaledExitPolicy()
    plan = pol.open("X", -1, entry=50.0, stop=52.0, quantity=Decimal(10))
    plan, acts = pol.on_bar(plan, _bar(52.5, 47.0))  # spans stop and 1R: stop first
    assert [(a.reason, a.side, a.quantity) for a in acts] == [("stop", Side.BUY, Decimal(10))]
    plan2, acts2 = pol.on_bar(plan, _bar(53, 40))
    assert acts2 == [] and plan2 == plan  # stopped: nothing emitted twice


def test_exits_breakeven_stop_after_first_target() -> None:
    pol = ScaledExitPolicy()
    plan = pol.open("X", 1, entry=100.0, stop=90.0, quantity=Decimal(9))
    plan, acts = pol.on_bar(plan, _bar(110, 101))
    assert acts[0].quantity == Decimal(2)  # 33% of 9 rounded down to lots
    plan, acts = pol.on_bar(plan, _bar(103, 99.5))
    assert [(a.reason, a.quantity) for a in acts] == [("breakeven_stop", Decimal(7))]  # 2 still pending


def test_exits_gap_through_both_targets_emits_both() -> None:
    pol = ScaledExitPolicy()
    plan = pol.open("X", 1, entry=10.0, stop=9.0, quantity=Decimal(300))
    plan, acts = pol.on_bar(plan, _bar(13, 12))
    assert [(a.reason, a.quantity) for a in acts] == [("target_1", Decimal(99)), ("target_2", Decimal(99))]
    assert plan.targets_hit == 2 and plan.free_quantity == 102


def test_exits_atr_default_risk_and_validation() -> None:
    pol = ScaledExitPolicy(ExitsConfig(targets_r=[1.5], fractions=[0.5], default_stop_atr=2.0))
    plan = pol.open("X", 1, entry=100.0, stop=None, atr=1.0, quantity=Decimal(4))
    assert plan.stop == 98.0 and plan.target_price(1.5) == 103.0
    with pytest.raises(ValueError):
        pol.open("X", 1, entry=100.0, stop=101.0, quantity=Decimal(1))
    with pytest.raises(ValueError):
        ExitsConfig(targets_r=[1.0], fractions=[1.0])


def test_exits_entry_fill_adds_quantity() -> None:
    pol = ScaledExitPolicy()
    plan = pol.open("X", 1, entry=100.0, stop=95.0, quantity=Decimal(50))
    plan = pol.on_fill(plan, Decimal(50))
    assert plan.quantity == 100 and plan.open_quantity == 100


def test_wilder_atr_matches_pandas_ewm_after_seed() -> None:
    import numpy as np
    import pandas as pd

    from tradefleet.risk.exits import wilder_atr

    rng = np.random.default_rng(0)
    close = 100 * np.cumprod(1 + rng.normal(0, 0.01, 300))
    high, low = close * (1 + rng.uniform(0, 0.01, 300)), close * (1 - rng.uniform(0, 0.01, 300))
    prev = np.roll(close, 1)
    tr = np.maximum(high - low, np.maximum(abs(high - prev), abs(low - prev)))[1:]
    seeded = pd.Series(np.concatenate([[tr[:14].mean()], tr[14:]]))
    expected = seeded.ewm(alpha=1 / 14, adjust=False).mean().iloc[-1]
    assert wilder_atr(high.tolist(), low.tolist(), close.tolist(), 14) == pytest.approx(expected, rel=1e-12)
    assert wilder_atr([1.0] * 5, [1.0] * 5, [1.0] * 5, 14) is None
