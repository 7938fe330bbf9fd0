"""How the risk gate sizes an entry within its bot's budget: the HRP multiplier may only cut
it, and the risk-per-trade cap applies at a stop on the losing side of the entry, long or
short (a stop on the wrong side, or at the entry, is no risk bound)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import Direction
from tests.risk.fakes import random_walks
from tests.risk.test_engine import Rig, _cfg

L, S = Direction.LONG, Direction.SHORT


def test_hrp_cuts_the_volatile_name_and_never_grows_the_calm_one() -> None:
    # generated walks: WILD moves four times as much as CALM
    closes = {**random_walks(["CALM"], 120, seed=3, vol=0.004), **random_walks(["WILD"], 120, seed=4, vol=0.016)}
    rig = Rig(_cfg(hrp={"enabled": True, "lookback": 100}, correlation={"lookback": 100}), closes)
    dec, _ = rig.go("a", "CALM", L)
    assert dec.data["factors"]["hrp"] == 1.0 and dec.data["intensity"] == 1.0  # a multiplier above 1 is capped
    assert rig.gate.model.hrp_multiplier("CALM") > 1.0
    dec, qty = rig.go("b", "WILD", L)
    m = rig.gate.model.hrp_multiplier("WILD")
    assert m < 1.0 and dec.data["cut"] == "hrp" and dec.data["factors"]["hrp"] == m
    assert float(qty) * closes["WILD"][-1] == pytest.approx(10_000.0 * m, abs=closes["WILD"][-1])


def test_risk_per_trade_caps_a_short_at_its_stop_above_the_entry() -> None:
    rig = Rig(_cfg(allow_short=True, kelly={"prior_trades": 30, "cap": 0.2, "fraction": 1.0}))
    dec, qty = rig.go("a", "X", S, stop=140.0)  # 2% of 100k / 40 per share = 50 shares
    assert (dec.reason, qty) == ("risk_per_trade", Decimal(-50))
    assert dec.scale == 0.5 and dec.detail == "50 @ ~100 (5.00% of equity 100,000.00)"


def test_a_stop_on_the_wrong_side_of_the_entry_does_not_bound_the_size() -> None:
    rig = Rig(_cfg(allow_short=True, kelly={"prior_trades": 30, "cap": 0.2, "fraction": 1.0}))
    dec, qty = rig.go("a", "X", L, stop=140.0)  # a long's stop above its entry
    assert (dec.reason, qty) == ("sized", Decimal(100))
    dec, qty = rig.go("b", "Y", S, stop=30.0)  # a short's stop below its entry (Y at 50)
    assert (dec.reason, qty) == ("sized", Decimal(-200))
    rig = Rig(_cfg(kelly={"prior_trades": 30, "cap": 0.2, "fraction": 1.0}))
    dec, qty = rig.go("a", "X", L, stop=100.0)  # a stop at the entry itself: no distance to risk
    assert (dec.reason, qty) == ("sized", Decimal(100))


def test_an_upstream_cut_resizes_as_scaled_with_its_desired_size_cut() -> None:
    rig = Rig(_cfg())
    dec, qty = rig.go("a", "X", L, regime_scale=0.25)
    assert (dec.verdict.value, dec.reason, qty, dec.scale) == ("resize", "scaled", Decimal(25), 1.0)
    assert dec.data["cut"] == "regime_scale" and dec.data["desired"] == 2_500.0 and dec.data["notional"] == 2_500.0


def test_an_order_below_min_notional_is_dropped_and_one_at_it_passes() -> None:
    rig = Rig(_cfg(min_notional=4_000.0))
    dec, qty = rig.go("a", "X", L, fleet_weight=0.39)  # 3,900 of the 10,000 budget
    assert (dec.reason, qty) == ("size_below_lot", 0)
    dec, qty = rig.go("b", "X", L, fleet_weight=0.4)  # exactly 4,000
    assert (dec.reason, qty) == ("scaled", Decimal(40))


def test_a_bots_open_positions_use_up_its_declared_budget_and_a_flip_gives_its_close_back() -> None:
    rig = Rig(_cfg(allow_short=True, max_position_pct=0.4, gross_exposure_pct=2.0,
                   correlation={"cluster_cap_pct": 2.0}))
    rig.gate.set_running(["a", "b"])  # one fleet: each bot's budget is half the account
    dec, qty = rig.go("a", "X", L)
    assert (dec.reason, qty) == ("max_position", Decimal(400))  # 40,000 of its 50,000
    dec, qty = rig.go("a", "Y", L, fill=False)
    assert (dec.reason, qty) == ("capital_budget", Decimal(200))  # the 10,000 left, at 50
    rig = Rig(_cfg(allow_short=True, max_position_pct=0.4, gross_exposure_pct=2.0,
                   correlation={"cluster_cap_pct": 2.0}))
    rig.gate.set_running(["a", "b"])
    rig.go("a", "X", L)
    rig.clock.advance(60)
    dec, qty = rig.go("a", "X", S, fill=False)  # the close frees its 40,000 again
    assert (dec.reason, qty) == ("max_position", Decimal(-800))


def test_only_a_buy_is_capped_by_the_cash_it_can_spend() -> None:
    rig = Rig(_cfg(allow_short=True, gross_exposure_pct=2.0, correlation={"cluster_cap_pct": 2.0}),
              {"X": [100.0] * 60, "Y": [50.0] * 60, "Z": [20.0] * 60})
    rig.pf.fill("z", "Y", Decimal(1_900))  # 95,000 of Y bought: 5,000 cash left, equity 100,000
    dec, qty = rig.go("a", "X", L, fill=False)
    assert (dec.reason, qty) == ("cash", Decimal(50))
    dec, qty = rig.go("b", "Z", S, fill=False)  # a short spends no cash: its full 10,000
    assert (dec.reason, qty) == ("sized", Decimal(-500))


def test_a_flip_whose_new_side_sizes_to_nothing_still_closes() -> None:
    rig = Rig(_cfg(allow_short=True, max_trades_per_day=2))
    rig.go("a", "X", L)
    dec, qty = rig.go("a", "X", S, fleet_weight=0.0)
    assert (dec.verdict.value, dec.reason, qty) == ("resize", "fleet_weight_zero_exit_only", Decimal(-100))
    dec, qty = rig.go("b", "Y", L, fleet_weight=0.0)  # refused outright: not an entry of the day
    assert (dec.reason, qty) == ("fleet_weight_zero", 0)
    assert rig.go("c", "Y", L)[0].reason == "sized"  # the second (and last) entry of the day


def test_a_cut_in_a_tiny_account_reports_its_ratio_to_the_desired_size() -> None:
    # equity 10: the budget is 1.00, the max position 0.50, at 0.01 a unit
    rig = Rig(_cfg(min_notional=0.0, max_position_pct=0.05), {"P": [0.01] * 60}, cash=10.0)
    dec, qty = rig.go("a", "P", L, fill=False)
    assert (dec.verdict.value, dec.reason, qty) == ("resize", "max_position", Decimal(50))
    assert dec.data["desired"] == 1.0 and dec.scale == 0.5  # 0.50 of the 1.00 wanted


def test_a_flip_to_long_pays_for_its_buy_back_out_of_the_cash() -> None:
    rig = Rig(_cfg(allow_short=True, gross_exposure_pct=2.0, correlation={"cluster_cap_pct": 2.0}))
    rig.pf.fill("b", "Y", Decimal(1_900))  # 95,000 of Y: 5,000 cash left
    rig.pf.fill("a", "X", Decimal(-100))  # a short 10,000 of X: 15,000 cash, equity 100,000
    dec, qty = rig.go("a", "X", L, fill=False)
    # buying back the 100 short costs 10,000 of the 15,000: 5,000 left for the new long
    assert (dec.reason, qty) == ("cash", Decimal(100 + 50))


def test_a_bot_with_nothing_open_may_use_its_whole_declared_budget() -> None:
    rig = Rig(_cfg(max_position_pct=1.0, gross_exposure_pct=2.0, correlation={"cluster_cap_pct": 2.0}))
    rig.gate.set_running(["a", "b"])  # one fleet: each bot's budget is half the account
    dec, qty = rig.go("a", "X", L, fill=False)
    assert (dec.reason, qty) == ("sized", Decimal(500))  # all of its 50,000: no capital_budget cut


def test_risk_per_trade_keeps_a_fraction_of_a_unit_where_lots_allow_it() -> None:
    from tradefleet.orchestrator.domain import AssetClass, Instrument
    from tradefleet.risk.engine import PortfolioRiskGate

    rig = Rig(_cfg(kelly={"prior_trades": 30, "cap": 0.2, "fraction": 1.0}), {"BTC": [100.0] * 60})
    rig.gate = PortfolioRiskGate(rig.gate.config, rig.clock, control=rig.store, state=rig.store, timezone="UTC",
                                 instruments={"BTC": Instrument("BTC", AssetClass.CRYPTO, lot_size=Decimal("0.0001"))})
    dec, qty = rig.go("a", "BTC", L, stop=70.0)  # 2% of 100k / 30 at risk a unit = 66.67 units
    assert (dec.reason, qty) == ("risk_per_trade", Decimal("66.6666"))


def test_a_flip_gets_back_the_budget_its_closing_leg_used() -> None:
    rig = Rig(_cfg(allow_short=True, max_position_pct=1.0, gross_exposure_pct=2.0,
                   correlation={"cluster_cap_pct": 2.0}))
    rig.gate.set_running(["a", "b"])  # a's budget: 50,000
    rig.pf.fill("a", "X", Decimal(400))  # 40,000 of X
    rig.pf.fill("a", "Y", Decimal(200))  # and 10,000 of Y: all of a's budget in use
    dec, qty = rig.go("a", "X", S, fill=False)
    # 50,000 - 50,000 used + the 40,000 the close frees: a 400 short after closing the 400 long
    assert (dec.reason, qty) == ("capital_budget", Decimal(-800))


def test_an_entry_sized_to_exactly_one_unit_is_sent() -> None:
    dec, qty = Rig(_cfg()).go("a", "X", L, fleet_weight=0.01)  # 100 of the 10,000 budget at 100: one share
    assert (dec.verdict.value, dec.reason, qty) == ("resize", "scaled", Decimal(1))


def test_a_bot_whose_record_shows_no_edge_is_refused_as_no_edge() -> None:
    rig = Rig(_cfg(kelly={"prior_trades": 1, "cap": 0.2, "fraction": 1.0}))
    for _ in range(40):  # a record of losses only: Kelly's fraction is zero
        rig.gate.kelly.record("a", "X", -100.0)
    dec, qty = rig.go("a", "X", L)
    assert (dec.verdict.value, dec.reason, qty) == ("reject", "no_edge", 0)
    assert dec.data["factors"]["kelly"] == 0.0 and dec.data["cut"] == "kelly"
