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


# -- exact figures and edges (issue 25: each kills a surviving mutant of risk/blockers.py) --------

SEC = 1_000_000_000


def test_contradiction_blocks_whichever_way_the_names_sort_and_skips_own_and_same_sign() -> None:
    b = Blockers(BlockersConfig())
    # the other holder sorts after this entry (bot-b > bot-a) and before it: both block
    assert b.contradiction("bot-a", "ETH/USD", 1, [("bot-b", "ETH/USDT", -1)]) == ("bot-b", "ETH/USDT")
    assert b.contradiction("bot-b", "ETH/USDT", 1, [("bot-a", "ETH/USD", -1)]) == ("bot-a", "ETH/USD")
    # a short entry is not blocked by another short, only by a long
    assert b.contradiction("bot-a", "ETH/USD", -1, [("bot-b", "ETH/USDT", -1)]) is None
    assert b.contradiction("bot-a", "ETH/USD", -1, [("bot-b", "ETH/USDT", 1)]) == ("bot-b", "ETH/USDT")
    # the entry's own position comes first in the list: the next holder still blocks
    holders = [("bot-a", "ETH/USD", 1), ("bot-c", "ETH/USDC", 1)]
    assert b.contradiction("bot-a", "ETH/USD", -1, holders) == ("bot-c", "ETH/USDC")


def test_cooldown_from_a_later_exit_has_exact_fractional_seconds_and_ends_at_its_instant() -> None:
    b = Blockers(BlockersConfig(cooldown_minutes=30))
    exit_ns = 7 * MIN + 250_000_000  # 7 min 0.25 s
    b.on_exit("bot-a", "BTC/USDT", exit_ns)
    assert b.to_dict()["cooldowns"] == {"bot-a|BTC/USD": exit_ns + 30 * MIN}
    now = 9 * MIN + 500_000_000  # 2 min 0.25 s after the exit: 27 min 59.75 s left
    assert b.cooldown_left("bot-a", "BTC/USD", now) == 27 * 60 + 59.75
    assert b.report(now)["cooldowns"] == [{"bot": "bot-a", "underlying": "BTC/USD", "seconds_left": 1679.75}]
    end = exit_ns + 30 * MIN
    assert b.report(end)["cooldowns"] == []  # nothing left at the instant it ends
    assert b.report(end + SEC)["cooldowns"] == []
    assert b.cooldown_left("bot-a", "BTC/USD", end) == 0.0
    assert b.to_dict()["cooldowns"] == {}  # an ended cooldown is dropped, not kept at 0 s


def test_cooldown_long_past_is_zero_not_negative_and_is_dropped() -> None:
    b = Blockers(BlockersConfig(cooldown_minutes=1))
    b.on_exit("bot-a", "SPY", 0)
    assert b.cooldown_left("bot-a", "SPY", 5 * MIN) == 0.0
    assert b.to_dict()["cooldowns"] == {}


def test_zero_cooldown_stores_nothing() -> None:
    b = Blockers(BlockersConfig(cooldown_minutes=0))
    b.on_exit("bot-a", "SPY", 3 * MIN)
    assert b.to_dict()["cooldowns"] == {}
    assert b.cooldown_left("bot-a", "SPY", 3 * MIN) == 0.0


def test_breakeven_trade_counts_as_a_loss_and_a_win_resets_the_loss_count() -> None:
    b = Blockers(BlockersConfig(loss_streak=3, recover_wins=2))
    for pnl in (-1.0, -1.0, 2.0, -1.0, -1.0):  # a win between: never 3 losses in a row
        b.record_outcome("bot", pnl)
    assert b.size_multiplier("bot") == 1.0
    assert b.to_dict()["streaks"] == {"bot": [2, 0, False]}
    b.record_outcome("bot", 0.0)  # breakeven is the third loss in a row
    assert b.size_multiplier("bot") == 0.5
    assert b.report(0)["size_cuts"] == [{"bot": "bot", "consecutive_losses": 3, "scale": 0.5}]


def test_a_loss_between_wins_restarts_the_recovery_count() -> None:
    b = Blockers(BlockersConfig(loss_streak=2, recover_wins=2))
    for pnl in (-1.0, -1.0, 1.0, -1.0, 1.0):  # cut, then W L W: never 2 wins in a row
        b.record_outcome("bot", pnl)
    assert b.size_multiplier("bot") == 0.5
    assert b.to_dict()["streaks"] == {"bot": [0, 1, True]}
    b.record_outcome("bot", 1.0)
    assert b.size_multiplier("bot") == 1.0
    assert b.to_dict()["streaks"] == {"bot": [0, 2, False]}


def test_unknown_bot_has_full_size_and_first_win_counts_one() -> None:
    b = Blockers(BlockersConfig())
    assert b.size_multiplier("nobody") == 1.0
    b.record_outcome("bot", 5.0)
    assert b.to_dict()["streaks"] == {"bot": [0, 1, False]}
    assert b.size_multiplier("bot") == 1.0


def test_state_round_trips_through_to_dict_and_load() -> None:
    b = Blockers(BlockersConfig(cooldown_minutes=10, loss_streak=2, loss_streak_scale=0.25))
    b.on_exit("bot-a", "KXHIGHCHI-26FEB09-B38.5", MIN)
    b.record_outcome("bot-a", -1.0)
    b.record_outcome("bot-a", -1.0)
    b.record_outcome("bot-b", -1.0)
    saved = b.to_dict()
    assert saved == {"cooldowns": {"bot-a|KXHIGHCHI-26FEB09": 11 * MIN},
                     "streaks": {"bot-a": [2, 0, True], "bot-b": [1, 0, False]}}
    again = Blockers(BlockersConfig(cooldown_minutes=10, loss_streak=2, loss_streak_scale=0.25))
    again.load(saved)
    assert again.to_dict() == saved
    assert again.cooldown_left("bot-a", "KXHIGHCHI-26FEB09-T40", 2 * MIN) == 9 * 60
    assert again.size_multiplier("bot-a") == 0.25
    again.record_outcome("bot-b", -1.0)  # the restored loss counts toward the streak
    assert again.size_multiplier("bot-b") == 0.25


def test_streak_thresholds_lowered_across_a_restart_apply_to_the_restored_counts() -> None:
    # saved under loss_streak=10 / recover_wins=5; restarted with 3 / 1
    cfg = BlockersConfig(loss_streak=3, recover_wins=1)
    b = Blockers(cfg)
    b.load({"streaks": {"loser": [5, 0, False], "winner": [0, 3, True]}})
    b.record_outcome("loser", -1.0)  # 6 losses in a row >= 3: cut
    assert b.size_multiplier("loser") == 0.5
    b.record_outcome("winner", 1.0)  # 4 wins in a row >= 1: lifted
    assert b.size_multiplier("winner") == 1.0
