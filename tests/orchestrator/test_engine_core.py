"""The engine loop (``tradefleet.orchestrator.engine.Engine``) through the real paper kernel on a
SimClock: stored control (pause, halt, resume news for the risk gate), operator force exits,
faulty bots, signals to orders, fills to the books, and the equity snapshot. Bars are generated
(synthetic) daily bars."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.bot import Bot, BotParams, PortfolioBot
from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.context import Ctx
from tradefleet.orchestrator.domain import Direction, Side
from tradefleet.orchestrator.panel import Panel
from tradefleet.orchestrator.store import Store
from tradefleet.orchestrator.store.records import FLEET, bot_scope

from tests.orchestrator.intents.kit import Harness, generated_frame, spec

PAPER = {"paper": {"spread_bps": 0.0, "slippage_bps": 0.0, "fee_bps": 0.0, "max_volume_share": 0.0}}


class LongFrom(Bot):
    """Long from the third bar on (stop 10 % below); flat from the bar ``FLAT_AT`` on."""

    Params = BotParams
    FLAT_AT: ClassVar[int] = 10_000
    SIDE: ClassVar[float] = 1.0
    family: ClassVar[str] = "trend"

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        i = np.arange(len(frame))
        sig = np.where((i >= 2) & (i < self.FLAT_AT), self.SIDE, 0.0)
        stop = frame["close"] * (1.0 - 0.1 * self.SIDE)
        return pd.DataFrame({"signal": sig, "confidence": 1.0, "stop": stop}, index=frame.index)


class LongThenFlat(LongFrom):
    FLAT_AT: ClassVar[int] = 5


def _frames(n: int = 10) -> dict[str, pd.DataFrame]:
    return {"ABC": generated_frame(50 + np.arange(n, dtype=float)), "XYZ": generated_frame(100 + np.arange(n, dtype=float))}


def _two_bots(tmp: Path, n: int = 10) -> Harness:
    return Harness(tmp, _frames(n), [spec("a", LongFrom, ("XYZ",)), spec("b", LongFrom, ("ABC",))], config=PAPER)


def test_a_paused_bot_is_skipped_while_the_rest_trades_and_a_fleet_pause_skips_all(tmp_path: Path) -> None:
    h = _two_bots(tmp_path)
    h.store.set_control(bot_scope("a"), paused=True, reason="ops", actor="me", ts_ns=1)
    h.store.set_control(bot_scope("ghost"), paused=True, reason="ops", actor="me", ts_ns=1)  # not a runner here
    c = h.engine.reload_control()
    assert c.paused_bots == frozenset({"a"}) and not c.fleet_paused and not c.halted and c.halt_reason == ""
    h.run(4)
    a, b = h.engine.runners["a"], h.engine.runners["b"]
    assert a.stats.skipped_paused == 4 and a.stats.signals == 0 and h.position("a", "XYZ") == 0
    assert b.stats.skipped_paused == 0 and h.position("b", "ABC") > 0
    h.store.set_control(FLEET, paused=True, reason="ops", actor="me", ts_ns=2)
    assert h.engine.reload_control().fleet_paused
    signals = b.stats.signals
    h.run(2)
    assert b.stats.skipped_paused == 2 and b.stats.signals == signals and a.stats.skipped_paused == 6
    h.close()


def test_a_fleet_halt_reaches_the_gate_with_its_reason_and_is_not_a_pause(tmp_path: Path) -> None:
    h = _two_bots(tmp_path)
    h.store.set_control(FLEET, halted=True, reason="breaker tripped", actor="risk", ts_ns=1)
    c = h.engine.reload_control()
    assert c.halted and c.halt_reason == "breaker tripped" and not c.fleet_paused and c.paused_bots == frozenset()
    h.run(4)
    b = h.engine.runners["b"]
    assert b.stats.skipped_paused == 0 and b.stats.signals > 0 and b.stats.rejected == b.stats.signals
    assert b.stats.orders == 0 and h.position("b", "ABC") == 0 and h.store.orders() == []
    sig = h.store.signals("b")[-1]
    assert sig.outcome.startswith("rejected")
    assert any("breaker tripped" in (d.reason + d.detail) for d in h.store.decisions(sig.signal_id))
    h.store.set_control(FLEET, halted=False, reason="cleared", actor="risk", ts_ns=2)
    c = h.engine.reload_control()
    assert not c.halted and c.halt_reason == ""
    h.close()


def test_only_control_rows_changed_since_the_last_engine_poll_reach_the_risk_gate(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/control.db")
    store.set_control(bot_scope("a"), paused=True, reason="before start", actor="me", ts_ns=1)
    h = Harness(tmp_path, _frames(), [spec("a", LongFrom, ("XYZ",)), spec("b", LongFrom, ("ABC",))], config=PAPER,
                store=store)  # the kernel's assembly takes the first reload: the baseline
    assert h.engine.control.paused_bots == frozenset({"a"})
    calls: list[tuple[list[tuple[str, bool]], int]] = []
    risk = h.engine.pipeline.risk
    risk.on_control = lambda changes, now: calls.append(([(c.scope, c.paused) for c in changes], now))
    h.engine.reload_control()
    assert calls == []  # rows written before the start are no news, and nothing changed since
    h.clock.set_ns(h.stamps[0] + 7)
    h.store.set_control(bot_scope("a"), paused=False, reason="resume", actor="me", ts_ns=2)
    h.engine.reload_control()
    assert calls == [([(bot_scope("a"), False)], h.stamps[0] + 7)]
    h.store.set_control(bot_scope("b"), paused=True, reason="bus", actor="me", ts_ns=3)
    assert h.engine.reload_control(notify=False).paused_bots == frozenset({"b"})  # the pause itself applies at once
    assert len(calls) == 1  # ... but the gate hears of it at the engine's own next poll
    h.engine.reload_control()
    assert calls[-1][0] == [(bot_scope("b"), True)] and len(calls) == 2
    h.close()


def _next_bar(h: Harness, sym: str) -> Any:
    ts = h.stamps[h.row + 1]
    h.clock.set_ns(ts)
    f = h.frames[sym]
    return h.market.advance(sym, int(np.searchsorted(f.index.asi8, ts)))


def test_a_force_exit_closes_the_bots_position_at_its_instruments_next_bar_and_marks_the_request_done(
        tmp_path: Path) -> None:
    h = _two_bots(tmp_path)
    h.engine.reload_control()
    h.run(4)
    held = h.engine.ledger.position("a", "XYZ").quantity
    assert held > 0 and h.position("b", "ABC") > 0
    for scope in ("exit:a:XYZ", "exit:ghost:XYZ", "exit:b:XYZ"):  # b holds no XYZ; ghost is no runner
        h.store.set_control(scope, paused=True, reason="flatten", actor="ops", ts_ns=1)
    c = h.engine.reload_control()
    assert sorted(c.exits) == [("a", "XYZ", "flatten", "ops"), ("b", "XYZ", "flatten", "ops")]
    orders = len(h.store.orders())
    h.engine.on_bar(_next_bar(h, "ABC"))  # another instrument's bar: the requests wait
    assert len(h.store.orders()) == orders and h.store.control("exit:a:XYZ").paused
    assert len(h.engine.control.exits) == 2
    h.engine.on_bar(_next_bar(h, "XYZ"))
    h.row += 1
    new = h.store.orders()[orders:]
    assert [(o.bot, o.instrument, o.side.value, o.quantity, o.reduce_only) for o in new] == [
        ("a", "XYZ", "sell", held, True)]
    done = h.store.control("exit:a:XYZ")
    assert not done.paused and done.reason == f"exit sent: {new[0].client_order_id}" and done.actor == "engine"
    nothing = h.store.control("exit:b:XYZ")
    assert not nothing.paused and nothing.reason == "nothing to close"
    assert h.store.control("exit:ghost:XYZ").paused  # not this engine's bot: left for its own engine
    assert h.engine.control.exits == ()
    sig = [s for s in h.store.signals("a") if s.signal_id == new[0].signal_id][0]
    assert any("flatten (by ops)" in d.detail for d in h.store.decisions(sig.signal_id))
    h.step(fire=False)
    assert h.position("a", "XYZ") == 0 and h.position("b", "ABC") > 0
    h.close()


class Raises(PortfolioBot):
    """Raises on its first decision (a multi-line message), or returns what is no intent."""

    calls: ClassVar[int] = 0
    bad: ClassVar[Any] = None

    def decide(self, panel: Panel, ctx: Ctx) -> list[Any]:
        Raises.calls += 1
        if Raises.bad is not None:
            return [Raises.bad]
        raise ValueError("bad\n   data  here")


def test_a_bot_that_raises_is_faulted_stored_alerted_and_never_fired_again(tmp_path: Path) -> None:
    Raises.calls, Raises.bad = 0, None
    h = Harness(tmp_path, _frames(), [spec("r", Raises, ("ABC", "XYZ")), spec("b", LongFrom, ("ABC",))], config=PAPER)
    alerts: list[Any] = []
    h.engine.services.bus.subscribe(Topic.ALERTS, lambda _t, a: alerts.append(a))
    h.run(1)
    r = h.engine.runners["r"]
    assert r.fault == "ValueError: bad data here" and r.stats.faults == 1 and Raises.calls == 1
    rec = [x for x in h.store.bots() if x.name == "r"][0]
    assert rec.status == "faulted" and rec.error == "ValueError: bad data here"
    assert [(a.kind, a.message) for a in alerts] == [("bot_faulted", "r: ValueError: bad data here")]
    h.run(4)
    assert Raises.calls == 1 and r.stats.faults == 1 and h.position("b", "ABC") > 0  # the fleet kept running
    h.close()


def test_a_bot_returning_what_is_no_intent_is_faulted(tmp_path: Path) -> None:
    Raises.calls, Raises.bad = 0, object()
    h = Harness(tmp_path, _frames(), [spec("r", Raises, ("ABC", "XYZ"))], config=PAPER)
    h.run(2)
    r = h.engine.runners["r"]
    assert r.fault and r.stats.faults == 1 and Raises.calls == 1
    h.close()
    Raises.bad = None


def test_signals_become_market_orders_and_a_closing_fill_books_one_trade_result(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("t", LongThenFlat, ("XYZ",))], config=PAPER)
    h.run(8)
    orders = h.store.orders()
    assert [(o.side.value, o.order_type.value, o.reduce_only, o.account) for o in orders] == [
        ("buy", "market", False, "paper"), ("sell", "market", True, "paper")]
    assert orders[0].quantity == orders[1].quantity
    runner = h.engine.runners["t"]
    assert runner.stats.orders == 2 and runner.stats.rejected == 0
    assert h.engine.fills == 2 and h.engine.fills_by_bot == {"t": 2}
    pos = h.engine.ledger.position("t", "XYZ")
    assert pos.quantity == 0 and pos.realized_pnl > 0  # bought lower, sold higher (rising generated closes)
    assert h.engine.trade_results == {"t": [pos.realized_pnl]}
    h.close()


def test_the_fleet_of_a_bot_is_its_family_else_default_and_the_snapshot_stores_equity(tmp_path: Path) -> None:
    h = _two_bots(tmp_path)
    assert h.engine.fleet_of("a") == "trend" and h.engine.fleet_of("nobody") == "default"
    h.run(4)
    cash, value, equity = h.engine.snapshot_equity(h.stamps[3])
    assert value > 0 and equity == cash + value
    assert value == h.engine.ledger.positions_value() and cash == h.engine.ledger.cash()
    point = h.store.equity_curve("paper")[-1]
    assert (point.ts_ns, point.cash, point.positions_value, point.equity) == (h.stamps[3], cash, value, equity)
    report = h.engine.capital_report()
    marks = {"a": ("XYZ", h.position("a", "XYZ")), "b": ("ABC", h.position("b", "ABC"))}
    gross = {bot: abs(q) * h.market.last_close(sym) / float(equity) for bot, (sym, q) in marks.items()}
    assert report["samples"] == 1
    for bot in ("a", "b"):  # every signal of these bots is a long entry
        assert report["bots"][bot]["entry_signals"] == h.engine.runners[bot].stats.signals > 0
    for bot, g in gross.items():  # each bot's held notional (quantity times its mark) over equity
        assert abs(report["bots"][bot]["avg_gross_of_equity"] - g) < 1e-6
    assert abs(report["fleets"]["trend"] - sum(gross.values())) < 1e-6
    h.close()


def test_a_force_exit_of_a_one_unit_long_sells_it(tmp_path: Path) -> None:
    frames = {"XYZ": generated_frame(10_000 + np.arange(8, dtype=float))}  # sized to one unit
    h = Harness(tmp_path, frames, [spec("a", LongFrom, ("XYZ",))], config=PAPER)
    h.run(4)
    assert h.position("a", "XYZ") == 1
    h.store.set_control("exit:a:XYZ", paused=True, reason="flatten", actor="ops", ts_ns=1)
    h.engine.reload_control()
    h.step(fire=False)
    last = h.store.orders()[-1]
    assert (last.side.value, last.quantity, last.reduce_only) == ("sell", 1, True)
    h.step(fire=False)
    assert h.position("a", "XYZ") == 0
    pos = h.engine.ledger.position("a", "XYZ")
    assert pos.realized_pnl > 0 and h.engine.trade_results == {"a": [pos.realized_pnl]}  # closing one unit is a trade
    h.close()


def test_a_resolved_binary_closes_every_bots_position_in_that_contract_only(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("a", LongFrom, ("XYZ",)), spec("b", LongFrom, ("ABC",)),
                                      spec("c", LongFrom, ("XYZ",))], config=PAPER)
    h.run(4)
    held = {bot: h.engine.ledger.position(bot, "XYZ").quantity for bot in ("a", "c")}
    assert all(q > 0 for q in held.values()) and h.position("b", "ABC") > 0
    orders = h.engine.settle("XYZ", True, h.stamps[4])
    assert sorted((o.bot, o.instrument, o.side.value, o.quantity, o.reduce_only) for o in orders) == [
        ("a", "XYZ", "sell", held["a"], True), ("c", "XYZ", "sell", held["c"], True)]
    for o in orders:  # stored at the resolved price, with the outcome as the reason
        sig = [x for x in h.store.signals(o.bot) if x.signal_id == o.signal_id][0]
        assert sig.entry == 1.0 and sig.meta["settlement"] == 1.0
        assert [d.detail for d in h.store.decisions(sig.signal_id)] == ["yes"]
    h.close()


def test_an_exercise_is_booked_only_for_an_instrument_this_paper_account_trades(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("a", LongFrom, ("ABC", "XYZ"))], config=PAPER, rejecting=frozenset({"XYZ"}))
    h.run(1)
    assert h.engine.book_settlement("a", "XYZ", Side.BUY, Decimal(5), Decimal(100), "exercise", "call",
                                    {}, reduces=False) is None  # routed to another venue: it reports its own
    order = h.engine.book_settlement("a", "ABC", Side.BUY, Decimal(5), Decimal(50), "exercise", "call", {},
                                     reduces=False)
    assert order is not None and order.client_order_id in h.engine.settlements
    assert (order.side, order.quantity, order.reduce_only, order.account) == (Side.BUY, Decimal(5), False, "paper")
    sig = [x for x in h.store.signals("a") if x.signal_id == order.signal_id][0]
    assert sig.direction is Direction.LONG and sig.meta["settlement"] == "exercise"  # opens: the side's direction
    assert sig.confidence == 1.0 and sig.entry == 50.0
    closing = h.engine.book_settlement("a", "ABC", Side.SELL, Decimal(5), Decimal(50), "expiry", "call", {})
    assert closing is not None and closing.reduce_only
    assert [x for x in h.store.signals("a") if x.signal_id == closing.signal_id][0].direction is Direction.FLAT
    h.close()


def test_each_force_exit_request_waits_for_its_own_instruments_bar(tmp_path: Path) -> None:
    h = _two_bots(tmp_path)
    h.run(4)
    for scope in ("exit:a:ABC", "exit:a:XYZ"):  # a holds no ABC
        h.store.set_control(scope, paused=True, reason="flatten", actor="ops", ts_ns=1)
    h.engine.reload_control()
    h.engine.on_bar(_next_bar(h, "XYZ"))
    assert h.engine.control.exits == (("a", "ABC", "flatten", "ops"),)
    h.engine.on_bar(_next_bar(h, "ABC"))
    assert h.store.control("exit:a:ABC").reason == "nothing to close" and h.engine.control.exits == ()
    h.close()


class FromFirstRow(PortfolioBot):
    """Holds 10 % of A from the very first row of its weights."""

    def weights(self, panel: Panel) -> pd.DataFrame:
        return pd.DataFrame({"A": np.full(len(panel), 0.1)}, index=panel.index)


def test_precomputed_weights_apply_from_their_first_row_and_never_before_it(tmp_path: Path) -> None:
    frames = {"A": generated_frame(100 + np.arange(6, dtype=float))}
    h = Harness(tmp_path / "first", frames, [spec("w", FromFirstRow, ("A",))], config=PAPER)
    h.engine.runners["w"].precompute(frames)  # as the replay does: the weights table over the whole history
    assert h.engine.runners["w"].weights is not None
    h.step()  # the first bar closes: its row is due
    assert [(o.instrument, o.side.value) for o in h.store.orders()] == [("A", "buy")]
    h.run(3)  # a held member of the universe is kept, never closed as if it had left it
    weight = h.position("w", "A") * h.market.last_close("A") / float(h.engine.ledger.equity())
    assert abs(weight - 0.1) < 0.01
    h.close()
    early = Harness(tmp_path / "early", frames, [spec("w", FromFirstRow, ("A",))], config=PAPER)
    early.engine.runners["w"].precompute(frames)
    early.engine.on_fire("w", early.stamps[0] - 1)  # before any row: nothing to hold yet (no look-ahead)
    early.step(fire=False)
    early.step(fire=False)
    assert early.store.orders() == []
    early.close()


class WeightsButDecides(FromFirstRow):
    """Has weights, but its own ``decide`` (holding nothing) is what it means."""

    def decide(self, panel: Panel, ctx: Ctx) -> list[Any]:
        return []


def test_a_bot_with_its_own_decide_is_asked_even_when_it_has_a_weights_table(tmp_path: Path) -> None:
    frames = {"A": generated_frame(100 + np.arange(6, dtype=float))}
    h = Harness(tmp_path, frames, [spec("d", WeightsButDecides, ("A",))], config=PAPER)
    h.engine.runners["d"].precompute(frames)
    h.run(3)
    assert h.store.orders() == [] and h.engine.runners["d"].stats.evaluations == 3
    h.close()


class TwapLongThenFlat(Bot):
    """Long from the sixth bar, flat from the tenth (a crafted entry worked as TWAP, then an exit)."""

    Params = BotParams

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        i = np.arange(len(frame))
        return pd.DataFrame({"signal": np.where((i >= 5) & (i < 9), 1.0, 0.0), "confidence": 1.0}, index=frame.index)


def test_an_exit_stops_the_working_entry_and_cancels_its_child_still_open(tmp_path: Path) -> None:
    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.orchestrator.domain import AssetClass
    from tests.orchestrator.execution.test_exec_engine import MINUTE, TWAP, generated_minutes

    spec_ = BotSpec("exec-bot", TwapLongThenFlat, ("XYZ",), MINUTE, "1m", AssetClass.EQUITY)
    h = Harness(tmp_path, {"XYZ": generated_minutes(20)}, [spec_], config={
        "execution": TWAP, "risk": {"exits": {"enabled": False}, "position_pct": 0.5, "max_position_pct": 0.5},
        "engine": {"starting_cash": 1_000_000.0}}, stages=["basic-risk"])
    h.run(14)
    kids = [o for o in h.store.orders() if "." in o.client_order_id]
    assert len(kids) >= 3 and any(o.status.value == "canceled" for o in kids)  # the child sent at the exit's bar
    assert h.position("exec-bot", "XYZ") == 0 and h.store.open_orders("exec-bot") == []
    h.close()


class ShortFrom(LongFrom):
    """Short from the third bar on (stop 10 % above); flat from the bar ``FLAT_AT`` on."""

    SIDE: ClassVar[float] = -1.0


class ShortThenFlat(ShortFrom):
    FLAT_AT: ClassVar[int] = 5


def test_a_short_entry_is_a_plain_sell_counted_as_an_entry_and_its_cover_books_one_trade_result(
        tmp_path: Path) -> None:
    frames = {"XYZ": generated_frame(100 - np.arange(10, dtype=float)),  # generated falling closes
              "ABC": generated_frame(50 + np.arange(10, dtype=float))}
    h = Harness(tmp_path, frames, [spec("s", ShortThenFlat, ("XYZ",)), spec("t", LongThenFlat, ("ABC",))],
                config=PAPER)
    h.run(8)
    orders = [o for o in h.store.orders() if o.bot == "s"]
    assert [(o.side.value, o.reduce_only) for o in orders] == [("sell", False), ("buy", True)]
    assert [s.direction for s in h.store.signals("s")] == [Direction.SHORT, Direction.FLAT]
    pos = h.engine.ledger.position("s", "XYZ")
    assert pos.quantity == 0 and pos.realized_pnl > 0  # sold higher, bought back lower
    assert h.engine.trade_results["s"] == [pos.realized_pnl]
    bots = h.engine.capital_report()["bots"]
    # the short and the long are entries; the flat signals that close them are not
    assert bots["s"]["entry_signals"] == 1 and bots["t"]["entry_signals"] == 1
    h.close()


def test_a_force_exit_of_a_short_buys_it_back_counted_as_the_bots_order_and_is_then_no_request(
        tmp_path: Path) -> None:
    frames = {"XYZ": generated_frame(100 - np.arange(10, dtype=float))}
    h = Harness(tmp_path, frames, [spec("s", ShortFrom, ("XYZ",))], config=PAPER)
    h.run(4)
    held = h.engine.ledger.position("s", "XYZ").quantity
    runner = h.engine.runners["s"]
    assert held < -1 and runner.stats.orders == 1
    h.store.set_control("exit:s:XYZ", paused=True, reason="flatten", actor="ops", ts_ns=1)
    h.engine.reload_control()
    h.step(fire=False)
    last = h.store.orders()[-1]
    assert (last.side.value, last.quantity, last.reduce_only) == ("buy", -held, True)
    assert runner.stats.orders == 2  # the exit is one more order of this bot
    sig = [x for x in h.store.signals("s") if x.signal_id == last.signal_id][0]
    assert (sig.direction, sig.confidence) == (Direction.FLAT, 1.0)
    assert h.engine.reload_control().exits == ()  # the request done is no request any more
    h.step(fire=False)
    assert h.position("s", "XYZ") == 0
    h.close()


def test_force_exit_requests_of_other_instruments_stay_queued_whatever_their_order(tmp_path: Path) -> None:
    h = _two_bots(tmp_path)
    h.run(4)
    for scope in ("exit:a:XYZ", "exit:b:ABC"):  # b's request sorts after a's
        h.store.set_control(scope, paused=True, reason="flatten", actor="ops", ts_ns=1)
    h.engine.reload_control()
    h.engine.on_bar(_next_bar(h, "XYZ"))
    assert h.engine.control.exits == (("b", "ABC", "flatten", "ops"),)
    h.engine.on_bar(_next_bar(h, "ABC"))
    assert h.store.control("exit:b:ABC").reason.startswith("exit sent: ") and h.engine.control.exits == ()
    h.close()


def test_a_no_outcome_settles_at_zero_a_long_by_selling_and_a_short_by_buying_in_that_contract_only(
        tmp_path: Path) -> None:
    frames = {"ABC": generated_frame(10_000 + np.arange(10, dtype=float)),  # sized to one unit
              "XYZ": generated_frame(100 - np.arange(10, dtype=float))}
    h = Harness(tmp_path, frames, [spec("a", LongFrom, ("ABC",)), spec("s", ShortFrom, ("XYZ",))], config=PAPER)
    h.run(4)
    short = h.engine.ledger.position("s", "XYZ").quantity
    assert h.position("a", "ABC") == 1 and short < -1
    name = "".join(["A", "BC"])  # read from a feed: equal to the book's name, not the same object
    orders = h.engine.settle(name, False, h.stamps[4])
    assert [(o.bot, o.instrument, o.side.value, o.quantity) for o in orders] == [("a", "ABC", "sell", 1)]
    sig = [x for x in h.store.signals("a") if x.signal_id == orders[0].signal_id][0]
    assert (sig.entry, sig.meta["settlement"], sig.confidence) == (0.0, 0.0, 1.0)
    assert [d.detail for d in h.store.decisions(sig.signal_id)] == ["no"]
    orders = h.engine.settle("XYZ", True, h.stamps[4])
    assert [(o.bot, o.side.value, o.quantity) for o in orders] == [("s", "buy", -short)]
    h.close()


def test_positions_under_one_unit_are_entered_closed_exited_and_settled_on_their_own_side(tmp_path: Path) -> None:
    from tradefleet.orchestrator.domain import AssetClass, Instrument

    frames = {"XYZ": generated_frame(200_000 - 1000 * np.arange(10, dtype=float)),  # generated: sized under one unit
              "ABC": generated_frame(200_000 + 1000 * np.arange(10, dtype=float))}
    h = Harness(tmp_path, frames, [spec("s", ShortThenFlat, ("XYZ",)), spec("t", LongThenFlat, ("ABC",)),
                                   spec("f", ShortFrom, ("XYZ",)), spec("g", ShortFrom, ("XYZ",))],
                config={**PAPER, "risk": {"correlation": {"cluster_cap_pct": 10.0}}})
    for sym in frames:  # a coin traded in thousandths
        h.instruments[sym] = Instrument(sym, AssetClass.CRYPTO, lot_size=Decimal("0.001"))
    h.run(8)
    sides = {(o.bot, o.side.value, o.reduce_only) for o in h.store.orders()}
    assert sides == {("s", "sell", False), ("s", "buy", True), ("t", "buy", False), ("t", "sell", True),
                     ("f", "sell", False), ("g", "sell", False)}
    for bot, sym in (("s", "XYZ"), ("t", "ABC")):  # each closed trade is one result, a fraction of a unit or not
        pos = h.engine.ledger.position(bot, sym)
        assert pos.quantity == 0 and pos.realized_pnl > 0 and h.engine.trade_results[bot] == [pos.realized_pnl]
    f, g = (h.engine.ledger.position(b, "XYZ").quantity for b in ("f", "g"))
    assert -1 < f < 0 and -1 < g < 0
    h.store.set_control("exit:g:XYZ", paused=True, reason="flatten", actor="ops", ts_ns=1)
    h.engine.reload_control()
    h.step(fire=False)
    assert [(o.side.value, o.quantity) for o in h.store.orders() if o.bot == "g"][-1] == ("buy", -g)
    h.step(fire=False)
    assert h.position("g", "XYZ") == 0
    orders = h.engine.settle("XYZ", True, h.stamps[h.row])
    assert [(o.bot, o.side.value, o.quantity) for o in orders] == [("f", "buy", -f)]
    h.close()


def test_a_settlement_is_booked_on_paper_for_an_instrument_routed_to_this_account_by_name_only(tmp_path: Path) -> None:
    import json

    h = Harness(tmp_path, _frames(), [spec("a", LongFrom, ("ABC", "XYZ"))], config=PAPER, rejecting=frozenset({"XYZ"}),
                venue="remote")  # an account whose name sorts after this one's
    h.run(1)
    assert h.engine.book_settlement("a", "XYZ", Side.BUY, Decimal(5), Decimal(100), "exercise", "call", {}) is None
    h.engine.route = json.loads('{"ABC": "paper", "XYZ": "remote"}').__getitem__  # a routing table read from a file
    order = h.engine.book_settlement("a", "ABC", Side.SELL, Decimal(5), Decimal(50), "expiry", "call", {})
    assert order is not None and order.account == "paper" and order.client_order_id in h.engine.settlements
    h.close()


def test_a_control_event_on_the_bus_applies_a_pause_at_once_and_leaves_the_gate_to_the_engines_own_poll(
        tmp_path: Path) -> None:
    h = _two_bots(tmp_path)
    calls: list[list[tuple[str, bool]]] = []
    h.engine.pipeline.risk.on_control = lambda changes, _now: calls.append([(c.scope, c.paused) for c in changes])
    h.store.set_control(bot_scope("b"), paused=True, reason="dashboard", actor="me", ts_ns=1)
    h.engine.services.bus.publish(Topic.CONTROL, "b paused")  # as the dashboard announces it
    assert h.engine.control.paused_bots == frozenset({"b"}) and calls == []
    h.engine.reload_control()
    assert calls == [[(bot_scope("b"), True)]]
    h.close()


def test_an_engine_trades_before_its_first_control_read_and_its_control_state_is_replaced_never_changed(
        tmp_path: Path) -> None:
    from dataclasses import FrozenInstanceError

    import pytest

    from tradefleet.orchestrator.engine import Engine

    h = _two_bots(tmp_path)
    h.run(2)
    h.step(fire=False)
    e = h.engine  # a second engine over the same parts, not yet reloaded: nothing paused, nothing halted
    fresh = Engine(e.services, e.runners, e.pipeline, e.oms, e.ledger, e.account, e.paper, e.exits, e.route)
    fresh.on_fire("a", h.stamps[2])
    a = e.runners["a"]
    assert (a.stats.skipped_paused, a.stats.signals, a.stats.rejected, a.stats.orders) == (0, 1, 0, 1)
    with pytest.raises(FrozenInstanceError):  # a bus thread swaps the whole state; no one edits it in place
        fresh.control.halted = True  # type: ignore[misc]
    h.close()


def test_bar_hooks_see_every_bar_even_on_an_engine_without_a_paper_venue(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("a", LongFrom, ("ABC",))], config=PAPER, rejecting=frozenset({"XYZ"}))
    seen: list[tuple[str, int]] = []
    h.engine.bar_hooks.append(lambda bar: seen.append((bar.symbol, bar.ts_event)))
    h.run(2)
    h.engine.paper = None  # as assembled with its own venues (a live account): no paper venue to match bars
    h.run(2)
    assert seen == [(sym, ts) for ts in h.stamps[:4] for sym in ("ABC", "XYZ")]
    assert h.engine.settle("ABC", True, h.stamps[3]) == []
    h.close()


class LongTwice(LongFrom):
    """Long on the third and fourth bars, and again on the seventh and eighth: two round trips."""

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        i = np.arange(len(frame))
        sig = np.where(((i >= 2) & (i < 4)) | ((i >= 6) & (i < 8)), 1.0, 0.0)
        return pd.DataFrame({"signal": sig, "confidence": 1.0, "stop": frame["close"] * 0.9}, index=frame.index)


def test_each_closed_trade_books_its_own_result_not_the_running_total(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(12), [spec("t", LongTwice, ("XYZ",))], config=PAPER)
    h.run(11)
    assert [o.side.value for o in h.store.orders()] == ["buy", "sell", "buy", "sell"]
    pos = h.engine.ledger.position("t", "XYZ")
    first, second = h.engine.trade_results["t"]
    assert pos.quantity == 0 and first > 0 and second > 0 and first + second == pos.realized_pnl
    h.close()


def test_the_fleet_of_a_bot_is_the_risk_gates_mapping_first_and_the_capital_report_carries_budgets(
        tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("a", LongFrom, ("XYZ",)), spec("b", LongFrom, ("ABC",))],
                config={**PAPER, "risk": {"fleet_of": {"a": "alpha"}}})
    assert h.engine.fleet_of("a") == "alpha" and h.engine.fleet_of("b") == "trend"
    h.run(4)
    h.engine.snapshot_equity(h.stamps[3])
    a = h.engine.capital_report()["bots"]["a"]
    assert a["budget_of_equity"] == 0.5 and a["avg_use_of_budget"] == round(a["avg_gross_of_equity"] / 0.5, 6)
    h.close()


class RisingA(PortfolioBot):
    """5 % of A for two rows, then 15 %; 10 % of B throughout (generated weights)."""

    def weights(self, panel: Panel) -> pd.DataFrame:
        a = np.where(np.arange(len(panel)) < 2, 0.05, 0.15)
        return pd.DataFrame({"A": a, "B": np.full(len(panel), 0.1)}, index=panel.index)


def test_precomputed_weights_follow_each_row_and_close_a_member_that_left_the_universe(tmp_path: Path) -> None:
    from tradefleet.orchestrator.universe import Universe

    frames = {s: generated_frame(100 + np.arange(8, dtype=float)) for s in ("A", "B", "C")}
    stamps = frames["A"].index.asi8

    def members(pool: list[str], _data: Any, now_ns: int) -> list[str]:  # B leaves at the fourth bar
        return [s for s in pool if s != "B" or now_ns < stamps[3]]

    h = Harness(tmp_path, frames, [spec("w", RisingA, ("A", "B"), universe=Universe.select(members)),
                                   spec("a", LongFrom, ("C",)), spec("z", LongFrom, ("C",))],
                config={**PAPER, "risk": {"correlation": {"cluster_cap_pct": 10.0}}})
    h.engine.runners["w"].precompute({s: frames[s] for s in ("A", "B")})
    held: list[tuple[float, float]] = []
    for _ in range(6):
        h.step()
        held.append((h.position("w", "A"), h.position("w", "B")))
    assert all(a > 0 for a, _ in held[1:])  # a held member is never closed
    assert held[3][1] > 0 and held[4][1] == 0 == held[5][1]  # B is sold at the bar it left, filled at the next
    capital = float(h.engine.ledger.equity()) * h.engine.pipeline.risk.capital_fraction("w")  # type: ignore[attr-defined]
    weight = h.position("w", "A") * h.market.last_close("A") / capital
    assert abs(weight - 0.15) < 0.01  # the third row's weight (of the bot's capital), not the first's
    assert h.position("a", "C") > 0 and h.position("z", "C") > 0 and not h.engine.runners["w"].fault
    assert {o.instrument for o in h.store.orders() if o.bot == "w"} == {"A", "B"}
    assert {x.instrument for x in h.store.signals("w")} == {"A", "B"}  # other bots' holdings are none of its business
    h.close()


def test_a_member_that_left_the_universe_is_closed_after_a_restart_too(tmp_path: Path) -> None:
    from tradefleet.orchestrator.universe import Universe
    from tradefleet.orchestrator.warmstart import warm_start

    frames = {s: generated_frame(100 + np.arange(8, dtype=float)) for s in ("A", "B")}
    stamps = frames["A"].index.asi8

    def members(pool: list[str], _data: Any, now_ns: int) -> list[str]:  # B leaves at the fourth bar
        return [s for s in pool if s != "B" or now_ns < stamps[3]]

    def kit(store: Store | None = None) -> Harness:
        h = Harness(tmp_path, frames, [spec("weights-bot", RisingA, ("A", "B"), universe=Universe.select(members))],
                    config=PAPER, store=store)
        h.engine.runners["weights-bot"].precompute(frames)
        return h

    h = kit()
    h.run(3)
    assert h.position("weights-bot", "B") > 0
    h.store.commit()
    h2 = kit(h.store)  # a new engine on the same store: the book is read back from it
    warm_start(h2.kernel, Decimal(100_000))
    h2.row = h.row
    for sym in frames:
        h2.market.advance(sym, h.row)
    h2.run(2)
    assert h2.position("weights-bot", "B") == 0 and h2.position("weights-bot", "A") > 0
    h2.close()


def test_a_force_exit_and_the_bots_own_flat_on_the_same_bar_close_the_position_once(tmp_path: Path) -> None:
    """Found by issue #25's mutant at engine.py:243 (``make_id(..., 0)``): the force exit's order and the bot's
    own flat order at that bar sold the whole position each, and both filled, leaving a short of the same size
    (fixed: the engine nets the market exit still working from the bot's flat, stored as a decision)."""
    h = Harness(tmp_path, _frames(), [spec("t", LongThenFlat, ("XYZ",))], config=PAPER)
    h.run(5)
    held = h.position("t", "XYZ")
    h.store.set_control("exit:t:XYZ", paused=True, reason="flatten", actor="ops", ts_ns=1)
    h.engine.reload_control()
    h.run(3)  # the request is served at the bar where the bot itself goes flat
    sells = [o for o in h.store.orders() if o.side is Side.SELL]
    assert held > 0 and h.position("t", "XYZ") == 0 and sum(o.quantity for o in sells) == held
    flat = [s for s in h.store.signals("t") if s.direction is Direction.FLAT and "force_exit" not in s.meta][0]
    decisions = h.store.decisions(flat.signal_id)
    assert (decisions[-1].gate, decisions[-1].reason) == ("engine", "noop_exit_pending")
    assert h.engine.market_exits == {}  # the closing fill forgets the exit
    h.close()


def test_a_flat_signal_closes_only_what_a_working_market_exit_leaves(tmp_path: Path) -> None:
    """A scaled-exit tranche sent at market (a venue without resting exits) and still working when the bot
    goes flat: the flat sells the rest, not the whole position again."""
    from tradefleet.orchestrator.exits import ExitOrder

    h = Harness(tmp_path, _frames(), [spec("t", LongThenFlat, ("XYZ",))], config=PAPER)
    h.run(5)
    held = Decimal(repr(h.position("t", "XYZ")))
    tranche = (held / 3).quantize(Decimal(1))
    h.engine.paper.matches_bars = False  # as on a live venue: the tranche goes at market and fills next bar
    h.step(fire=False)  # the bar at which the bot goes flat: its exit plan sends a tranche first
    bar = h.market.last_bar("XYZ")
    h.engine.submit_exit(ExitOrder("t", "XYZ", Side.SELL, tranche, "target 1R", bar.close * 0.99, bar.ts_event - 1),
                         bar)
    h.engine.on_fire("t", bar.ts_event)
    sells = [o for o in h.store.orders() if o.side is Side.SELL]
    assert sorted(o.quantity for o in sells) == sorted([tranche, held - tranche])
    h.step()
    assert h.position("t", "XYZ") == 0
    h.close()


class LongThenShort(LongFrom):
    """Long from the third bar, short from the sixth (a flip)."""

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        i = np.arange(len(frame))
        sig = np.where(i >= 5, -1.0, np.where(i >= 2, 1.0, 0.0))
        stop = frame["close"] * np.where(i >= 5, 1.1, 0.9)
        return pd.DataFrame({"signal": sig, "confidence": 1.0, "stop": stop}, index=frame.index)


def _force_exit_at_the_sixth_bar(h: Harness, bot: str) -> tuple[float, str]:
    """Run five bars, ask for a force exit, and close the sixth bar (the exit is sent, the bot not yet fired)."""
    h.run(5)
    held = h.position(bot, "XYZ")
    h.store.set_control(f"exit:{bot}:XYZ", paused=True, reason="flatten", actor="ops", ts_ns=1)
    h.engine.reload_control()
    h.step(fire=False)
    exit_id = h.store.orders()[-1].client_order_id
    assert held != 0 and h.store.order(exit_id).order.reduce_only
    return held, exit_id


def test_a_flip_at_a_force_exits_bar_sells_only_its_short_beyond_the_exit(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("t", LongThenShort, ("XYZ",))], config=PAPER)
    held, exit_id = _force_exit_at_the_sixth_bar(h, "t")
    h.engine.on_fire("t", h.stamps[h.row])
    flip = [x for x in h.store.signals("t") if x.direction is Direction.SHORT][0]
    d = h.store.decisions(flip.signal_id)[-1]
    assert (d.gate, d.reason) == ("engine", "exit_netted") and exit_id in d.detail
    h.step(fire=False)
    assert h.position("t", "XYZ") == float(d.data["quantity"]) < 0  # the short the gate sized, not that plus the long
    h.close()


