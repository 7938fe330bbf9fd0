"""Greek limits for the risk engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.greeks import Greeks
from tradefleet.risk.options.limits import GreekLimits, check_greek_limits, trade_allowed
from tradefleet.risk.options.portfolio import ModelPricer, OptionPosition, UnderlyingPosition

ASOF = dt_to_ns(datetime(2024, 1, 2, 21, 0, tzinfo=UTC))
CALL = OptionContract("SPY", "call", 470.0, date(2024, 3, 15), "european")
PRICER = ModelPricer(ASOF, {"SPY": 472.0}, {"SPY": 0.15}, 0.05)


def test_breaches_list_every_greek_over_its_cap() -> None:
    limits = GreekLimits(max_abs_delta=100, max_abs_vega=5000)
    out = check_greek_limits(Greeks(delta=-150, gamma=9, vega=4999), limits)
    assert [(b.greek, b.value, b.limit, b.reason) for b in out] == [("delta", -150, 100, "greek_limit_delta")]
    assert check_greek_limits(Greeks(delta=1e9), GreekLimits()) == []


def test_limits_are_a_strict_config_section() -> None:
    with pytest.raises(ValidationError):
        GreekLimits(max_abs_delta=-1)
    with pytest.raises(ValidationError):
        GreekLimits(max_abs_theta_per_day=1)  # type: ignore[call-arg]


def test_trade_that_breaches_is_blocked_and_one_that_reduces_is_allowed() -> None:
    limits = GreekLimits(max_abs_delta=250)
    book = [OptionPosition(CALL, 5)]  # about +280 deltas: already over
    ok, breaches = trade_allowed(book, [OptionPosition(CALL, 1)], PRICER, limits)
    assert not ok and breaches[0].greek == "delta"
    ok, breaches = trade_allowed(book, [UnderlyingPosition("SPY", -100)], PRICER, limits)
    assert ok and breaches == []
    ok, _ = trade_allowed([], [OptionPosition(CALL, 1)], PRICER, limits)
    assert ok
