"""The Strategy API v2 types: intents, panel, context, universe."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.context import Ctx
from tradefleet.orchestrator.domain import AssetClass, Instrument, Order, OrderType, Side
from tradefleet.orchestrator.errors import DataError, PluginError
from tradefleet.orchestrator.intents import (Atomic, Bracket, Cancel, OrderIntent, Quote, QuoteLevel, Target, TargetKind,
                                  intent_id)
from tradefleet.orchestrator.panel import Panel
from tradefleet.orchestrator.universe import Universe, UniverseState


def _frame(days: list[str], start: float) -> pd.DataFrame:
    idx = pd.DatetimeIndex(pd.to_datetime(days), name="ts").tz_localize("UTC").as_unit("ns")
    c = start + np.arange(len(days), dtype=float)
    return pd.DataFrame({"open": c - 0.5, "high": c + 1, "low": c - 1, "close": c, "volume": 100.0}, index=idx)


def test_target_kinds_and_validation() -> None:
    t = Target.weights({"B": 0.5, "A": -0.25}, tolerance=0.01)
    assert t.kind is TargetKind.WEIGHTS and t.values == (("A", -0.25), ("B", 0.5))
    assert Target.quantities({"A": 3}).as_dict() == {"A": 3.0}
    with pytest.raises(ValueError, match="conviction"):
        Target.conviction({"A": 1.5})
    with pytest.raises(ValueError, match="finite"):
        Target.weights({"A": float("nan")})
    with pytest.raises(ValueError, match="tolerance"):
        Target.weights({"A": 0.1}, tolerance=-1)


def test_order_intent_types_need_their_prices() -> None:
    OrderIntent.single("SPX", "buy", order_type=OrderType.LIMIT, limit=100.0)
    with pytest.raises(ValueError, match="limit price"):
        OrderIntent.single("SPX", "buy", order_type=OrderType.LIMIT)
    with pytest.raises(ValueError, match="stop price"):
        OrderIntent.single("SPX", "sell", order_type=OrderType("stop"))
    with pytest.raises(ValueError, match="post_only"):
        OrderIntent.single("SPX", "buy", post_only=True)
    with pytest.raises(ValueError, match="cap"):
        OrderIntent.single("SPX", "buy", size=0)
    with pytest.raises(ValueError, match="bracket"):
        OrderIntent.combo({"A": 1, "B": -1}, bracket=Bracket(take_profit=2))
    with pytest.raises(ValueError, match="twice"):
        OrderIntent((OrderIntent.single("A", "buy").legs[0],) * 2)


def test_multi_leg_intent_keeps_ratios_and_allows_a_credit_limit() -> None:
    o = OrderIntent.combo({"SPX": 1, "IXIC": -2.5}, order_type=OrderType.LIMIT, limit=-3, size=4)
    assert o.is_multi_leg and o.atomic is Atomic.ALL_OR_NONE
    assert [(leg.instrument, leg.ratio, leg.side) for leg in o.legs] == [
        ("SPX", Decimal(1), Side.BUY), ("IXIC", Decimal("-2.5"), Side.SELL)]
    assert o.size == Decimal(4) and o.limit == Decimal(-3)


def test_quote_rejects_crossed_levels_and_bad_sizes() -> None:
    q = Quote("KX", bids=[(Decimal("0.40"), 10)], asks=[QuoteLevel(Decimal("0.45"), Decimal(5))], max_inventory=20)
    assert q.bids[0].size == Decimal(10) and q.max_inventory == Decimal(20)
    with pytest.raises(ValueError, match="crossed"):
        Quote("KX", bids=[(0.5, 1)], asks=[(0.5, 1)])
    with pytest.raises(ValueError, match="size"):
        Quote("KX", bids=[(0.5, 0)])
    with pytest.raises(ValueError, match="no levels"):
        Quote("KX")


def test_intent_ids_are_deterministic_and_explicit_ids_win() -> None:
    t = Target.weights({"A": 0.5})
    assert intent_id("bot", 5, 0, t) == intent_id("bot", 5, 0, Target.weights({"A": 0.5}))
    assert intent_id("bot", 5, 0, t) != intent_id("bot", 6, 0, t)
    assert intent_id("bot", 5, 0, Cancel("x")) != intent_id("bot", 5, 1, Cancel("x"))
    assert intent_id("bot", 5, 0, OrderIntent.single("A", "buy", id="mine")) == "mine"


def test_panel_aligns_on_one_clock_with_missing_bars_explicit() -> None:
    a = _frame(["2024-01-02", "2024-01-03", "2024-01-04"], 10)
    b = _frame(["2024-01-02", "2024-01-04", "2024-01-05"], 20)
    p = Panel.from_frames({"A": a, "B": b})
    assert len(p) == 4 and p.instruments == ("A", "B")
    assert p.present.tolist() == [[True, True], [True, False], [True, True], [False, True]]
    assert np.isnan(p.close.loc["2024-01-03", "B"]) and np.isnan(p.close.loc["2024-01-05", "A"])
    pd.testing.assert_frame_equal(p.frame("A"), a, check_freq=False, check_names=False)
    pd.testing.assert_frame_equal(p.frame("B"), b, check_freq=False, check_names=False)
    assert p.last() == {"A": 12.0, "B": 22.0}
    with pytest.raises(DataError, match="not in the universe"):
        p.frame("C")


def test_panel_is_point_in_time() -> None:
    a = _frame(["2024-01-02", "2024-01-03", "2024-01-04"], 10)
    cut = int(pd.Timestamp("2024-01-03", tz="UTC").value)
    p = Panel.from_frames({"A": a}, until_ns=cut)
    assert len(p) == 2 and p.last() == {"A": 11.0}
    full = Panel.from_frames({"A": a})
    assert full.upto(cut).last() == {"A": 11.0} and len(full.tail(1)) == 1


def test_panel_window_holds_each_instruments_own_last_bars_like_the_hubs_arrays() -> None:
    a = _frame(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"], 10)
    b = _frame(["2024-01-02", "2024-01-04", "2024-01-05"], 20)
    c = _frame(["2024-01-03"], 30)  # widens the clock only
    p = Panel.from_frames({"A": a, "B": b, "C": c})
    cut = int(pd.Timestamp("2024-01-04", tz="UTC").value)
    w = p.window(cut, 2, ("A", "B"))
    # A's last two bars (01-03, 01-04) and B's (01-02, 01-04): three rows, each instrument two bars
    assert w.instruments == ("A", "B") and w.present.tolist() == [[False, True], [True, False], [True, True]]
    assert w.last() == {"A": 12.0, "B": 21.0}
    ref = Panel.from_frames({"A": a.iloc[1:3], "B": b.iloc[:2]}, ("A", "B"))  # the hub's two-bar windows, aligned
    assert w.ts.tolist() == ref.ts.tolist() and w.present.tolist() == ref.present.tolist()
    assert np.array_equal(w.values["close"], ref.values["close"], equal_nan=True)
    even = p.window(int(pd.Timestamp("2024-01-05", tz="UTC").value), 2, ("A", "B"))  # both printed on 01-04 and 01-05
    assert even.present.all() and even.ts.tolist() == p.ts[-2:].tolist()
    assert len(p.window(cut, 0, ("A",))) == 0 and len(p.window(cut, None, ("A",))) == 3


def test_ctx_is_read_only_and_nets_pending_orders() -> None:
    order = Order("o1", "bot", "SPX", Side.SELL, Decimal(2), 0)
    ctx = Ctx.build("bot", 1, Decimal(1000), Decimal(500), {"SPX": Decimal(5)}, [order],
                    {"SPX": Instrument("SPX", AssetClass.INDEX)}, {"SPX": 100.0})
    assert ctx.position("SPX") == 5 and ctx.pending("SPX") == -2 and ctx.position("X") == 0
    assert ctx.weight("SPX") == pytest.approx(0.5)
    own = Ctx.build("bot", 1, Decimal(1000), Decimal(500), {"SPX": Decimal(5)}, [], {}, {"SPX": 100.0},
                    capital=Decimal(250))
    assert own.weight("SPX") == pytest.approx(2.0)  # of the bot's capital (its budget), as target weights are
    opt = Ctx.build("bot", 1, Decimal(1000), Decimal(500), {"C": Decimal(-2)}, [],
                    {"C": Instrument("C", AssetClass.EQUITY, multiplier=Decimal(100))}, {"C": 1.5}, capital=Decimal(600))
    assert opt.notional("C") == pytest.approx(-300.0) and opt.weight("C") == pytest.approx(-0.5)  # x the multiplier
    assert ctx.spec("SPX") is not None and ctx.spec("SPX").lot_size == 1  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        ctx.positions["SPX"] = Decimal(1)  # type: ignore[index]
    with pytest.raises(AttributeError):
        ctx.equity = Decimal(0)  # type: ignore[misc]


class _Data:
    def __init__(self) -> None:
        self.calls = 0

    def symbols(self) -> list[str]:
        return ["A", "B", "C"]

    def frame(self, symbol: str, bars: int | None = None) -> pd.DataFrame:
        raise AssertionError("not used")


def test_universe_selector_is_re_evaluated_on_its_schedule() -> None:
    seen: list[int] = []

    def pick(pool: list[str], data: object, now_ns: int) -> list[str]:
        seen.append(now_ns)
        return pool[:2] if len(seen) % 2 else pool[1:]

    day = 86_400 * 10**9
    state = UniverseState(Universe.select(pick, every="7d", candidates="*"), ("A",))
    data = _Data()
    assert state.current(data, 0) == ("A", "B")  # type: ignore[arg-type]
    assert state.current(data, 6 * day) == ("A", "B")  # type: ignore[arg-type]
    assert state.current(data, 7 * day) == ("B", "C")  # type: ignore[arg-type]
    assert seen == [0, 7 * day]
    static = UniverseState(Universe.static(["X", "Y"]), ("X",))
    assert static.current(data, 0) == ("X", "Y")  # type: ignore[arg-type]


def test_universe_selector_may_not_invent_instruments() -> None:
    state = UniverseState(Universe.select(lambda pool, d, t: ["Z"]), ("A", "B"))
    with pytest.raises(PluginError, match="outside its candidates"):
        state.current(_Data(), 0)  # type: ignore[arg-type]


def test_portfolio_bot_default_decide_reads_the_last_weights_row() -> None:
    from tradefleet.orchestrator.bot import PortfolioBot

    class Half(PortfolioBot):
        def weights(self, panel: Panel) -> pd.DataFrame:
            w = panel.close * 0 + 0.5
            w.iloc[:1] = np.nan
            return w

    a = _frame(["2024-01-02", "2024-01-03"], 10)
    p = Panel.from_frames({"A": a, "B": a})
    ctx = Ctx.build("half", p.now_ns, Decimal(1), Decimal(1), {}, [], {}, {})
    assert Half().decide(p, ctx) == [Target.weights({"A": 0.5, "B": 0.5})]
    assert Half().decide(p.tail(2).upto(p.ts[0]), ctx) == []
    assert Half.portfolio and not Half.supports_backtest