class RefuseEntries:
    """A fake upstream gate that refuses every signal (the pipeline lets exits through anyway)."""

    name = "refuse"

    def evaluate(self, signal: Any, ctx: Any) -> Any:
        from tradefleet.orchestrator.domain import Decision

        return Decision.rejected("refuse", "no_entries", "a fake gate")


def test_a_flip_refused_upstream_while_a_force_exit_works_stays_refused(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("t", LongThenShort, ("XYZ",))], config=PAPER)
    held, exit_id = _force_exit_at_the_sixth_bar(h, "t")
    h.engine.pipeline.gates = [RefuseEntries()]
    h.engine.on_fire("t", h.stamps[h.row])
    flip = [x for x in h.store.signals("t") if x.direction is Direction.SHORT][0]
    assert flip.outcome == "rejected:refuse:no_entries" and h.engine.runners["t"].stats.rejected == 1
    assert [d.gate for d in h.store.decisions(flip.signal_id)] == ["refuse"]
    h.step(fire=False)
    assert h.position("t", "XYZ") == 0  # the force exit alone closed it
    h.close()


@pytest.mark.parametrize("bot,price", [(LongThenFlat, 100.0), (ShortThenFlat, 100.0), (LongThenFlat, 200_000.0),
                                       (ShortThenFlat, 200_000.0)])
