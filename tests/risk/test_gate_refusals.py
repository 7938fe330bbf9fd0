"""Why the risk gate refuses or shrinks an entry, and what it tells the operator: the cut at
zero named, a budget share below one lot, the holder of the opposite side named, a binary
short valued at the NO price, a flip's closing leg giving its room back to the caps."""

from __future__ import annotations

from decimal import Decimal

from tradefleet.orchestrator.bot import BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass, Direction, Verdict
from tradefleet.orchestrator.pipeline.gate import GateContext
from tests.risk.fakes import NullBot, signal
from tests.risk.test_engine import Rig, _cfg

L, S, F = Direction.LONG, Direction.SHORT, Direction.FLAT


def test_a_cut_at_zero_is_named_as_the_reason() -> None:
    rig = Rig(_cfg())
    for meta, reason in (({"fleet_weight": 0.0}, "fleet_weight_zero"), ({"regime_scale": 0.0}, "regime_scale_zero")):
        dec, qty = rig.gate.approve(signal("a", "X", L, 100.0, **meta), rig.ctx(), 1.0)
        assert (dec.verdict, dec.reason, qty) == (Verdict.REJECT, reason, 0)
    dec, qty = rig.gate.approve(signal("a", "X", L, 100.0), rig.ctx(), 0.0)
    assert (dec.reason, qty) == ("upstream_scale_zero", 0)


def test_a_budget_share_below_one_lot_is_refused_as_such() -> None:
    rig = Rig(_cfg(), {"BIG": [20_000.0] * 60})  # the 10% budget (10,000) buys half a share
    dec, qty = rig.go("a", "BIG", L)
    assert (dec.verdict, dec.reason, qty) == (Verdict.REJECT, "size_below_lot", 0)
    assert dec.detail == "10000.00 at 20000.0"


def test_a_contradiction_names_the_bot_holding_the_other_side() -> None:
    rig = Rig(_cfg(), {"KXHIGHCHI-26FEB09-B38.5": [0.4] * 60, "KXHIGHCHI-26FEB09-T40": [0.3] * 60})
    rig.go("a", "KXHIGHCHI-26FEB09-B38.5", L)
    dec, _ = rig.go("b", "KXHIGHCHI-26FEB09-T40", S)
    assert dec.reason == "contradictory_position"
    assert dec.detail == "a holds the opposite side of KXHIGHCHI-26FEB09-B38.5"


def test_a_binary_short_is_sized_at_the_no_price() -> None:
    rig = Rig(_cfg(allow_short=True), {"KXRAIN-26JAN01": [0.4] * 60})
    binary = BotSpec("a", NullBot, ("KXRAIN-26JAN01",), Schedule.interval("1d"), "1d", AssetClass.PREDICTION)
    ctx = GateContext(rig.clock.now_ns(), binary, rig.market, rig.pf)
    dec, qty = rig.gate.approve(signal("a", "KXRAIN-26JAN01", S, 0.4), ctx, 1.0)
    assert dec.data["price"] == 0.6  # shorting YES at 0.40 is buying NO at 0.60: 0.60 at risk per contract
    assert float(-qty) * 0.6 <= 10_000.0 < (float(-qty) + 1) * 0.6  # the 10% budget, in NO contracts


def test_a_flips_closing_leg_frees_its_gross_exposure_for_the_new_side() -> None:
    rig = Rig(_cfg(allow_short=True, gross_exposure_pct=0.12), {"X": [100.0] * 60, "Y": [10.0] * 60})
    rig.pf.fill("b", "Y", Decimal(400))  # 4,000 held by another bot
    rig.pf.fill("a", "X", Decimal(-100))  # a is short 10,000 of X
    dec, qty = rig.go("a", "X", L, fill=False)
    # gross 12,000 less 14,000 used, plus the 10,000 the close gives back: 8,000 of new long
    assert dec.reason == "gross_exposure_global"
    assert qty == Decimal(100 + 80)
