"""The bus codec: every domain event round-trips exactly; nothing else gets through."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradefleet.orchestrator.distributed.codec import CodecError, decode, encode
from tradefleet.orchestrator.distributed.work import Evaluation, TickTask
from tradefleet.orchestrator.domain import (AssetClass, Bar, Decision, Direction, Fill, Instrument, Order, OrderType, Position,
                                 Side, Signal)
from tradefleet.orchestrator.execution.oms import Alert
from tradefleet.orchestrator.store.records import ControlState
from tradefleet.risk.alerts import RiskAlert

SIG = Signal("spx-sma-trend", "SPX", Direction.SHORT, 0.25, 4012.5, 10, 11, stop=None, target=3900.0,
             meta={"bar_ts": 10, "votes": [1, -1], "nested": {"x": None}})


@pytest.mark.parametrize("event", [
    SIG,
    Bar("SPX", 1, 1.0, 2.0, 0.5, 1.5, 1e6, 2),
    Decision.resized("risk", 0.5, "kelly", data={"f": 0.1}),
    ("abc", (Decision.passed("regime"), Decision.rejected("veto", "fomc"))),
    Order("tf-1", "b", "EUR/USD", Side.SELL, Decimal("1000.00"), 3, OrderType.LIMIT, Decimal("1.08345"), "sid"),
    Fill("tf-1", "paper", "v1", "t1", "SPX", Side.BUY, Decimal("3"), Decimal("4012.25"), Decimal("0.12"), 5, 6),
    Position("b", "SPX", Decimal("-2"), Decimal("4000.1"), Decimal("-3.5")),
    Instrument("BTC/USD", AssetClass.CRYPTO, tick_size=Decimal("0.5"), lot_size=Decimal("0.0001")),
    Alert("order_rejected", "tf-1: no", 7, "paper"),
    RiskAlert("daily_loss_halt", "fleet", "loss 3%", 8, "halted", {"loss": 0.03}),
    ControlState("fleet", paused=True, reason="operator", actor="cli", ts_ns=9),
    TickTask("b", 3, 100, 2),
    Evaluation("b", 3, 100, 2, "w1", (SIG,)),
    [1, "two", 3.5, None, True],
])
def test_codec_roundtrips_every_event_exactly(event: object) -> None:
    back = decode(encode(event))
    assert back == event and type(back) is type(event)
    if isinstance(event, Signal):
        assert back.meta == event.meta  # meta is excluded from Signal equality: check it too


def test_codec_keeps_decimal_exact_and_enum_types() -> None:
    order = decode(encode(Order("x", "b", "S", Side.BUY, Decimal("0.1") + Decimal("0.2"), 1)))
    assert order.quantity == Decimal("0.3") and isinstance(order.quantity, Decimal)
    assert order.side is Side.BUY


def test_codec_refuses_unregistered_types_and_reserved_keys() -> None:
    @dataclass(frozen=True)
    class Rogue:
        x: int

    with pytest.raises(CodecError, match="not registered"):
        encode(Rogue(1))
    with pytest.raises(CodecError, match="cannot be sent"):
        encode({1, 2})
    with pytest.raises(CodecError, match="reserved"):
        encode({"__t": "Signal"})
    with pytest.raises(CodecError, match="unknown message type"):
        decode(b'{"__t": "os.system", "x": 1}')
    with pytest.raises(CodecError, match="not JSON"):
        decode(b"\xff{")
    with pytest.raises(CodecError, match="does not match"):
        decode(b'{"__t": "Bar", "nope": 1}')


@given(st.floats(allow_nan=False), st.integers(-2**62, 2**62), st.text(max_size=20),
       st.decimals(allow_nan=False, allow_infinity=False, places=6))
def test_codec_roundtrip_property(conf: float, ts: int, bot: str, qty: Decimal) -> None:
    sig = Signal(bot, "SPX", Direction.LONG, conf, conf, ts, ts, meta={"k": bot})
    order = Order(bot, bot, "SPX", Side.BUY, qty, ts)
    assert decode(encode((sig, order))) == (sig, order)
    assert decode(encode(sig)).meta == {"k": bot}
