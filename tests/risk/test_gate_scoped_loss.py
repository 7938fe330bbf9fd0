"""A bot or fleet that lost its daily budget is held by the risk gate, and an operator's resume
seen by the engine (``on_control``) lifts the hold: only an authorised human actor, only the
scope named (a whole-fleet resume lifts every hold)."""

from __future__ import annotations

from dataclasses import dataclass
from tradefleet.orchestrator.domain import Direction
from tests.risk.test_engine import Rig, _cfg

L = Direction.LONG


@dataclass
class Row:
    """A control row as the engine passes it on (scope, actor, paused/halted flags)."""

    scope: str
    actor: str = "operator"
    paused: bool = False
    halted: bool = False


def _rig(**daily: object) -> Rig:
    rig = Rig(_cfg(daily_loss={"pct": 0.5, **daily}), {"X": [100.0] * 60, "Y": [50.0] * 60, "Z": [20.0] * 60})
    rig.go("a", "X", L)  # 100 X at 100: all of a's 10% budget (no running bots declared)
    _tick(rig)
    return rig


def _mark(rig: Rig, x: float) -> None:
    rig.market.closes_by["X"].append(x)
    _tick(rig)


def _tick(rig: Rig) -> None:
    """A minute later: the gate's per-tick checks run (marks, daily-loss budgets)."""
    rig.clock.advance(60)
    rig.market.now_ns = rig.clock.now_ns()
    rig.gate.observe(rig.ctx())


def test_a_bot_is_held_once_its_loss_reaches_its_share_of_its_budget() -> None:
    rig = _rig(bot_pct=0.1)  # 10% of a's budget (10% of equity): about 1% of the account
    _mark(rig, 91.0)  # lost 900 < 10% x 10% x 99,100
    assert rig.go("a", "Y", L, fill=False)[0].reason == "sized"
    _mark(rig, 90.0)  # lost 1,000 >= 10% x 10% x 99,000
    dec, qty = rig.go("a", "Z", L, fill=False)
    assert (dec.reason, qty) == ("state_halted", 0) and dec.detail == (
        "bot:a: daily_loss: lost 1,000.00 today >= 10.00% of its capital budget (990.00)")
    assert rig.go("b", "Y", L, fill=False)[1] > 0  # another bot is not held


def test_a_fleet_is_held_at_its_share_of_the_fleet_budget() -> None:
    rig = _rig(fleet_pct=0.1)  # no running bots declared: the fleet's budget is position_pct (10%)
    _mark(rig, 91.0)
    assert rig.go("b", "Y", L, fill=False)[0].reason == "sized"
    _mark(rig, 90.0)
    dec, _ = rig.go("b", "Z", L, fill=False)  # b is in the same (default) fleet
    assert dec.reason == "state_halted" and dec.detail == (
        "fleet:default: daily_loss: lost 1,000.00 today >= 10.00% of its capital budget (990.00)")


def test_declared_running_bots_give_each_bot_and_fleet_its_own_budget_to_lose() -> None:
    rig = Rig(_cfg(daily_loss={"pct": 0.5, "bot_pct": 0.1, "fleet_pct": 0.1}),
              {"X": [100.0] * 60, "Y": [50.0] * 60, "Z": [20.0] * 60})
    rig.gate.set_running(["a", "b"])  # one fleet: it gets the account, each bot half
    rig.go("a", "X", L)  # 200 X at 100 (max position 20%)
    _tick(rig)
    _mark(rig, 80.0)  # a lost 4,000 < 10% x 50% x 96,000
    assert rig.gate.scoped_loss.held() == []
    _mark(rig, 75.0)  # a lost 5,000 >= 10% x 50% x 95,000; its fleet < 10% x 100% x 95,000
    assert rig.gate.scoped_loss.held() == ["bot:a"]


def test_an_operator_resume_of_the_bot_lifts_its_hold() -> None:
    rig = _rig(bot_pct=0.1)
    _mark(rig, 90.0)
    now = rig.clock.now_ns()
    rig.gate.on_control([Row("bot:a", halted=True), Row("bot:a", paused=True), Row("bot:a", actor="risk"),
                         Row("bot:zz")], now)  # a halt, a pause, the gate's own row, another bot: no resume
    assert rig.go("a", "Y", L, fill=False)[0].reason == "state_halted"
    rig.gate.on_control([Row("bot:a", actor="cli:alice")], now)
    assert rig.go("a", "Y", L, fill=False)[0].reason == "sized"


