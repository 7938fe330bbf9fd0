"""Contradictory positions, re-entry cooldown, losing-streak size cut."""

from __future__ import annotations

from tradefleet.risk.blockers import Blockers
from tradefleet.risk.config import BlockersConfig

MIN = 60 * 1_000_000_000


def test_contradiction_opposite_sign_other_holder_blocks() -> None:
    b = Blockers(BlockersConfig())
    holders = [("bot-a", "KXHIGHCHI-26FEB09-B38.5", 1)]
    assert b.contradiction("bot-b", "KXHIGHCHI-26FEB09-T40", -1, holders) == ("bot-a", "KXHIGHCHI-26FEB09-B38.5")
    assert b.contradiction("bot-b", "KXHIGHCHI-26FEB09-T40", 1, holders) is None
    assert b.contradiction("bot-a", "KXHIGHCHI-26FEB09-B38.5", -1, holders) is None  # own flip
    assert Blockers(BlockersConfig(block_contradictory=False)).contradiction("x", "y", -1, holders) is None


def test_contradiction_one_bot_opposite_strikes_of_one_event_blocks() -> None:
    # the same bot may not hold two thresholds of one event in opposite directions
    b = Blockers(BlockersConfig())
    holders = [("bot-a", "KXHIGHCHI-26FEB09-B38.5", 1)]
    assert b.contradiction("bot-a", "KXHIGHCHI-26FEB09-T40", -1, holders) == ("bot-a", "KXHIGHCHI-26FEB09-B38.5")
    assert b.contradiction("bot-a", "KXHIGHCHI-26FEB09-T40", 1, holders) is None


def test_cooldown_per_bot_and_underlying() -> None:
    b = Blockers(BlockersConfig(cooldown_minutes=30))
    b.on_exit("bot-a", "KXHIGHCHI-26FEB09-B38.5", 0)
    assert b.cooldown_left("bot-a", "KXHIGHCHI-26FEB09-T40", 10 * MIN) == 20 * 60
    assert b.cooldown_left("bot-b", "KXHIGHCHI-26FEB09-T40", 10 * MIN) == 0
    assert b.report(10 * MIN)["cooldowns"][0]["underlying"] == "KXHIGHCHI-26FEB09"
    assert b.cooldown_left("bot-a", "KXHIGHCHI-26FEB09-T40", 30 * MIN) == 0


def test_loss_streak_cuts_size_until_recovery() -> None:
    b = Blockers(BlockersConfig(loss_streak=10, loss_streak_scale=0.5, recover_wins=2))
    for _ in range(9):
        b.record_outcome("bot", -1.0)
    assert b.size_multiplier("bot") == 1.0
    b.record_outcome("bot", -1.0)
    assert b.size_multiplier("bot") == 0.5
    b.record_outcome("bot", 1.0)
    assert b.size_multiplier("bot") == 0.5
    b.record_outcome("bot", 1.0)
    assert b.size_multiplier("bot") == 1.0
    assert b.report(0)["size_cuts"] == []