def test_a_force_exit_and_the_bots_flat_close_once_long_or_short_in_whole_units_or_not(
        tmp_path: Path, bot: type, price: float) -> None:
    from tradefleet.orchestrator.domain import AssetClass, Instrument

    frames = {"XYZ": generated_frame(price * (1 + 0.01 * np.arange(10)))}  # generated
    h = Harness(tmp_path, frames, [spec("t", bot, ("XYZ",))], config=PAPER)
    if price > 1000:  # a coin traded in thousandths: positions under one unit
        h.instruments["XYZ"] = Instrument("XYZ", AssetClass.CRYPTO, lot_size=Decimal("0.001"))
    held, _ = _force_exit_at_the_sixth_bar(h, "t")
    assert (abs(held) < 1) is (price > 1000)
    h.engine.on_fire("t", h.stamps[h.row])  # the bot's own flat at the force exit's bar
    h.step(fire=False)
    assert h.position("t", "XYZ") == 0
    h.close()


@pytest.mark.parametrize("bot,exit_side", [(ShortThenFlat, Side.SELL), (LongThenFlat, Side.BUY)])
def test_a_market_exit_working_on_the_other_side_is_not_netted_from_the_bots_flat(
        tmp_path: Path, bot: type, exit_side: Side) -> None:
    from tradefleet.orchestrator.exits import ExitOrder

    h = Harness(tmp_path, _frames(), [spec("t", bot, ("XYZ",))], config=PAPER)
    h.run(5)
    held = Decimal(repr(h.position("t", "XYZ")))
    h.engine.paper.matches_bars = False
    h.step(fire=False)
    bar = h.market.last_bar("XYZ")
    h.engine.submit_exit(ExitOrder("t", "XYZ", exit_side, Decimal(5), "target 1R", bar.close, bar.ts_event - 1), bar)
    h.engine.on_fire("t", bar.ts_event)  # the bot goes flat: it closes the whole position
    flat = h.store.orders()[-1]
    assert flat.quantity == abs(held) and flat.side is not exit_side
    h.close()


