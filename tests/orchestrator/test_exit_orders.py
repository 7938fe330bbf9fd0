"""Scaled exits on the paper venue go out as the resting orders they stand for
(:class:`tradefleet.orchestrator.exits.ExitOrder`, ``Engine.submit_exit``): a stop exit is a
stop order armed at the close before the bar (filled at the stop, or at the open when the
bar gaps through it, never better); a target tranche is a limit (filled at the target, or at
the open when the bar gaps through it). Bars are generated (synthetic) daily bars.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataclasses import FrozenInstanceError
from decimal import Decimal

from tradefleet.orchestrator.bot import Bot, BotParams
from tradefleet.orchestrator.domain import Side
from tradefleet.orchestrator.exits import ExitOrder
from tests.orchestrator.intents.kit import Harness, spec


def _bars(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """Generated (synthetic) daily bars from (open, high, low, close) rows."""
    idx = pd.date_range("2021-01-04", periods=len(rows), freq="D", tz="UTC", name="ts").as_unit("ns")
    o, h, lo, c = (np.array(col, dtype=float) for col in zip(*rows))
    return pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": 1e9}, index=idx)


class LongOnce(Bot):
    """Long from the fifth bar on, stop 95 (2.5 % of equity at risk: 1R = 5)."""

    Params = BotParams

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        n = len(frame)
        sig = np.where(np.arange(n) >= 4, 1.0, 0.0)
        return pd.DataFrame({"signal": sig, "confidence": 1.0, "stop": 95.0}, index=frame.index)


def test_an_exit_rests_as_the_kind_of_its_first_action_whose_level_is_its_trigger() -> None:
    def order(reason: str) -> ExitOrder:
        return ExitOrder("bot", "XYZ", Side.SELL, Decimal(10), reason, 95.0, 7)

    assert [order(r).is_stop for r in ("stop", "breakeven_stop", "trailing_stop")] == [True, True, True]
    assert [order(r).is_stop for r in ("target_1", "target_1+target_2")] == [False, False]
    # merged actions rest at the first one's level, so they take its kind
    assert order("stop+target_1").is_stop and not order("target_1+trailing_stop").is_stop


def test_an_exit_order_is_a_value_no_consumer_can_change() -> None:
    o = ExitOrder("bot", "XYZ", Side.SELL, Decimal(10), "stop", 95.0, 7)
    with pytest.raises(FrozenInstanceError):
        o.quantity = Decimal(20)  # type: ignore[misc]
    assert {o: 1}[ExitOrder("bot", "XYZ", Side.SELL, Decimal(10), "stop", 95.0, 7)] == 1  # hashable, by value


FLAT = [(100.0, 100.5, 99.5, 100.0)] * 6


def _run(tmp: Path, tail: list[tuple[float, float, float, float]]) -> list[tuple[str, str, float, float]]:
    return _fills(tmp, _bars(FLAT + tail), LongOnce)


def _fills(tmp: Path, frame: pd.DataFrame, bot: type[Bot]) -> list[tuple[str, str, float, float]]:
    """(side, order type, quantity, price) of every fill of ``bot`` on ``frame``, through the engine."""
    h = Harness(tmp, {"XYZ": frame}, [spec("exit-orders", bot, ("XYZ",))], config={
        "risk": {"exits": {"enabled": True, "targets_r": [1.0], "fractions": [0.5]}},
        "paper": {"spread_bps": 0.0, "slippage_bps": 0.0, "fee_bps": 0.0, "max_volume_share": 0.0}})
    h.run()
    out = []
    for f in h.store.fills():
        o = h.store.order(f.client_order_id)
        assert o is not None
        out.append((f.side.value, o.order_type.value, float(f.quantity), round(float(f.price), 4)))
    h.close()
    return out


def test_a_stop_exit_is_a_stop_order_filled_at_the_stop_or_at_the_open_of_a_gap(tmp_path: Path) -> None:
    entry = ("buy", "market", 200.0, 100.0)  # as the risk gate sized it
    # the bar trades down through 95 from an open above it: filled at the stop, not at the better open
    assert _run(tmp_path / "through", [(99.0, 99.5, 94.0, 96.0)]) == [entry, ("sell", "stop", 200.0, 95.0)]
    # the bar opens below the stop: filled at that open, never at the stop it gapped past
    assert _run(tmp_path / "gap", [(93.0, 93.5, 92.0, 93.0)]) == [entry, ("sell", "stop", 200.0, 93.0)]


def test_a_target_tranche_is_a_limit_filled_at_the_target_or_the_open_and_the_rest_stops_at_break_even(
        tmp_path: Path) -> None:
    entry = ("buy", "market", 200.0, 100.0)
    back = (100.0, 100.5, 99.5, 100.0)  # the next bar comes back to the entry: the break-even stop takes the rest
    # 1R = 5: the target is 105; a bar through it sells half there (a limit: not at the worse open)
    assert _run(tmp_path / "through", [(101.0, 106.0, 100.5, 104.0), back]) == [
        entry, ("sell", "limit", 100.0, 105.0), ("sell", "stop", 100.0, 100.0)]
    # a bar opening above the target sells half at that better open
    assert _run(tmp_path / "gap", [(107.0, 108.0, 106.5, 107.5), back]) == [
        entry, ("sell", "limit", 100.0, 107.0), ("sell", "stop", 100.0, 100.0)]


class PennyLongOnce(Bot):
    """LongOnce at 1/200 of the price: a contract trading under 1 (a binary, a penny stock), stop 0.475."""

    Params = BotParams

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        sig = np.where(np.arange(len(frame)) >= 4, 1.0, 0.0)
        return pd.DataFrame({"signal": sig, "confidence": 1.0, "stop": 0.475}, index=frame.index)


def test_a_stop_exit_under_one_unit_of_price_still_rests_as_a_stop_order(tmp_path: Path) -> None:
    """Only a missing trigger (0) sends an exit at market: a trigger under 1 is still a level."""
    rows = [(o / 200, h / 200, lo / 200, c / 200) for o, h, lo, c in FLAT + [(99.0, 99.5, 94.0, 96.0)]]
    fills = _fills(tmp_path, _bars(rows), PennyLongOnce)
    assert [(side, kind, price) for side, kind, _, price in fills] == [("buy", "market", 0.5), ("sell", "stop", 0.475)]


def test_an_exit_is_a_reduce_only_order_resting_at_its_own_level_on_paper_and_at_market_elsewhere(
        tmp_path: Path) -> None:
    from tradefleet.orchestrator.domain import OrderType

    frames = {s: _bars(FLAT) for s in ("ABC", "XYZ")}
    h = Harness(tmp_path, frames, [spec("exit-orders", LongOnce, ("ABC", "XYZ"))], rejecting=frozenset({"XYZ"}), config={
        "paper": {"spread_bps": 0.0, "slippage_bps": 0.0, "fee_bps": 0.0, "max_volume_share": 0.0}})
    h.step(fire=False)
    bar = h.market.advance("ABC", 0)
    armed = h.stamps[0] - 5

    def send(instrument: str, reason: str, trigger: float) -> tuple[object, ...]:
        o = h.engine.submit_exit(ExitOrder("exit-orders", instrument, Side.SELL, Decimal(10), reason, trigger, armed), bar)
        return o.order_type, o.limit_price, o.stop_price, o.reduce_only, o.ts_init == armed, o.account

    assert send("ABC", "stop", 95.0) == (OrderType.STOP, None, Decimal("95.0"), True, True, "paper")
    assert send("ABC", "target_1", 105.0) == (OrderType.LIMIT, Decimal("105.0"), None, True, True, "paper")
    # no level (a trigger of 0, or below it): at market, now
    assert send("ABC", "trailing_stop", 0.0) == (OrderType.MARKET, None, None, True, False, "paper")
    assert send("ABC", "stop", -1.0) == (OrderType.MARKET, None, None, True, False, "paper")
    # a venue that does not match bars holds its own stops: the exit goes at market
    assert send("XYZ", "stop", 95.0) == (OrderType.MARKET, None, None, True, False, "closed")
    h.close()


def test_a_stop_exit_on_a_venue_without_native_stops_is_held_and_released_by_the_engines_bars(tmp_path: Path) -> None:
    from tradefleet.orchestrator.domain import OrderType

    frame = _bars(FLAT + [(99.0, 99.5, 94.0, 96.0), (95.0, 95.5, 93.0, 94.0), (94.0, 94.5, 93.0, 94.0)])
    h = Harness(tmp_path, {"XYZ": frame}, [spec("exit-orders", LongOnce, ("XYZ",))], config={
        "risk": {"exits": {"enabled": True, "targets_r": [1.0], "fractions": [0.5]}},
        "paper": {"spread_bps": 0.0, "slippage_bps": 0.0, "fee_bps": 0.0, "max_volume_share": 0.0}})
    h.engine.paper.native_types = frozenset({OrderType.MARKET, OrderType.LIMIT})  # a venue that holds no stops
    h.run()
    orders = [(o.side.value, o.order_type.value, float(o.quantity), o.status.value) for o in h.store.orders()]
    assert orders == [("buy", "market", 200.0, "filled"), ("sell", "stop", 200.0, "canceled"),  # held here, then
                      ("sell", "market", 200.0, "filled")]  # released at the next bar through the stop
    assert h.position("exit-orders", "XYZ") == 0
    h.close()
