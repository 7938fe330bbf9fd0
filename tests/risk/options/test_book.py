"""Option book marks, structure P&L, expiry/assignment and collateral, checked by hand."""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pytest

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.risk.options.american import bjerksund_stensland_valuation
from tradefleet.risk.options.book import OptionLeg, mark_book
from tradefleet.risk.options.bsm import bsm_valuation
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.collateral import structure_risk
from tradefleet.risk.options.errors import OptionInputError
from tradefleet.risk.options.lifecycle import early_assignments, settle
from tradefleet.risk.options.limits import GreekLimits, check_greek_limits

EXP = date(2024, 3, 15)
ASOF = dt_to_ns(datetime(2024, 1, 16, 21, 0, tzinfo=timezone.utc))


def leg(kind: str, strike: float, contracts: float, premium: float, style: str = "american",
        structure: str = "s", expiry: date = EXP, under: str = "GOOG") -> OptionLeg:
    return OptionLeg(OptionContract(under, kind, strike, expiry, style), contracts, premium, structure)  # type: ignore[arg-type]


def test_mark_book_values_each_style_with_its_model() -> None:
    legs = [leg("put", 100, -2, 3.0, "american"), leg("call", 110, 1, 2.0, "european")]
    mark = mark_book(legs, ASOF, {"GOOG": 102.0}, {"GOOG": 0.3}, 0.04)
    t = legs[0].contract.years_to_expiry(ASOF)
    am = bjerksund_stensland_valuation("put", 102.0, 100, t, 0.04, 0.3)
    eu = bsm_valuation("call", 102.0, 110, t, 0.04, 0.3)
    assert mark.price[0] == pytest.approx(float(am.price))
    assert mark.price[1] == pytest.approx(float(eu.price))
    # position value and P&L: contracts x multiplier x (mark - premium)
    assert mark.value[0] == pytest.approx(-200 * float(am.price))
    assert mark.pnl[1] == pytest.approx(100 * (float(eu.price) - 2.0))
    assert mark.greeks["delta"][0] == pytest.approx(-200 * float(am.delta))
    assert mark.total().vega == pytest.approx(-200 * float(am.vega) + 100 * float(eu.vega))


def test_mark_book_at_expiry_is_intrinsic() -> None:
    legs = [leg("call", 100, 1, 1.0, expiry=date(2024, 1, 16)), leg("put", 100, 1, 1.0, expiry=date(2024, 1, 16))]
    mark = mark_book(legs, ASOF, {"GOOG": 104.0}, {"GOOG": 0.3}, 0.04)
    assert list(mark.price) == [4.0, 0.0]
    assert list(mark.pnl) == [300.0, -100.0]
    assert mark.greeks["delta"][0] == 100.0 and mark.greeks["vega"][0] == 0.0


def test_mark_book_groups_by_structure_and_names_a_missing_spot() -> None:
    legs = [leg("put", 95, 1, 1.0, structure="spread"), leg("put", 100, -1, 3.0, structure="spread"),
            leg("call", 120, -1, 1.0, structure="cc")]
    mark = mark_book(legs, ASOF, {"GOOG": 100.0}, {"GOOG": 0.25}, 0.03)
    by = mark.by_structure()
    assert by["spread"]["pnl"] == pytest.approx(float(mark.pnl[0] + mark.pnl[1]))
    assert set(by) == {"spread", "cc"}
    with pytest.raises(OptionInputError, match="SPX"):
        mark_book([leg("put", 95, 1, 1.0, under="SPX")], ASOF, {"GOOG": 1.0}, {"GOOG": 0.2}, 0.0)


def test_greek_limits_bind_on_a_marked_book() -> None:
    legs = [leg("put", 100, -10, 3.0)]
    total = mark_book(legs, ASOF, {"GOOG": 100.0}, {"GOOG": 0.3}, 0.03).total()
    assert total.delta > 0  # short puts are long delta
    breaches = check_greek_limits(total, GreekLimits(max_abs_delta=100.0))
    assert [b.greek for b in breaches] == ["delta"]
    assert not check_greek_limits(total, GreekLimits(max_abs_delta=1000.0))


@pytest.mark.parametrize(("kind", "contracts", "settlement", "cash", "units", "outcome"), [
    ("call", 1, "physical", -100 * 100.0, 100.0, "exercised"),   # buy 100 at 100
    ("call", -1, "physical", 100 * 100.0, -100.0, "assigned"),   # called away at 100
    ("put", 1, "physical", 100 * 100.0, -100.0, "exercised"),    # sell 100 at 100... spot 90 below
    ("put", -1, "physical", -100 * 100.0, 100.0, "assigned"),    # put to us at 100
])
def test_settle_physical_moves_strike_cash_and_shares(kind: str, contracts: int, settlement: str,
                                                     cash: float, units: float, outcome: str) -> None:
    spot = 110.0 if kind == "call" else 90.0
    s = settle(leg(kind, 100, contracts, 2.0), spot, settlement)  # type: ignore[arg-type]
    assert (s.outcome, s.cash, s.underlying, s.intrinsic) == (outcome, cash, units, 10.0)