def test_a_force_exit_canceled_before_the_bots_flat_is_not_netted(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("t", LongThenFlat, ("XYZ",))], config=PAPER)
    held, exit_id = _force_exit_at_the_sixth_bar(h, "t")
    assert h.engine.oms.cancel(exit_id)
    h.engine.on_fire("t", h.stamps[h.row])
    h.step(fire=False)
    assert h.position("t", "XYZ") == 0  # the bot's own flat sold it all
    h.close()


def test_a_flat_nets_only_the_unfilled_part_of_a_partly_filled_market_exit(tmp_path: Path) -> None:
    from tradefleet.orchestrator.exits import ExitOrder

    frames = _frames()
    frames["XYZ"].iloc[5:, frames["XYZ"].columns.get_loc("volume")] = 300.0  # generated: volume dries up
    h = Harness(tmp_path, frames, [spec("t", LongThenFlat, ("XYZ",))],
                config={"paper": {**PAPER["paper"], "max_volume_share": 0.1}})  # 30 a bar from the sixth bar on
    h.run(4)
    h.step(fire=False)
    held = Decimal(repr(h.position("t", "XYZ")))
    h.engine.paper.matches_bars = False  # a live venue: the tranche goes at market
    bar = h.market.last_bar("XYZ")
    h.engine.submit_exit(ExitOrder("t", "XYZ", Side.SELL, Decimal(65), "target 1R", bar.close * 0.99,
                                   bar.ts_event - 1), bar)
    h.engine.on_fire("t", bar.ts_event)  # still long at this bar
    h.step()  # the tranche fills 30 of 65; the bot goes flat
    assert h.position("t", "XYZ") == float(held) - 30
    flat = h.store.orders()[-1]
    assert (flat.side, flat.reduce_only, flat.quantity) == (Side.SELL, True, held - 65)
    h.close()


