"""The risk gate learns each instrument's bar length from the bots trading it (the slowest
timeframe wins, the first signal teaches it too); the stale-feed breaker waits that many bars.
The market model follows the symbols the data lists, a dropped one too."""

from __future__ import annotations

from decimal import Decimal

from tradefleet.orchestrator.domain import Direction
from tradefleet.risk.state import TradingState
from tests.risk.fakes import random_walks
from tests.risk.test_engine import Rig, _cfg

DAY = 86_400


def _state(rig: Rig, symbol: str) -> TradingState:
    return rig.gate.states.effective((f"instrument:{symbol}",))[0]


def test_a_feed_is_stale_after_three_bars_of_the_slowest_timeframe_trading_it() -> None:
    rig = Rig(_cfg(breakers={"stale_after_seconds": 3600, "stale_bars": 3}))
    rig.go("a", "X", Direction.LONG)  # the rig's bot trades daily bars: X learns 1 day
    rig.gate.learn_timeframe(("X",), "1h")  # a faster bot on X too: the daily bar stays
    rig.gate.learn_timeframe(("Y",), "1h")
    rig.gate.learn_timeframe(("Y",), "15m")
    rig.pf.fill("b", "Y", Decimal(10))
    rig.clock.advance(2 * DAY)  # no bar since (the market's clock stays put)
    rig.gate.observe(rig.ctx())
    assert _state(rig, "X") is TradingState.ACTIVE  # 2 days < 3 daily bars
    assert _state(rig, "Y") is TradingState.HALTED  # 2 days > 3 hourly bars
    rig.clock.advance(DAY + 60)
    rig.gate.observe(rig.ctx())
    assert _state(rig, "X") is TradingState.HALTED


def test_a_symbol_the_data_no_longer_lists_leaves_the_market_model_at_its_next_rebuild() -> None:
    listed = ["A", "B", "C"]
    closes = random_walks(listed, 80, seed=6)  # generated
    rig = Rig(_cfg(hrp={"enabled": False, "refresh_seconds": 60}), closes)
    rig.gate.universe = lambda: list(listed)
    rig.gate.observe(rig.ctx())
    assert rig.gate.model.symbols == ["A", "B", "C"]
    listed.remove("C")  # the feed dropped C (its closes are still there)
    rig.clock.advance(60)  # the model's refresh period
    rig.gate.observe(rig.ctx())
    assert rig.gate.model.symbols == ["A", "B"]