def test_settle_cash_pays_intrinsic_and_otm_expires() -> None:
    assert settle(leg("put", 100, -2, 2.0, "european"), 93.0, "cash").cash == -1400.0
    assert settle(leg("call", 100, 3, 2.0, "european"), 104.5, "cash").cash == 1350.0
    otm = settle(leg("call", 100, 3, 2.0), 99.0, "physical")
    assert (otm.outcome, otm.cash, otm.underlying) == ("expired", 0.0, 0.0)


def test_early_assignment_only_short_american_itm_without_extrinsic() -> None:
    legs = [leg("put", 100, -1, 2.0), leg("put", 100, 1, 2.0), leg("put", 100, -1, 2.0, "european"),
            leg("put", 100, -1, 2.0), leg("put", 80, -1, 2.0)]
    marks = [20.02, 20.02, 20.02, 20.50, 0.01]
    assert early_assignments(legs, marks, [80.0] * 5, threshold=0.05) == [0]


def test_collateral_cash_secured_put_covered_call_spread_and_naked() -> None:
    csp = structure_risk([leg("put", 100, -2, 3.0)])
    assert (csp.collateral, csp.naked, csp.net_premium) == (20_000.0, False, -600.0)
    assert csp.max_loss == 19_400.0
    cc = structure_risk([leg("call", 110, -1, 2.0)], shares_held=100)
    assert (cc.collateral, cc.naked) == (0.0, False)
    spread = structure_risk([leg("put", 100, -1, 3.0), leg("put", 95, 1, 1.0)])
    assert spread.collateral == 500.0 and spread.max_loss == 300.0  # width 5 less the 2.00 credit
    condor = structure_risk([leg("put", 90, 1, 0.5), leg("put", 95, -1, 1.5),
                             leg("call", 105, -1, 1.5), leg("call", 110, 1, 0.5)])
    assert condor.collateral == 500.0 and condor.max_loss == 300.0
    naked = structure_risk([leg("call", 110, -2, 2.0)], shares_held=100)
    assert naked.naked and naked.naked_units == 100.0 and naked.max_loss is None
    assert not naked.allowed(allow_naked=False) and naked.allowed(allow_naked=True)
    assert naked.reserve(spot=100.0, naked_margin=0.2) == pytest.approx(2000.0)
    long_call = structure_risk([leg("call", 100, 1, 4.0)])
    assert long_call.collateral == 0.0 and long_call.max_loss == 400.0


def test_collateral_flags_a_short_leg_outliving_its_long_leg() -> None:
    cal = structure_risk([leg("call", 100, 1, 3.0, expiry=date(2024, 2, 16)), leg("call", 100, -1, 4.0)])
    assert cal.mixed_expiry and not cal.allowed(allow_naked=False)
    ok = structure_risk([leg("call", 100, -1, 3.0, expiry=date(2024, 2, 16)), leg("call", 100, 1, 4.0)])
    assert not ok.mixed_expiry


def test_mark_book_vol_per_leg_must_match() -> None:
    with pytest.raises(OptionInputError, match="2 vols for 1 legs"):
        mark_book([leg("put", 95, 1, 1.0)], ASOF, {"GOOG": 100.0}, np.array([0.2, 0.3]), 0.0)


def test_value_contracts_without_bumps_gives_the_same_tree_greeks_and_no_vega_or_rho() -> None:
    """The VaR columns read only delta and gamma: skipping an American contract's nine bumped
    trees changes none of the tree's numbers; the skipped vega and rho are NaN, never 0."""
    import math

    from tradefleet.risk.options.portfolio import value_contracts

    contracts = [OptionContract("XYZ", "put", 95.0, date(2015, 3, 20), style="american"),
                 OptionContract("XYZ", "call", 105.0, date(2015, 3, 20), style="european")]
    now = 1_420_000_000 * 10**9
    args = (contracts, now, [100.0, 100.0], [0.3, 0.25], 0.01, [0.0, 0.0])
    full, lean = value_contracts(*args), value_contracts(*args, bumped=False)
    for g in ("price", "delta", "gamma", "theta"):
        assert list(getattr(lean, g)) == list(getattr(full, g)), g
    assert math.isnan(lean.vega[0]) and math.isnan(lean.rho[0])
    assert lean.vega[1] == full.vega[1] and lean.rho[1] == full.rho[1]  # European: closed form, unchanged