def test_a_whole_fleet_resume_lifts_every_hold() -> None:
    rig = _rig(bot_pct=0.1, fleet_pct=0.1)
    _mark(rig, 90.0)
    assert sorted(rig.gate.scoped_loss.held()) == ["bot:a", "fleet:default"]
    # no actor named: the operator; the next row finds nothing held any more, so refuses nothing
    rig.gate.on_control([Row("fleet", actor=""), Row("bot:a", actor="mallory")], rig.clock.now_ns())
    assert rig.gate.scoped_loss.held() == []
    assert not [a for a in rig.gate.alerts.recent if a.kind == "daily_loss_resume_refused"]
    assert rig.go("a", "Y", L, fill=False)[0].reason == "sized"


def test_a_resume_by_an_unauthorised_actor_is_refused_with_an_alert() -> None:
    rig = _rig(bot_pct=0.1)
    _mark(rig, 90.0)
    rig.gate.on_control([Row("bot:a", actor="mallory")], rig.clock.now_ns())
    assert rig.go("a", "Y", L, fill=False)[0].reason == "state_halted"
    refused = [a for a in rig.gate.alerts.recent if a.kind == "daily_loss_resume_refused"]
    assert [(a.scope, "mallory" in a.reason) for a in refused] == [("bot:a", True)]


def test_nothing_held_means_control_rows_are_ignored() -> None:
    rig = _rig(bot_pct=0.1)
    rig.gate.on_control([Row("bot:a", actor="mallory")], rig.clock.now_ns())
    assert not [a for a in rig.gate.alerts.recent if a.kind == "daily_loss_resume_refused"]
    assert rig.gate.scoped_loss.held() == []


def test_a_resume_from_telegram_lifts_the_hold() -> None:
    rig = _rig(bot_pct=0.1)
    _mark(rig, 90.0)
    rig.gate.on_control([Row("bot:a", actor="telegram")], rig.clock.now_ns())  # an authorised actor
    assert rig.gate.scoped_loss.held() == []
    assert rig.go("a", "Y", L, fill=False)[0].reason == "sized"


def test_rows_skipped_in_a_batch_do_not_hide_the_resume_after_them() -> None:
    rig = _rig(bot_pct=0.1)
    _mark(rig, 90.0)
    # one reload, three changes: a halt and the gate's own row are skipped, the resume after them is not
    rig.gate.on_control([Row("bot:zz", halted=True), Row("bot:zz", actor="risk"), Row("bot:a")], rig.clock.now_ns())
    assert rig.gate.scoped_loss.held() == []


def test_a_fleets_resume_lifts_that_fleets_hold_only() -> None:
    rig = _rig(bot_pct=0.1, fleet_pct=0.1)
    _mark(rig, 90.0)
    rig.gate.on_control([Row("fleet:default")], rig.clock.now_ns())  # "fleet:default" is not the whole fleet
    assert rig.gate.scoped_loss.held() == ["bot:a"]


def test_a_whole_fleet_resume_read_from_the_store_lifts_every_hold() -> None:
    rig = _rig(bot_pct=0.1, fleet_pct=0.1)
    _mark(rig, 90.0)
    scope = "fleet:".split(":")[0]  # "fleet" built at run time, as a row read from the store is: not interned
    rig.gate.on_control([Row(scope)], rig.clock.now_ns())
    assert rig.gate.scoped_loss.held() == []


def test_the_gates_own_row_read_from_the_store_is_skipped() -> None:
    rig = _rig(bot_pct=0.1)
    _mark(rig, 90.0)
    actor = "risk:".split(":")[0]  # "risk" as a row read from the store has it: a new string, not interned
    rig.gate.on_control([Row("bot:a", actor=actor)], rig.clock.now_ns())
    assert rig.gate.scoped_loss.held() == ["bot:a"]
    assert not [a for a in rig.gate.alerts.recent if a.kind == "daily_loss_resume_refused"]


def test_a_bot_whose_name_has_a_colon_is_held_at_its_budget() -> None:
    rig = Rig(_cfg(daily_loss={"pct": 0.5, "bot_pct": 0.1}), {"X": [100.0] * 60, "Y": [50.0] * 60})
    rig.go("grid:x", "X", L)  # 100 X at 100: all of its 10% budget
    _tick(rig)
    _mark(rig, 90.0)  # lost 1,000 >= 10% x 10% x 99,000
    assert rig.gate.scoped_loss.held() == ["bot:grid:x"]
