"""An operator's resume of the account's daily-loss halt through the risk gate re-bases the day
at the equity the gate's book holds now, so the loss already taken does not halt it again."""

from __future__ import annotations

from tradefleet.orchestrator.domain import Direction
from tests.risk.test_engine import Rig, _cfg


def test_a_resume_rebases_the_daily_loss_at_the_books_equity() -> None:
    rig = Rig(_cfg(rebuild_seconds=3_600), {"X": [100.0] * 60, "Y": [50.0] * 60})
    rig.go("a", "X", Direction.LONG)
    rig.clock.advance(60)
    rig.gate.observe(rig.ctx())
    rig.market.closes_by["X"].append(40.0)  # 6,000 lost: halted
    rig.clock.advance(60)
    rig.gate.observe(rig.ctx())
    assert rig.gate.daily.halted
    rig.gate.resume("operator")  # at 94,000: the rest of the day counts from there
    rig.clock.advance(60)
    assert rig.go("b", "Y", Direction.LONG, fill=False)[0].reason == "sized"
    assert not rig.gate.daily.halted