class Ticker:
    """A generated tick source: nothing before the second bar, then the bar's index."""

    def __init__(self, stamps: list[int]) -> None:
        self.stamps = stamps

    def at(self, now_ns: int) -> int | None:
        n = sum(1 for t in self.stamps if t <= now_ns)
        return n - 1 if n >= 2 else None


def test_an_event_bot_sees_its_ticks_and_holdings_and_its_signals_and_intents_both_trade(tmp_path: Path) -> None:
    from tradefleet.orchestrator.bot import EventBot, TickContext
    from tradefleet.orchestrator.domain import Signal
    from tradefleet.orchestrator.intents import OrderIntent

    seen: list[tuple[Any, Decimal, Decimal]] = []

    class OnTick(EventBot):
        Params = BotParams

        def on_tick(self, ctx: TickContext) -> list[Any]:
            seen.append((ctx.data, ctx.held("XYZ"), ctx.held("ABC")))
            if ctx.data != 1:
                return []
            close = h.market.last_close("XYZ")
            return [Signal(ctx.bot, "XYZ", Direction.LONG, 1.0, close, ctx.now_ns, ctx.now_ns, stop=close * 0.9),
                    OrderIntent.single("ABC", "buy", size=10, id="tick-buy")]

    h = Harness(tmp_path, _frames(), [spec("e", OnTick, ("XYZ", "ABC"))], config=PAPER)
    h.engine.tick_sources["e"] = Ticker(h.stamps)
    h.run(4)
    runner = h.engine.runners["e"]
    assert not runner.fault and runner.stats.evaluations == 3  # no tick at the first bar: not evaluated
    xyz = h.position("e", "XYZ")
    assert xyz > 0 and h.position("e", "ABC") == 10
    assert [(d, float(x), float(a)) for d, x, a in seen] == [(1, 0, 0), (2, xyz, 10), (3, xyz, 10)]
    h.close()


