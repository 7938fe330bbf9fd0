"""The price the risk gate sizes an entry at: a buy pays the ask, a sale gets the bid, and a
binary contract's short buys NO (1 - YES bid) while its long buys YES at the ask."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradefleet.orchestrator.bot import BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass, Direction
from tradefleet.orchestrator.pipeline.gate import GateContext
from tests.risk.fakes import NullBot, signal
from tests.risk.test_engine import Rig, _cfg

L, S = Direction.LONG, Direction.SHORT


def _spread() -> Rig:
    rig = Rig(_cfg(allow_short=True), {"X": [100.0] * 60})
    rig.market.quote = lambda s: (99.0, 101.0)  # type: ignore[method-assign]  # a two-unit spread around 100
    return rig


def test_a_buy_is_sized_at_the_ask_and_a_short_at_the_bid() -> None:
    dec, qty = _spread().go("a", "X", L, fill=False)
    assert (dec.reason, dec.data["price"], qty) == ("sized", 101.0, Decimal(99))  # 10,000 / 101 = 99.01
    dec, qty = _spread().go("a", "X", S, fill=False)
    assert (dec.reason, dec.data["price"], qty) == ("sized", 99.0, Decimal(-101))  # 10,000 / 99 = 101.01


def _binary(direction: Any) -> tuple[Any, Decimal]:
    """The gate's answer to a signal on a generated binary quoted YES bid 0.38, ask 0.40."""
    rig = Rig(_cfg(allow_short=True), {"KXRAIN-26JAN01": [0.4] * 60})
    rig.market.quote = lambda s: (0.38, 0.4)  # type: ignore[method-assign]
    binary = BotSpec("a", NullBot, ("KXRAIN-26JAN01",), Schedule.interval("1d"), "1d", AssetClass.PREDICTION)
    ctx = GateContext(rig.clock.now_ns(), binary, rig.market, rig.pf)
    return rig.gate.approve(signal("a", "KXRAIN-26JAN01", direction, 0.4), ctx, 1.0)


def test_a_binary_long_buys_yes_at_the_ask_not_no() -> None:
    dec, qty = _binary(L)
    assert (dec.reason, dec.data["price"], qty) == ("sized", 0.4, Decimal(25_000))  # 10,000 / 0.40 YES


def test_a_binary_short_pays_one_minus_the_yes_bid_not_the_ask() -> None:
    dec, qty = _binary(S)
    assert dec.data["price"] == 0.62  # NO bought at 1 - 0.38
    assert qty == Decimal(-16_129)  # 10,000 / 0.62 = 16,129.03 NO contracts
