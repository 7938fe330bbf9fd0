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


def test_a_negative_upstream_factor_counts_as_zero_and_one_above_one_as_one() -> None:
    rig = Rig(_cfg())
    dec, qty = rig.gate.approve(signal("a", "X", L, 100.0, regime_scale=-0.5), rig.ctx(), 1.0)
    assert (dec.reason, qty) == ("regime_scale_zero", 0)
    assert dec.data["factors"]["regime_scale"] == 0.0 and dec.detail == "0.00 at 100.0"
    dec, qty = rig.gate.approve(signal("a", "X", L, 100.0, fleet_weight=3.0, regime_scale="n/a"), rig.ctx(), 2.0)
    assert (dec.reason, qty) == ("sized", 100)  # clipped to 1 (a non-number counts as 1): never above the budget
    assert dec.data["factors"]["fleet_weight"] == 1.0 and dec.data["factors"]["upstream_scale"] == 1.0


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


def test_entries_without_a_quote_equity_or_permission_to_short_are_refused() -> None:
    rig = Rig(_cfg(allow_short=False))
    dec, qty = rig.gate.approve(signal("a", "NOQUOTE", L, 10.0), rig.ctx(), 1.0)
    assert (dec.verdict, dec.reason, dec.detail, qty) == (Verdict.REJECT, "no_quote", "NOQUOTE", 0)
    dec, qty = rig.go("a", "X", S)
    assert (dec.reason, dec.detail, qty) == ("short_not_allowed", "X", 0)
    broke = Rig(_cfg(), cash=-5.0)
    dec, qty = broke.go("a", "X", L)
    assert (dec.reason, dec.detail, qty) == ("no_equity", "equity -5.00, price 100.0", 0)
    dec, qty = Rig(_cfg(), cash=0.0).go("a", "X", L)  # none at all
    assert (dec.reason, dec.detail, qty) == ("no_equity", "equity 0.00, price 100.0", 0)
    dec, qty = Rig(_cfg(), {"FREE": [0.0] * 60}).go("a", "FREE", L)  # a price of zero cannot be sized
    assert (dec.reason, dec.detail, qty) == ("no_equity", "equity 100000.00, price 0.0", 0)


def test_a_flat_signal_with_nothing_held_orders_nothing() -> None:
    rig = Rig(_cfg())
    dec, qty = rig.go("a", "X", F)
    assert (dec.verdict, dec.reason, qty) == (Verdict.PASS, "noop_flat", 0)


def test_the_count_limits_and_cooldown_say_how_far_they_are() -> None:
    rig = Rig(_cfg(allow_short=True, max_positions=1, max_trades_per_day=5, blockers={"cooldown_minutes": 30}))
    rig.go("a", "X", L)
    dec, _ = rig.go("b", "Y", L)
    assert (dec.reason, dec.detail) == ("max_positions_global", "1 open")
    dec, qty = rig.go("a", "X", S, fill=False)  # a flip keeps the count: not refused by it
    assert dec.reason == "sized" and qty == Decimal(-200)  # close 100, open 100 short
    rig = Rig(_cfg(max_trades_per_day=1, blockers={"cooldown_minutes": 30}))
    rig.go("a", "X", L)
    rig.go("a", "X", F)
    dec, _ = rig.go("b", "Y", L)
    assert (dec.reason, dec.detail) == ("max_trades_per_day_global", "entries today at the limit")
    rig.clock.advance(90)
    dec, _ = rig.go("a", "X", L)
    assert (dec.reason, dec.detail) == ("cooldown", "28.5 min left on X")
    rig.clock.advance(28.5 * 60 - 0.5)  # half a second still to wait
    dec, _ = rig.go("a", "X", L, fill=False)
    assert (dec.reason, dec.detail) == ("cooldown", "0.0 min left on X")
    rig.clock.advance(0.5)  # over: the day's trade count is what binds now
    assert rig.go("a", "X", L, fill=False)[0].reason == "max_trades_per_day_global"


def test_with_no_min_notional_a_budget_below_one_lot_is_still_refused_as_such() -> None:
    rig = Rig(_cfg(min_notional=0.0), {"BIG": [20_000.0] * 60})  # half a share: it rounds to 0
    dec, qty = rig.go("a", "BIG", L)
    assert (dec.verdict, dec.reason, dec.detail, qty) == (Verdict.REJECT, "size_below_lot", "10000.00 at 20000.0", 0)


def test_a_flip_refused_its_new_side_closes_at_scale_zero() -> None:
    rig = Rig(_cfg())
    rig.go("a", "X", L)
    dec, qty = rig.go("a", "X", S, halted=True)
    assert (dec.verdict, dec.reason, dec.scale, qty) == (Verdict.RESIZE, "halted_exit_only", 0.0, Decimal(-100))


def test_an_exit_without_a_quote_books_no_cash_for_the_next_buy() -> None:
    rig = Rig(_cfg(gross_exposure_pct=2.0, correlation={"cluster_cap_pct": 2.0}),
              {"X": [100.0] * 60, "Y": [50.0] * 60, "Z": [20.0] * 60})
    rig.go("a", "X", L)  # 100 X: 90,000 cash
    rig.pf.fill("z", "Z", Decimal(4_250))  # 85,000 of Z: 5,000 cash, equity 100,000
    quotes = rig.market.quote
    rig.market.quote = lambda s: None if s == "X" else quotes(s)  # type: ignore[method-assign]  # X's quote is gone
    dec, qty = rig.go("a", "X", F, fill=False)
    assert (dec.reason, qty) == ("exit", Decimal(-100))  # an exit passes, quote or not
    dec, qty = rig.go("b", "Y", L, fill=False)  # its proceeds unknown, the exit adds no cash and takes none
    assert (dec.reason, qty) == ("cash", Decimal(100))  # 5,000 at 50


def test_a_negative_quote_cannot_be_sized() -> None:
    rig = Rig(_cfg(), {"SPREAD": [-5.0] * 60})  # a calendar spread quoted below zero
    dec, qty = rig.go("a", "SPREAD", L)
    assert (dec.verdict, dec.reason, qty) == (Verdict.REJECT, "no_equity", 0)
    assert dec.detail == "equity 100000.00, price -5.0"


def test_a_cap_already_used_up_refuses_with_its_name_and_nothing_left() -> None:
    rig = Rig(_cfg(gross_exposure_pct=0.12))
    rig.pf.fill("b", "Y", Decimal(300))  # 15,000 of Y: 3,000 past the 12,000 gross limit
    dec, qty = rig.go("a", "X", L)
    assert (dec.verdict, dec.reason, dec.detail, qty) == (Verdict.REJECT, "gross_exposure_global", "0.00 at 100.0", 0)


def test_an_uncut_entry_names_no_cut_and_a_non_number_factor_counts_as_one() -> None:
    rig = Rig(_cfg())
    dec, qty = rig.gate.approve(signal("a", "X", L, 100.0, regime_scale="n/a", fleet_weight=None), rig.ctx(), 1.0)
    assert (dec.reason, qty) == ("sized", 100)
    assert dec.data["cut"] == "" and dec.data["intensity"] == 1.0
    assert dec.data["factors"] == {"kelly": 1.0, "hrp": 1.0, "regime_scale": 1.0, "fleet_weight": 1.0,
                                   "loss_streak": 1.0, "upstream_scale": 1.0}