class Records(PortfolioBot):
    """Holds nothing; records the instruments and last closes of each panel it is given."""

    panels: ClassVar[list[tuple[tuple[str, ...], list[float]]]] = []

    def decide(self, panel: Panel, ctx: Ctx) -> list[Any]:
        Records.panels.append((tuple(panel.instruments), [float(x) for x in panel.close.iloc[-1]]))
        return []


def test_a_universe_wider_than_the_preloaded_panel_is_read_from_the_data_hub(tmp_path: Path) -> None:
    from tradefleet.orchestrator.universe import Universe

    Records.panels = []
    frames = _frames()
    h = Harness(tmp_path, frames, [spec("r", Records, ("ABC",), universe=Universe.select(
        lambda pool, _d, _n: pool, candidates="*"))], config=PAPER)  # every instrument the hub knows
    h.engine.runners["r"].precompute(frames)  # the preloaded panel holds ABC only
    h.run(2)
    r = h.engine.runners["r"]
    assert not r.fault and r.stats.evaluations == 2
    assert Records.panels == [(("ABC", "XYZ"), [50.0, 100.0]), (("ABC", "XYZ"), [51.0, 101.0])]
    h.close()


def test_a_limit_fallback_entry_cancels_its_resting_limit_before_crossing_and_its_market_child_keeps_the_signals_stop(
        tmp_path: Path) -> None:
    # generated closes: the limit at the bid (99.5) is not reached on bar 3, so the algorithm cancels it and
    # sends the rest at market; bar 7 trades through 99.5 (a limit left resting would fill: twice the entry);
    # bar 9 falls through the signal's stop (90, 10 % under the signal's close)
    closes = [100, 100, 100, 101, 102, 103, 104, 98, 99, 85, 86]
    h = Harness(tmp_path, {"XYZ": generated_frame(np.array(closes, dtype=float))}, [spec("a", LongFrom, ("XYZ",))],
                config={"paper": {**PAPER["paper"], "spread_bps": 100.0},
                        "execution": {"default_algorithm": "limit-fallback", "min_notional": 1.0, "impact_check": False},
                        "risk": {"exits": {"enabled": True, "targets_r": [5.0], "fractions": [0.5]}}})
    h.run(9)
    limit, market = sorted((o for o in h.store.orders() if "." in o.client_order_id), key=lambda o: o.client_order_id)
    assert (limit.order_type.value, limit.limit_price, limit.status.value) == ("limit", Decimal("99.5"), "canceled")
    assert (market.order_type.value, market.quantity, market.status.value) == ("market", limit.quantity, "filled")
    assert h.position("a", "XYZ") == float(market.quantity)  # bar 7 did not fill the canceled limit
    h.run(2)
    exit_ = h.store.orders()[-1]
    # the plan opened by the market child's fill carries the signal's stop
    assert (exit_.side.value, exit_.order_type.value, exit_.stop_price, exit_.status.value) == ("sell", "stop",
                                                                                                Decimal(90), "filled")
    assert h.position("a", "XYZ") == 0
    h.close()


