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


def test_a_stop_on_the_wrong_side_of_the_entry_does_not_bound_the_size() -> None:
    rig = Rig(_cfg(allow_short=True, kelly={"prior_trades": 30, "cap": 0.2, "fraction": 1.0}))
    dec, qty = rig.go("a", "X", L, stop=140.0)  # a long's stop above its entry
    assert (dec.reason, qty) == ("sized", Decimal(100))
    dec, qty = rig.go("b", "Y", S, stop=30.0)  # a short's stop below its entry (Y at 50)
    assert (dec.reason, qty) == ("sized", Decimal(-200))
    rig = Rig(_cfg(kelly={"prior_trades": 30, "cap": 0.2, "fraction": 1.0}))
    dec, qty = rig.go("a", "X", L, stop=100.0)  # a stop at the entry itself: no distance to risk
    assert (dec.reason, qty) == ("sized", Decimal(100))
