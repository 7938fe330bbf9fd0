"""Signals the risk gate answers without an order: the side already held (even a single unit)."""

from __future__ import annotations

from decimal import Decimal

from tradefleet.orchestrator.domain import Direction
from tests.risk.test_engine import Rig, _cfg


def test_holding_one_unit_of_the_signalled_side_is_already_positioned() -> None:
    rig = Rig(_cfg(allow_short=True))
    rig.pf.fill("a", "X", Decimal(1))
    assert rig.go("a", "X", Direction.LONG)[0].reason == "noop_already_positioned"
    rig.pf.fill("b", "X", Decimal(-1))
    assert rig.go("b", "X", Direction.SHORT)[0].reason == "noop_already_positioned"
