"""The Strategy API v2 bots on crafted (generated) data: what they ask for, and what the
real kernel makes of it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradefleet.bots.portfolio.breakout import StopBreakoutBot
from tradefleet.bots.portfolio.pairs import SPX_NASDAQ_PAIRS, PairsTradeBot
from tradefleet.bots.portfolio.reversion import LimitReversionBot
from tradefleet.bots.portfolio.risk_parity import RiskParityBot
from tradefleet.bots.portfolio.rotation import MomentumRotationBot
from tradefleet.orchestrator.context import Ctx
from tradefleet.orchestrator.domain import AssetClass, Instrument, OrderType
from tradefleet.orchestrator.intents import OrderIntent, Target
from tradefleet.orchestrator.panel import Panel
from tests.orchestrator.intents.kit import Harness, generated_frame, spec


def _ctx(panel: Panel, positions: dict[str, Decimal] | None = None, equity: float = 100_000.0) -> Ctx:
    insts = {s: Instrument(s, AssetClass.EQUITY) for s in panel.instruments}
    return Ctx.build("bot", panel.now_ns, Decimal(repr(equity)), Decimal(repr(equity)), positions or {}, [], insts,
                     panel.last())


def _pair_frames(n: int = 140, kick: int = 100) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    b = 1000 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    spread = 0.001 * np.sin(np.arange(n) / 7)  # |z| of a sine stays under 1.5: no trade
    spread[kick:kick + 10] += 0.004  # A rich for ten bars, then back
    return {"SPX": generated_frame(b * 1.5 * np.exp(spread)), "IXIC": generated_frame(b)}


def test_pairs_enters_dollar_neutral_two_legs_when_the_spread_is_rich() -> None:
    frames = _pair_frames()
    panel = Panel.from_frames(frames, ("SPX", "IXIC")).upto(int(frames["SPX"].index.asi8[100]))
    (intent,) = PairsTradeBot().decide(panel, _ctx(panel))
    assert isinstance(intent, OrderIntent) and intent.is_multi_leg
    a, b = intent.legs
    assert (a.instrument, b.instrument) == ("SPX", "IXIC") and a.ratio < 0 < b.ratio  # sell rich SPX, buy NASDAQ
    px = panel.last()
    assert float(-a.ratio) * px["SPX"] == pytest.approx(float(b.ratio) * px["IXIC"], rel=1e-4)  # equal dollars
    assert float(intent.size) * px["SPX"] == pytest.approx(10_000.0)  # type: ignore[arg-type]


def test_pairs_stays_out_inside_the_band_and_closes_both_legs_on_reversion() -> None:
    frames = _pair_frames()
    quiet = Panel.from_frames(frames, ("SPX", "IXIC")).upto(int(frames["SPX"].index.asi8[90]))
    assert PairsTradeBot().decide(quiet, _ctx(quiet)) == []
    later = Panel.from_frames(frames, ("SPX", "IXIC")).upto(int(frames["SPX"].index.asi8[125]))
    (exit_,) = PairsTradeBot().decide(later, _ctx(later, {"SPX": Decimal(-6), "IXIC": Decimal(9)}))
    assert exit_.reduce_only and {(leg.instrument, leg.ratio) for leg in exit_.legs} == {
        ("SPX", Decimal(6)), ("IXIC", Decimal(-9))}


def test_pairs_trade_through_the_kernel_is_one_decision_and_dollar_neutral(tmp_path: Path) -> None:
    frames = _pair_frames()
    h = Harness(tmp_path, frames, [spec("pairs", PairsTradeBot, ("SPX", "IXIC"), params={"stop_z": 50.0})])
    h.run(102)
    spx, ixic = h.position("pairs", "SPX"), h.position("pairs", "IXIC")
    assert spx < 0 < ixic
    px = {s: float(f["close"].iloc[h.row]) for s, f in frames.items()}
    assert abs(spx * px["SPX"] + ixic * px["IXIC"]) <= px["IXIC"] * 1.5  # dollar-neutral within a lot
    legs = [s for s in h.store.signals(bot="pairs")]
    assert len({s.meta["intent"] for s in legs}) == 1 and {s.outcome for s in legs} == {"ordered"}
    h.run(30)
    assert h.position("pairs", "SPX") == 0 and h.position("pairs", "IXIC") == 0
    h.close()
    assert SPX_NASDAQ_PAIRS.instruments == ("SPX", "IXIC")


def _trend_frames() -> dict[str, pd.DataFrame]:
    n = 400
    t = np.arange(n, dtype=float)
    return {"UP": generated_frame(100 * np.exp(0.002 * t)), "FLAT": generated_frame(100 + np.sin(t / 5)),
            "DOWN": generated_frame(100 * np.exp(-0.001 * t))}


def test_rotation_holds_the_strongest_positive_momentum_between_month_ends() -> None:
    frames = _trend_frames()
    panel = Panel.from_frames(frames, ("UP", "FLAT", "DOWN"))
    w = MomentumRotationBot(MomentumRotationBot.Params(lookback=60, top=1, gross=0.3)).weights(panel)
    late = w.iloc[200:]
    assert (late["UP"] == 0.3).all() and (late["DOWN"] == 0).all()
    assert w.iloc[:60].isna().all().all()  # no momentum yet: no opinion
    changes = w.fillna(-1).diff().abs().sum(axis=1) > 0
    months = w.index[changes].tz_convert(None).to_period("M")
    assert len(set(months)) == len(months)  # at most one rebalance a month


def test_rotation_zeroes_an_instrument_whose_series_ended() -> None:
    frames = _trend_frames()
    frames["UP"] = frames["UP"].iloc[:300]
    panel = Panel.from_frames(frames, ("UP", "FLAT", "DOWN"))
    w = MomentumRotationBot(MomentumRotationBot.Params(lookback=60)).weights(panel)
    assert (w["UP"].iloc[310:] == 0).all()


def test_risk_parity_weights_are_inverse_to_volatility() -> None:
    rng = np.random.default_rng(3)
    n = 300
    frames = {"CALM": generated_frame(100 * np.exp(np.cumsum(rng.normal(0, 0.005, n)))),
              "WILD": generated_frame(100 * np.exp(np.cumsum(rng.normal(0, 0.010, n))))}
    panel = Panel.from_frames(frames, ("CALM", "WILD"))
    w = RiskParityBot(RiskParityBot.Params(gross=0.3, max_weight=1.0)).weights(panel).dropna()
    last = w.iloc[-1]
    assert last.sum() == pytest.approx(0.3) and last["CALM"] / last["WILD"] == pytest.approx(2.0, rel=0.25)


def test_weight_bots_trade_their_targets_through_the_kernel(tmp_path: Path) -> None:
    frames = _trend_frames()
    bot = spec("rot", MomentumRotationBot, ("UP", "FLAT", "DOWN"), params={"lookback": 60, "gross": 0.15})
    h = Harness(tmp_path, frames, [bot])
    for name, runner in h.engine.runners.items():
        runner.precompute(frames)
    h.run(250)
    eq = float(h.engine.ledger.equity())
    assert h.position("rot", "UP") * float(frames["UP"]["close"].iloc[h.row]) / eq == pytest.approx(0.15, abs=0.03)
    assert h.position("rot", "DOWN") == 0
    h.close()


def _breakout_frame() -> pd.DataFrame:
    t = np.arange(60, dtype=float)
    return generated_frame(100 + 5 * np.sin(t / 3))


def test_breakout_rests_a_stop_entry_at_the_prior_high_with_a_bracket() -> None:
    frame = _breakout_frame()
    panel = Panel.from_frames({"X": frame}).upto(int(frame.index.asi8[40]))
    (intent,) = StopBreakoutBot().decide(panel, _ctx(panel))
    high = float(frame["high"].iloc[21:41].max())
    assert intent.order_type is OrderType.STOP and float(intent.stop) == pytest.approx(round(high, 2) + 0.01)  # type: ignore[arg-type]
    assert intent.bracket is not None and intent.bracket.stop_loss < intent.stop < intent.bracket.take_profit  # type: ignore[operator]
    assert intent.replaces is None  # nothing working yet
    from tradefleet.orchestrator.domain import Order, Side

    resting = Order("c1", "bot", "X", Side.BUY, Decimal(10), 0, OrderType.STOP, stop_price=intent.stop)
    moved = Order("c2", "bot", "X", Side.BUY, Decimal(10), 0, OrderType.STOP, stop_price=intent.stop + 1)  # type: ignore[operator]
    insts = {"X": Instrument("X", AssetClass.EQUITY)}
    same = Ctx.build("bot", panel.now_ns, Decimal(100_000), Decimal(100_000), {}, [resting], insts, panel.last(),
                     {"c1": "bo-old"})
    assert StopBreakoutBot().decide(panel, same) == []  # the trigger already rests where it should
    other = Ctx.build("bot", panel.now_ns, Decimal(100_000), Decimal(100_000), {}, [moved], insts, panel.last(),
                      {"c2": "bo-old"})
    (again,) = StopBreakoutBot().decide(panel, other)
    assert again.replaces == "bo-old"  # the old trigger is canceled when the new one is sent
    held = _ctx(panel, {"X": Decimal(5)})
    assert StopBreakoutBot().decide(panel, held) == []  # in a position: the bracket manages the exit


def test_reversion_rests_a_limit_under_the_close_with_take_profit_at_the_mean() -> None:
    c = np.r_[np.full(40, 100.0), [96.0, 93.0, 90.0]]
    frame = generated_frame(c + np.sin(np.arange(len(c))) * 0.3)
    panel = Panel.from_frames({"X": frame})
    (intent,) = LimitReversionBot().decide(panel, _ctx(panel))
    close = float(frame["close"].iloc[-1])
    assert intent.order_type is OrderType.LIMIT and float(intent.limit) < close  # type: ignore[arg-type]
    assert intent.bracket is not None and float(intent.bracket.take_profit) > close  # type: ignore[arg-type]
    calm = Panel.from_frames({"X": frame}).upto(int(frame.index.asi8[39]))
    assert LimitReversionBot().decide(calm, _ctx(calm)) == []
    assert Target  # the weight bots' intent type, for the reader


def test_breakout_enters_at_its_stop_never_better_and_exits_by_its_bracket(tmp_path: Path) -> None:
    t = np.arange(80, dtype=float)
    c = np.r_[100 + np.sin(t[:40] / 2), 101 + 1.0 * np.arange(15), 115 - 2.0 * np.arange(25)]
    h = Harness(tmp_path, {"X": generated_frame(c)}, [spec("bo", StopBreakoutBot, ("X",))])
    h.run(79)
    orders = {o.client_order_id: o for o in h.store.orders()}
    fills = h.store.fills()
    assert len(fills) >= 4 and h.position("bo", "X") == 0
    entries = [f for f in fills if orders[f.client_order_id].order_type is OrderType.STOP
               and orders[f.client_order_id].parent_id is None]
    exits = [f for f in fills if orders[f.client_order_id].parent_id is not None]
    assert entries and len(exits) == len(entries)  # every entry closed by its take-profit or its stop
    for f in entries:
        assert f.price >= orders[f.client_order_id].stop_price  # type: ignore[operator]  # a buy stop: never better
    for f in exits:
        o = orders[f.client_order_id]
        if o.order_type is OrderType.STOP:
            assert f.price <= o.stop_price  # type: ignore[operator]  # a sell stop: never better
        else:
            assert f.price >= o.limit_price  # type: ignore[operator]
    h.close()


def test_reversion_limit_fills_only_on_a_trade_through_and_takes_profit_at_the_mean(tmp_path: Path) -> None:
    c = np.r_[np.full(40, 100.0) + np.sin(np.arange(40)) * 0.3, [96.0, 93.0, 90.0, 88.0], np.linspace(88, 101, 12)]
    h = Harness(tmp_path, {"X": generated_frame(c)}, [spec("mr", LimitReversionBot, ("X",))])
    h.run(len(c) - 1)
    orders = {o.client_order_id: o for o in h.store.orders()}
    fills = h.store.fills()
    entries = [f for f in fills if orders[f.client_order_id].parent_id is None]
    assert entries
    bars = generated_frame(c)
    for f in entries:
        o = orders[f.client_order_id]
        assert o.order_type is OrderType.LIMIT and f.price <= o.limit_price  # type: ignore[operator]
        low = float(bars["low"][bars.index.asi8 == f.ts_event].iloc[0])
        assert low < float(o.limit_price)  # type: ignore[arg-type]  # the bar traded through it
    assert any(orders[f.client_order_id].order_type is OrderType.LIMIT and orders[f.client_order_id].parent_id
               for f in fills)  # the take-profit filled
    assert h.position("mr", "X") == 0
    h.close()


def test_a_decide_bot_asks_the_same_from_the_preloaded_history_as_from_the_live_window(tmp_path: Path) -> None:
    """Replay hands a decide bot a view of its preloaded panel; live builds the panel from
    the data hub's window. Same orders either way."""
    frames = _pair_frames()
    out = []
    for k, pre in enumerate((False, True)):
        (tmp_path / str(k)).mkdir()
        h = Harness(tmp_path / str(k), frames, [spec("pairs", PairsTradeBot, ("SPX", "IXIC"), params={"stop_z": 50.0})])
        if pre:
            for runner in h.engine.runners.values():
                runner.precompute(frames)
            assert runner.panel is not None
        h.run(130)
        out.append([(o.ts_init, o.instrument, o.side, o.quantity) for o in h.store.orders()])
        h.close()
    assert out[0] == out[1] and len(out[0]) >= 4


def test_pairs_last_z_equals_the_vectorized_z() -> None:
    frames = _pair_frames()
    panel = Panel.from_frames(frames, ("SPX", "IXIC"))
    bot = PairsTradeBot()
    z = bot.zscores(panel)
    for k in (70, 100, 105, 139):
        assert bot.last_z(panel.upto(int(panel.ts[k]))) == pytest.approx(z[k], rel=1e-9, abs=1e-9)
