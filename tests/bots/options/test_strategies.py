"""Strategy builders: legs, premiums from BSM, and the textbook payoff shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradefleet.bots.options.strategies import STRATEGIES, Market, build, iron_condor, vertical, wheel
from tradefleet.risk.options.bsm import bsm_price
from tradefleet.risk.options.errors import OptionInputError

M = Market(spot=100.0, rate=0.05, vol=0.2, expiry=0.25, multiplier=100)


def _p(kind: str, k: float) -> float:
    return float(bsm_price(kind, 100.0, k, 0.25, 0.05, 0.2))


def test_verticals_are_named_by_view_and_priced_by_bsm() -> None:
    names = {n: build(n, M, [95.0, 105.0]) for n in ("bull-call-spread", "bear-put-spread", "bull-put-spread",
                                                     "bear-call-spread")}
    assert {n: s.name for n, s in names.items()} == {
        "bull-call-spread": "bull call spread", "bear-put-spread": "bear put spread",
        "bull-put-spread": "bull put spread", "bear-call-spread": "bear call spread"}
    bcs = names["bull-call-spread"]
    assert bcs.net_premium == pytest.approx(_p("call", 95) - _p("call", 105))
    assert bcs.max_profit() == pytest.approx(100 * (10 - bcs.net_premium))
    # the bull put spread is a credit; debit + credit of the same-view spreads: width minus parity terms
    assert names["bull-put-spread"].net_premium < 0 < names["bear-put-spread"].net_premium
    assert vertical(M, "put", 95.0, 105.0).name == "bull put spread"


def test_covered_call_and_protective_put_shapes() -> None:
    cc = build("covered-call", M, [105.0])
    assert cc.max_profit() == pytest.approx(100 * (105 - 100 + _p("call", 105)))
    assert cc.breakevens() == [pytest.approx(100 - _p("call", 105))]
    pp = build("protective-put", M, [95.0])
    assert pp.max_profit() == math.inf
    assert pp.max_loss() == pytest.approx(-100 * (100 - 95 + _p("put", 95)))


def test_iron_condor_is_a_capped_credit() -> None:
    ic = iron_condor(M, 85, 95, 105, 115)
    credit = _p("put", 95) - _p("put", 85) + _p("call", 105) - _p("call", 115)
    assert ic.net_premium == pytest.approx(-credit)
    assert ic.max_profit() == pytest.approx(100 * credit)
    assert ic.max_loss() == pytest.approx(-100 * (10 - credit))
    lo, hi = ic.breakevens()
    assert (lo, hi) == (pytest.approx(95 - credit), pytest.approx(105 + credit))
    np.testing.assert_allclose(ic.pnl_at_expiry(np.array([100.0])), [100 * credit])
    with pytest.raises(OptionInputError, match="iron condor strikes"):
        iron_condor(M, 95, 85, 105, 115)


def test_wheel_phases() -> None:
    put = wheel(M, 95.0, "put")
    assert put.max_profit() == pytest.approx(100 * _p("put", 95))
    assert put.breakevens() == [pytest.approx(95 - _p("put", 95))]
    call = wheel(M, 105.0, "call", cost_basis=93.0)
    assert call.max_profit() == pytest.approx(100 * (105 - 93 + _p("call", 105)))
    with pytest.raises(OptionInputError):
        wheel(M, 95.0, "strangle")  # type: ignore[arg-type]


def test_build_checks_names_and_strike_counts() -> None:
    assert len(STRATEGIES) == 10 and build("wheel", M, [95.0]).name == "wheel (cash-secured put)"
    with pytest.raises(OptionInputError, match="unknown strategy 'butterfly'"):
        build("butterfly", M, [1.0])
    with pytest.raises(OptionInputError, match="takes 4 strike"):
        build("iron-condor", M, [95.0, 105.0])
    with pytest.raises(OptionInputError, match="lower < upper"):
        build("bull-call-spread", M, [105.0, 95.0])