class Windows(PortfolioBot):
    """Holds nothing; records every panel it is given (times, closes, which bars are present)."""

    seen: ClassVar[list[tuple[list[int], list[list[float]], list[list[bool]]]]] = []

    def warmup_bars(self) -> int:
        return 3

    def decide(self, panel: Panel, ctx: Ctx) -> list[Any]:
        Windows.seen.append((panel.ts.tolist(), np.nan_to_num(panel.values["close"], nan=-1.0).tolist(),
                             panel.present.tolist()))
        return []


def test_a_portfolio_bot_sees_the_same_window_in_replay_as_from_the_data_hub_on_uneven_calendars(
        tmp_path: Path) -> None:
    # generated daily bars: C prints every day, A on weekdays only, B every other day; the universe is A and C
    # (B only widens the preloaded panel's clock). Each instrument's own last 3 bars, as the hub gives them live.
    days = pd.date_range("2021-01-04", periods=15, freq="D", tz="UTC")
    every = generated_frame(100 + np.arange(15, dtype=float))
    frames = {"A": every[days.dayofweek < 5], "B": every.iloc[::2] * 1.0, "C": every * 2.0}
    from tradefleet.orchestrator.universe import Universe

    runs = []
    for replay in (False, True):
        Windows.seen = []
        h = Harness(tmp_path / str(replay), frames, [spec("w", Windows, ("A", "B", "C"), universe=Universe.select(
            lambda pool, _d, _n: [s for s in pool if s != "B"]))], config=PAPER)
        if replay:
            h.engine.runners["w"].precompute(frames)  # the preloaded panel of A, B and C
        h.run()
        assert not h.engine.runners["w"].fault
        runs.append(list(Windows.seen))
        h.close()
    live, replayed = runs
    assert len(live) == 15 and replayed == live
    ts, closes, present = live[-1]
    assert len(ts) == 5 and [sum(c) for c in zip(*present, strict=True)] == [3, 3]  # a weekend inside: 5 rows, 3 bars each
