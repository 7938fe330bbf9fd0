"""Closed trades the risk gate notices from the portfolio: a close it did not approve (a stop,
a manual close) starts the re-entry cooldown when noticed; an exit it approved started the
cooldown at the approval, and its fill does not start it again."""

from __future__ import annotations

from decimal import Decimal

from tradefleet.orchestrator.domain import Direction
from tests.risk.test_engine import Rig, _cfg

L, F = Direction.LONG, Direction.FLAT
MIN = 60


def _holding() -> Rig:
    rig = Rig(_cfg(blockers={"cooldown_minutes": 30}))
    rig.go("a", "X", L)
    rig.clock.advance(MIN)
    rig.gate.observe(rig.ctx())  # the position is seen open
    return rig


def test_a_close_the_gate_did_not_approve_starts_the_cooldown_when_noticed() -> None:
    rig = _holding()
    rig.pf.fill("a", "X", Decimal(-100))  # closed outside the gate (a stop at the venue)
    rig.clock.advance(10 * MIN)
    rig.gate.observe(rig.ctx())  # noticed now
    rig.clock.advance(29 * MIN)
    assert rig.go("a", "X", L, fill=False)[0].reason == "cooldown"
    rig.clock.advance(1 * MIN)
    assert rig.go("a", "X", L, fill=False)[0].reason == "sized"


def test_an_approved_exit_starts_the_cooldown_once_at_its_approval() -> None:
    rig = _holding()
    assert rig.go("a", "X", F, fill=False)[1] == -100
    rig.clock.advance(10 * MIN)
    rig.pf.fill("a", "X", Decimal(-100))  # its fill, ten minutes later
    rig.clock.advance(MIN)
    rig.gate.observe(rig.ctx())
    rig.clock.advance(18 * MIN)  # 29 minutes after the approval
    assert rig.go("a", "X", L, fill=False)[0].reason == "cooldown"
    rig.clock.advance(1 * MIN)  # 30: over, though the fill was noticed only 19 minutes ago
    assert rig.go("a", "X", L, fill=False)[0].reason == "sized"
