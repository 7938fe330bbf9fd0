"""Limits set globally, per bot and per fleet: which values apply to a bot, and how much
each scope's own exposure and position count leave (risk/limits.py on a real ExposureBook)."""

from __future__ import annotations

import dataclasses

import pytest

from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.exposure import ExposureBook
from tradefleet.risk.limits import Headroom, count_breach, notional_headroom, resolve


def _cfg(**kw: object) -> PortfolioRiskConfig:
    return PortfolioRiskConfig.model_validate(kw)


def _book(equity: float, *held: tuple[str, str, str, float]) -> ExposureBook:
    """A book of (bot, instrument, fleet, notional) holdings, each one unit at that price."""
    book = ExposureBook(cash=equity, equity=equity)
    for bot, inst, fleet, notional in held:
        book.apply(bot, inst, fleet, 1.0, notional)
    book.equity = equity
    return book


def test_the_tightest_position_size_of_global_bot_and_fleet_applies() -> None:
    cfg = _cfg(max_position_pct=0.2, bots={"a": {"max_position_pct": 0.1}, "z": {"max_position_pct": 0.01}},
               fleets={"fx": {"max_position_pct": 0.05}, "eq": {"max_position_pct": 0.5}})
    assert resolve(cfg, "a", "eq").max_position_pct == 0.1  # the bot's own override
    assert resolve(cfg, "a", "fx").max_position_pct == 0.05  # its fleet's, tighter still
    assert resolve(cfg, "b", "eq").max_position_pct == 0.2  # no override of its own: global (a looser fleet never widens)
    assert resolve(cfg, "b", "other").max_position_pct == 0.2


def test_each_scope_that_sets_a_limit_is_listed_with_its_key() -> None:
    cfg = _cfg(gross_exposure_pct=0.8, max_positions=5, max_trades_per_day=9,
               bots={"a": {"gross_exposure_pct": 0.3, "max_trades_per_day": 2}},
               fleets={"fx": {"max_positions": 1}})
    lim = resolve(cfg, "a", "fx")
    assert lim.gross_exposure_pct == [("global", "", 0.8), ("bot", "a", 0.3)]
    assert lim.max_positions == [("global", "", 5), ("fleet", "fx", 1)]
    assert lim.max_trades_per_day == [("global", "", 9), ("bot", "a", 2)]
    other = resolve(cfg, "b", "eq")  # overrides of other bots and fleets do not apply
    assert other.gross_exposure_pct == [("global", "", 0.8)]
    assert other.max_positions == [("global", "", 5)]
    assert other.max_trades_per_day == [("global", "", 9)]


def test_headroom_of_each_scope_counts_only_that_scopes_exposure() -> None:
    cfg = _cfg(max_position_pct=0.2, gross_exposure_pct=0.9,
               bots={"a": {"gross_exposure_pct": 0.5}}, fleets={"fx": {"gross_exposure_pct": 0.6}})
    # a holds 10k (fleet fx), b holds 20k (fleet fx), c holds 30k (fleet eq): equity 100k
    book = _book(100_000.0, ("a", "X", "fx", 10_000.0), ("b", "Y", "fx", 20_000.0), ("c", "Z", "eq", 30_000.0))
    rooms = notional_headroom(resolve(cfg, "a", "fx"), book, "a", "fx", 4_000.0)
    assert [(h.reason, h.notional) for h in rooms] == [
        ("max_position", pytest.approx(20_000.0 - 4_000.0)),  # 20% of equity less what the position keeps
        ("gross_exposure_global", pytest.approx(90_000.0 - 60_000.0)),  # every bot
        ("gross_exposure_bot", pytest.approx(50_000.0 - 10_000.0)),  # a alone
        ("gross_exposure_fleet", pytest.approx(60_000.0 - 30_000.0)),  # a and b
    ]


def test_a_scope_with_no_exposure_yet_has_its_whole_limit() -> None:
    cfg = _cfg(gross_exposure_pct=0.9, bots={"new": {"gross_exposure_pct": 0.3}},
               fleets={"empty": {"gross_exposure_pct": 0.4}})
    book = _book(100_000.0, ("c", "Z", "eq", 30_000.0))
    rooms = {h.reason: h.notional for h in notional_headroom(resolve(cfg, "new", "empty"), book, "new", "empty", 0.0)}
    assert rooms["gross_exposure_bot"] == pytest.approx(30_000.0)
    assert rooms["gross_exposure_fleet"] == pytest.approx(40_000.0)


def test_no_equity_leaves_no_room_and_existing_exposure_counts_against_it() -> None:
    cfg = _cfg(max_position_pct=0.2, gross_exposure_pct=0.9)
    book = _book(-5_000.0, ("a", "X", "fx", 1_000.0))  # equity below zero counts as zero
    rooms = notional_headroom(resolve(cfg, "a", "fx"), book, "a", "fx", 0.0)
    assert [(h.reason, h.notional) for h in rooms] == [("max_position", 0.0), ("gross_exposure_global", -1_000.0)]


def test_max_positions_binds_at_its_cap_per_scope() -> None:
    cfg = _cfg(max_positions=3, bots={"a": {"max_positions": 1}}, fleets={"fx": {"max_positions": 2}})
    lim = resolve(cfg, "a", "eq")
    assert count_breach(lim, _book(100_000.0), "a", "eq") is None  # nothing held anywhere yet
    assert count_breach(lim, _book(100_000.0, ("b", "Y", "eq", 100.0)), "a", "eq") is None  # another bot's
    assert count_breach(lim, _book(100_000.0, ("a", "X", "eq", 100.0)), "a", "eq") == "max_positions_bot"
    fx = resolve(cfg, "b", "fx")
    one = _book(100_000.0, ("a", "X", "fx", 100.0))
    assert count_breach(fx, one, "b", "fx") is None  # fleet fx holds 1 of 2
    two = _book(100_000.0, ("a", "X", "fx", 100.0), ("c", "Y", "fx", 100.0))
    assert count_breach(fx, two, "b", "fx") == "max_positions_fleet"
    assert count_breach(resolve(cfg, "b", "eq"), two, "b", "eq") is None  # fleet eq holds none; 2 of 3 overall
    three = _book(100_000.0, ("a", "X", "fx", 100.0), ("c", "Y", "fx", 100.0), ("d", "Z", "eq", 100.0))
    assert count_breach(resolve(cfg, "b", "eq"), three, "b", "eq") == "max_positions_global"


def test_max_positions_still_binds_when_already_over_its_cap() -> None:
    # the limit was lowered while the bot held more: it stays reached, not only at equality
    cfg = _cfg(max_positions=10, bots={"a": {"max_positions": 1}})
    book = _book(100_000.0, ("a", "X", "eq", 100.0), ("a", "Y", "eq", 100.0))
    assert count_breach(resolve(cfg, "a", "eq"), book, "a", "eq") == "max_positions_bot"
    over = _cfg(max_positions=1)
    assert count_breach(resolve(over, "b", "eq"), book, "b", "eq") == "max_positions_global"


def test_a_headroom_is_an_immutable_value() -> None:
    h = Headroom("max_position", 10.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.notional = 20.0  # type: ignore[misc]
