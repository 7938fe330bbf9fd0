"""Pre-trade VaR sees the orders approved earlier in the same tick: the gate keeps its VaR
probe in step with each approval instead of rebuilding it, and must size the next entry
exactly as a gate that reads the same positions from the portfolio. A limit that leaves nothing
names itself as the reason."""

from __future__ import annotations

from tradefleet.orchestrator.domain import Direction
from tests.risk.fakes import random_walks
from tests.risk.test_engine import Rig, _cfg

VAR = {"enabled": True, "var95_pct": 0.002, "var99_pct": 1, "cvar95_pct": 1, "cvar99_pct": 1}


def _closes() -> dict[str, list[float]]:
    return random_walks(["A", "B"], 300, seed=2, vol=0.03, corr=0.5)  # generated, correlated walks


def test_an_entry_after_an_unfilled_approval_is_sized_as_if_that_order_had_filled() -> None:
    rig = Rig(_cfg(var=VAR), _closes())
    dec_a, qty_a = rig.go("a", "A", Direction.LONG, fill=False, fleet_weight=0.2)  # within the limit
    dec_b, qty_b = rig.go("b", "B", Direction.LONG, fill=False)  # same tick: A is only approved
    assert (dec_a.reason, dec_b.reason) == ("scaled", "var_limit") and qty_a > 0 and qty_b > 0
    filled = Rig(_cfg(var=VAR), _closes())
    filled.pf.fill("a", "A", qty_a)  # the same position, read from the portfolio
    dec, qty = filled.go("b", "B", Direction.LONG, fill=False)
    assert dec.reason == "var_limit" and qty == qty_b
    alone = Rig(_cfg(var=VAR), _closes()).go("b", "B", Direction.LONG, fill=False)[1]
    assert alone != qty_b  # A's position does change what fits


def test_a_flips_new_side_gets_the_var_room_of_a_fresh_entry() -> None:
    # the close is applied first, in full: what is left is the new side alone
    cfg = _cfg(allow_short=True, var=VAR)
    fresh = Rig(cfg, _closes()).go("b", "A", Direction.SHORT, fill=False)
    rig = Rig(cfg, _closes())
    held = -3 * fresh[1]  # a long three times that short's size
    rig.pf.fill("a", "A", held)
    dec, qty = rig.go("a", "A", Direction.SHORT, fill=False)
    assert (fresh[0].reason, dec.reason) == ("var_limit", "var_limit")
    assert qty == -held + fresh[1]  # close the long, then the same short


def test_var_binds_even_when_it_trims_less_than_one_currency_unit() -> None:
    loose = {**VAR, "var95_pct": 1}
    small = {"fleet_weight": 0.05}  # a 500 order: the limit's bisection trims it by under one unit
    after = Rig(_cfg(var=loose), _closes()).go("a", "A", Direction.LONG, fill=False, **small)[0].data["var"]["after"]
    tight = {**VAR, "var95_pct": max(after["historical_var95"], after["parametric_var95"]) * (1 - 1e-6)}
    dec, _ = Rig(_cfg(var=tight), _closes()).go("a", "A", Direction.LONG, fill=False, **small)
    assert dec.reason == "var_limit" and 499.0 < dec.data["desired"] * dec.data["var"]["fraction"] < 500.0


def test_a_var_limit_that_leaves_nothing_is_named_as_the_reason() -> None:
    nothing = {**VAR, "var95_pct": 1e-12}  # no position in A fits
    dec, qty = Rig(_cfg(var=nothing), _closes()).go("a", "A", Direction.LONG, fill=False)
    assert (dec.verdict.value, dec.reason, qty) == ("reject", "var_limit", 0)


def test_an_entry_cut_to_nothing_before_var_is_not_measured() -> None:
    dec, qty = Rig(_cfg(var=VAR), _closes()).go("a", "A", Direction.LONG, fill=False, fleet_weight=0.0)
    assert (dec.reason, qty) == ("fleet_weight_zero", 0)
    assert "var" not in dec.data  # nothing to measure: no VaR figures reported


def test_var_measures_an_order_of_less_than_one_currency_unit_too() -> None:
    cheap = {s: [c / 1000 for c in closes] for s, closes in _closes().items()}  # generated walks, about 0.1 each
    nothing = {**VAR, "var95_pct": 1e-12}
    rig = Rig(_cfg(var=nothing, min_notional=0.0), cheap, cash=10.0)  # a budget of 1.00
    dec, qty = rig.go("a", "A", Direction.LONG, fill=False, fleet_weight=0.5)  # 0.50 of A
    assert (dec.reason, qty) == ("var_limit", 0)


def test_after_a_price_move_within_the_rebuild_period_the_next_entry_sees_the_book_at_its_new_marks() -> None:
    """The probe kept in step with approvals is rebuilt once the book is re-marked: an entry a minute later, after a
    move of the pending name, is sized exactly as by a gate whose probe is built afresh."""
    sizes = []
    for fresh in (False, True):
        rig = Rig(_cfg(var=VAR), _closes())
        rig.go("a", "A", Direction.LONG, fill=False, fleet_weight=0.2)
        rig.clock.advance(60)  # within rebuild_seconds: the same snapshot, re-marked
        rig.market.now_ns = rig.clock.now_ns()
        rig.market.closes_by["A"][-1] *= 1.5  # generated: the pending name jumps
        if fresh:
            rig.gate.snap.probe = None  # type: ignore[union-attr]
        dec, qty = rig.go("b", "B", Direction.LONG, fill=False)
        sizes.append((dec.reason, qty, dec.data["var"]["after"]["historical_var95"]))
    assert sizes[0] == sizes[1] and sizes[0][0] == "var_limit"
