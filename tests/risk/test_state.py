"""Trading states, their persistence, and the circuit breakers."""

from __future__ import annotations

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.domain import Bar
from tradefleet.risk.alerts import AlertSink
from tradefleet.risk.config import BreakersConfig
from tradefleet.risk.persistence import MemoryRiskStore
from tradefleet.risk.state import CircuitBreakers, StateBook, TradingState

H = 3600 * 1_000_000_000


class FakeMarket:
    """A hand-written MarketView over fixed closes and bar times."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[list[float], int]] = {}

    def last_bar(self, symbol: str) -> Bar | None:
        closes, ts = self.data[symbol]
        return Bar(symbol, ts, closes[-1], closes[-1], closes[-1], closes[-1], 1.0)

    def quote(self, symbol: str) -> tuple[float, float] | None:
        c = self.data[symbol][0][-1]
        return c, c

    def closes(self, symbol: str, n: int) -> list[float]:
        return self.data[symbol][0][-n:]


def test_state_book_strictest_hold_wins_and_alerts() -> None:
    bus = InProcessBus()
    seen: list[object] = []
    bus.subscribe(Topic.ALERTS, lambda t, e: seen.append(e))
    book = StateBook(AlertSink(bus))
    book.set("fleet", "a", TradingState.REDUCING, "why a", 1)
    book.set("fleet", "b", TradingState.HALTED, "why b", 2)
    assert book.state_of("fleet") == (TradingState.HALTED, "b: why b")
    book.clear("fleet", "b", 3)
    assert book.state_of("fleet")[0] is TradingState.REDUCING
    book.report_broker("alpaca", False, "5xx storm", 4)
    st, why, scope = book.effective(["fleet", "fleet:equities", "account:alpaca"])
    assert (st, scope) == (TradingState.HALTED, "account:alpaca") and "5xx" in why
    assert [a.state for a in seen] == ["reducing", "halted", "reducing", "halted"]  # type: ignore[attr-defined]


def test_state_book_persists_across_restart() -> None:
    store = MemoryRiskStore()
    book = StateBook(store=store)
    book.set("fleet:crypto", "operator", TradingState.REDUCING, "deleveraging", 5)
    again = StateBook(store=store)
    assert again.state_of("fleet:crypto") == (TradingState.REDUCING, "operator: deleveraging")


def test_breakers_extreme_move_trips_then_expires() -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["SPX"] = ([100.0, 88.0], 10 * H)
    br = CircuitBreakers(BreakersConfig(extreme_move_pct=0.10, extreme_move_reset_seconds=3600), book)
    br.evaluate(market, ["SPX"], 10 * H)
    assert book.state_of("instrument:SPX")[0] is TradingState.REDUCING
    assert book.state_of("fleet")[0] is TradingState.ACTIVE  # never the whole fleet unless configured
    market.data["SPX"] = ([88.0, 88.5], 11 * H)
    br.evaluate(market, ["SPX"], 11 * H)
    assert book.state_of("instrument:SPX")[0] is TradingState.ACTIVE


def test_breakers_stale_feed_halts_until_fresh_or_not_held() -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["EURUSD"] = ([1.1, 1.1], 0)
    br = CircuitBreakers(BreakersConfig(stale_after_seconds=7200), book)
    br.evaluate(market, ["EURUSD"], 1 * H)
    assert book.state_of("instrument:EURUSD")[0] is TradingState.ACTIVE
    br.evaluate(market, ["EURUSD"], 3 * H)
    assert book.state_of("instrument:EURUSD")[0] is TradingState.HALTED
    market.data["EURUSD"] = ([1.1, 1.1], 3 * H)
    br.evaluate(market, ["EURUSD"], 3 * H)
    assert book.state_of("instrument:EURUSD")[0] is TradingState.ACTIVE
    br.evaluate(market, ["EURUSD"], 9 * H)
    assert book.state_of("instrument:EURUSD")[0] is TradingState.HALTED
    br.evaluate(market, [], 9 * H)
    assert book.state_of("instrument:EURUSD")[0] is TradingState.ACTIVE


def test_breakers_scale_with_the_instruments_bar_length() -> None:
    book = StateBook()
    market = FakeMarket()
    month = 30.4 * 86_400
    market.data["BTC/USD"] = ([100.0, 130.0], 0)  # +30% in one monthly bar
    br = CircuitBreakers(BreakersConfig(extreme_move_pct=0.10, stale_after_seconds=4 * 86_400, stale_bars=3), book)
    br.evaluate(market, ["BTC/USD"], 20 * 24 * H, {"BTC/USD": month})
    assert book.state_of("instrument:BTC/USD")[0] is TradingState.ACTIVE  # 30% < 10% x sqrt(30.4)
    br.evaluate(market, ["BTC/USD"], 20 * 24 * H)  # unknown bar length: daily rules
    assert book.sources("instrument:BTC/USD") == ["extreme_move:BTC/USD", "stale:BTC/USD"]


def test_breakers_hold_the_configured_scope() -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["BTC/USD"] = ([100.0, 60.0], 0)
    cfg = BreakersConfig(extreme_move_pct=0.10, extreme_move_scope="asset_class", stale_after_seconds=None)
    br = CircuitBreakers(cfg, book, lambda sym: ("crypto", "coinbase"))
    br.evaluate(market, ["BTC/USD"], H)
    assert book.state_of("class:crypto")[0] is TradingState.REDUCING
    assert book.state_of("fleet")[0] is TradingState.ACTIVE
    book2 = StateBook()
    CircuitBreakers(cfg.model_copy(update={"extreme_move_scope": "fleet"}), book2).evaluate(market, ["BTC/USD"], H)
    assert book2.state_of("fleet")[0] is TradingState.REDUCING



def test_gate_learns_bar_lengths_from_the_kernel_timeframe() -> None:
    """A monthly bar is the mean month (30.4375 days, was 30.4 here); an unknown unit raises (was 0 s)."""
    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.orchestrator.duration import MONTH_SECONDS, TimeframeError
    from tradefleet.risk.config import PortfolioRiskConfig
    from tradefleet.risk.engine import PortfolioRiskGate
    from tradefleet.risk.persistence import MemoryRiskStore
    from tests.risk.fakes import T0

    store = MemoryRiskStore()
    gate = PortfolioRiskGate(PortfolioRiskConfig(), SimClock(T0), control=store, state=store, timezone="UTC")
    gate.learn_timeframe(("BTC/USD",), "1d")
    gate.learn_timeframe(("BTC/USD", "X"), "1mo")
    gate.learn_timeframe(("X",), "15m")
    assert gate.bar_seconds == {"BTC/USD": MONTH_SECONDS, "X": MONTH_SECONDS} and MONTH_SECONDS == 30.4375 * 86_400
    with pytest.raises(TimeframeError, match="'tick'"):
        gate.learn_timeframe(("Y",), "tick")


# -- exact behaviour of the state book and the breakers (issue 25: mutation survivors) --

def _alerts() -> tuple[AlertSink, list[object]]:
    bus = InProcessBus()
    seen: list[object] = []
    bus.subscribe(Topic.ALERTS, lambda t, e: seen.append(e))
    return AlertSink(bus), seen


def test_setting_the_same_hold_again_changes_nothing() -> None:
    sink, seen = _alerts()
    store = MemoryRiskStore()
    book = StateBook(sink, store)
    book.set("fleet", "operator", TradingState.REDUCING, "deleveraging", 5)
    book.set("fleet", "operator", TradingState.REDUCING, "".join(["delever", "aging"]), 9)  # equal, built anew
    assert book.holds()[0][2].since_ns == 5 and len(seen) == 1
    book.set("fleet", "operator", TradingState.REDUCING, "new reason", 10)  # a new reason is a new hold
    assert book.holds()[0][2].since_ns == 10 and book.state_of("fleet")[1] == "operator: new reason"
    assert len(seen) == 1  # same state: stored, not alerted
    assert store.load_risk_state("trading_state")["fleet"]["holds"]["operator"]["reason"] == "new reason"  # type: ignore[index]


def test_setting_active_clears_the_source() -> None:
    book = StateBook()
    book.set("bot:x", "operator", TradingState.HALTED, "check", 1)
    book.set("bot:x", "operator", TradingState.ACTIVE, "done", 2)
    assert book.state_of("bot:x") == (TradingState.ACTIVE, "") and book.scopes() == [] and book.holds() == []
    book.clear("bot:x", "operator", 3)  # clearing what is not held is a no-op
    book.clear("nowhere", "nobody", 3)


def test_expiry_releases_at_the_instant_it_expires() -> None:
    book = StateBook()
    book.set("instrument:SPX", "extreme_move:SPX", TradingState.REDUCING, "moved", 100, expires_ns=200)
    book.set("instrument:SPX", "operator", TradingState.REDUCING, "no expiry", 100)
    book.expire(199)
    assert book.sources("instrument:SPX") == ["extreme_move:SPX", "operator"]
    book.expire(200)
    assert book.sources("instrument:SPX") == ["operator"]


def test_the_strictest_hold_wins_and_the_oldest_among_equals() -> None:
    book = StateBook()
    book.set("fleet", "late", TradingState.REDUCING, "second", 20)
    book.set("fleet", "early", TradingState.REDUCING, "first", 10)
    assert book.state_of("fleet") == (TradingState.REDUCING, "early: first")
    book.set("fleet", "strict", TradingState.HALTED, "third", 30)
    assert book.state_of("fleet") == (TradingState.HALTED, "strict: third")


def test_effective_picks_the_strictest_scope_and_the_first_among_equals() -> None:
    book = StateBook()
    book.set("class:crypto", "a", TradingState.REDUCING, "x", 1)
    book.set("venue:coinbase", "b", TradingState.REDUCING, "y", 2)
    assert book.effective(["instrument:BTC", "class:crypto", "venue:coinbase"]) == (
        TradingState.REDUCING, "a: x", "class:crypto")
    assert book.effective(["instrument:BTC"]) == (TradingState.ACTIVE, "", "")
    book.set("venue:coinbase", "b", TradingState.HALTED, "y", 3)
    assert book.effective(["class:crypto", "venue:coinbase"])[2] == "venue:coinbase"


def test_a_weaker_hold_on_a_halted_scope_alerts_nothing_and_alerts_carry_the_change() -> None:
    sink, seen = _alerts()
    book = StateBook(sink)
    book.set("fleet", "operator", TradingState.HALTED, "stop", 1)
    book.set("fleet", "breaker", TradingState.REDUCING, "move", 2)
    assert len(seen) == 1
    a = seen[0]
    assert (a.kind, a.scope, a.reason, a.ts_ns, a.state, a.data) == (  # type: ignore[attr-defined]
        "state_changed", "fleet", "stop", 1, "halted", {"from": "active"})
    book.clear("fleet", "operator", 3, "checked")
    assert seen[-1].state == "reducing" and seen[-1].reason == "operator: checked"  # type: ignore[attr-defined]


def test_broker_health_holds_and_releases_its_account() -> None:
    book = StateBook()
    book.report_broker("alpaca", False, "", 5)
    assert book.state_of("account:alpaca") == (TradingState.HALTED, "broker: unhealthy")
    assert book.state_of("account:oanda")[0] is TradingState.ACTIVE
    book.report_broker("alpaca", True, "", 6)
    assert book.state_of("account:alpaca") == (TradingState.ACTIVE, "")


def test_snapshot_and_restart_keep_every_field() -> None:
    store = MemoryRiskStore()
    book = StateBook(store=store)
    book.set("instrument:SPX", "extreme_move:SPX", TradingState.REDUCING, "moved", 7, expires_ns=99)
    book.set("fleet", "operator", TradingState.HALTED, "stop", 8)
    snap = book.snapshot()
    assert snap == {"instrument:SPX": {"state": "reducing", "holds": {"extreme_move:SPX": {
        "state": "reducing", "reason": "moved", "since_ns": 7, "expires_ns": 99}}},
        "fleet": {"state": "halted", "holds": {"operator": {"state": "halted", "reason": "stop", "since_ns": 8,
                                                             "expires_ns": None}}}}
    again = StateBook(store=store)
    assert again.snapshot() == snap
    again.expire(99)
    assert again.scopes() == ["fleet"]


def test_instrument_scopes_and_breaker_scopes() -> None:
    from tradefleet.risk.state import instrument_scopes

    assert instrument_scopes("SPX", "index", "alpaca") == ("instrument:SPX", "class:index", "venue:alpaca")
    br = CircuitBreakers(BreakersConfig(), StateBook(), lambda sym: ("crypto", "coinbase"))
    assert [br.scope("BTC", k) for k in ("instrument", "asset_class", "venue", "fleet")] == [
        "instrument:BTC", "class:crypto", "venue:coinbase", "fleet"]
    assert CircuitBreakers(BreakersConfig(), StateBook()).scope("X", "venue") == "venue:paper"


@pytest.mark.parametrize("close,trips", [(89.999, True), (90.001, False), (110.0, True), (109.999, False)])
def test_an_extreme_move_trips_at_the_limit_itself(close: float, trips: bool) -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["SPX"] = ([100.0, close], 10 * H)
    CircuitBreakers(BreakersConfig(extreme_move_pct=0.10, stale_after_seconds=None), book).evaluate(
        market, ["SPX"], 10 * H)
    held = book.holds()
    assert bool(held) is trips
    if trips:
        scope, src, e = held[0]
        assert (scope, src, e.state, e.since_ns, e.expires_ns) == (
            "instrument:SPX", "extreme_move:SPX", TradingState.REDUCING, 10 * H, 11 * H)
        assert e.reason == f"SPX moved {close / 100 - 1:+.2%} in one bar"


def test_a_monthly_bar_scales_the_move_limit_by_the_square_root_of_its_days() -> None:
    month = 30.25 * 86_400  # sqrt(30.25) = 5.5: the limit is 55 %
    for close, trips in ((155.0, True), (154.0, False), (154.9999, False)):  # a hair under 55 % stays (a day is 86,400 s)
        book = StateBook()
        market = FakeMarket()
        market.data["BTC"] = ([100.0, close], 0)
        CircuitBreakers(BreakersConfig(extreme_move_pct=0.10, stale_after_seconds=None), book).evaluate(
            market, ["BTC"], 0, {"BTC": month})
        assert bool(book.holds()) is trips, close
    book = StateBook()  # a bar shorter than a day keeps the daily limit
    market = FakeMarket()
    market.data["BTC"] = ([100.0, 110.0], 0)
    CircuitBreakers(BreakersConfig(extreme_move_pct=0.10, stale_after_seconds=None), book).evaluate(
        market, ["BTC"], 0, {"BTC": 3600.0})
    assert book.holds()


def test_a_zero_or_missing_previous_close_never_trips() -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["X"] = ([0.0, 5.0], 0)
    market.data["Y"] = ([5.0], 0)
    CircuitBreakers(BreakersConfig(stale_after_seconds=None), book).evaluate(market, ["X", "Y"], 0)
    assert book.holds() == []


def test_stale_is_strictly_older_than_the_larger_of_seconds_and_bars() -> None:
    cfg = BreakersConfig(stale_after_seconds=7200, stale_bars=3)
    for now, bar, stale in ((2 * H, 0.0, False), (2 * H + 1, 0.0, True),  # 2 h by seconds
                            (3 * H, 3600.0, False), (3 * H + 1, 3600.0, True)):  # 3 hourly bars > 2 h
        book = StateBook()
        market = FakeMarket()
        market.data["EURUSD"] = ([1.1, 1.1], 0)
        CircuitBreakers(cfg, book).evaluate(market, ["EURUSD"], now, {"EURUSD": bar} if bar else None)
        assert bool(book.holds()) is stale, (now, bar)
        if stale:
            _, src, e = book.holds()[0]
            assert src == "stale:EURUSD" and e.state is TradingState.HALTED and e.expires_ns is None
            assert e.reason == f"EURUSD last bar {now / H:.1f} h old"


def test_a_stale_hold_is_released_with_its_reason() -> None:
    sink, seen = _alerts()
    book = StateBook(sink)
    market = FakeMarket()
    market.data["EURUSD"] = ([1.1, 1.1], 0)
    br = CircuitBreakers(BreakersConfig(stale_after_seconds=3600), book)
    br.evaluate(market, ["EURUSD"], 2 * H)
    book.set("instrument:EURUSD", "operator", TradingState.REDUCING, "keep", 2 * H)
    br.evaluate(market, [], 3 * H)  # no longer held: the stale hold goes, the operator's stays
    assert book.sources("instrument:EURUSD") == ["operator"]
    assert seen[-1].reason == "stale:EURUSD: no longer held"  # type: ignore[attr-defined]
    market.data["EURUSD"] = ([1.1, 1.1], 4 * H)
    br.evaluate(market, ["EURUSD"], 6 * H)
    market.data["EURUSD"] = ([1.1, 1.1], 7 * H)
    br.evaluate(market, ["EURUSD"], 7 * H)
    assert book.sources("instrument:EURUSD") == ["operator"]
    assert seen[-1].reason == "stale:EURUSD: feed fresh"  # type: ignore[attr-defined]


@pytest.mark.parametrize("close", [150.0, 50.0])
def test_a_move_exactly_at_the_limit_trips(close: float) -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["SPX"] = ([100.0, close], 0)  # exactly +-50 %, representable in binary
    CircuitBreakers(BreakersConfig(extreme_move_pct=0.5, stale_after_seconds=None), book).evaluate(market, ["SPX"], 0)
    assert book.holds()


def test_a_hold_can_be_downgraded_or_renamed_by_its_source() -> None:
    book = StateBook()
    book.set("fleet", "operator", TradingState.HALTED, "same", 1)
    book.set("fleet", "operator", TradingState.REDUCING, "same", 2)  # same reason, milder state
    assert book.state_of("fleet") == (TradingState.REDUCING, "operator: same")
    book.set("fleet", "operator", TradingState.REDUCING, "zeta", 3)
    book.set("fleet", "operator", TradingState.REDUCING, "alpha", 4)  # a reason sorting before the old one
    assert book.state_of("fleet") == (TradingState.REDUCING, "operator: alpha")


def test_broker_health_alerts_say_why_by_default() -> None:
    sink, seen = _alerts()
    book = StateBook(sink)
    book.report_broker("alpaca", False, "", 5)
    book.report_broker("alpaca", True, "", 6)
    assert [a.reason for a in seen] == ["unhealthy", "broker: healthy"]  # type: ignore[attr-defined]


def test_the_move_is_the_last_bar_of_a_longer_history() -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["SPX"] = ([100.0, 100.0, 50.0], 0)
    CircuitBreakers(BreakersConfig(stale_after_seconds=None), book).evaluate(market, ["SPX"], 0)
    assert book.holds()


def test_a_prediction_contract_priced_under_one_still_trips() -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["KX-YES"] = ([0.40, 0.20], 0)  # -50 % on a binary contract
    CircuitBreakers(BreakersConfig(stale_after_seconds=None), book).evaluate(market, ["KX-YES"], 0)
    assert book.holds()


@pytest.mark.parametrize("bar,close,trips", [(30.25 * 86_400, 154.9, False),  # 54.9 % < 10 % x sqrt(30.25)
                                             (3600.0, 105.0, False)])  # an hour keeps the daily 10 %
def test_the_move_limit_scales_only_up_and_by_the_exact_days(bar: float, close: float, trips: bool) -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["BTC"] = ([100.0, close], 0)
    CircuitBreakers(BreakersConfig(extreme_move_pct=0.10, stale_after_seconds=None), book).evaluate(
        market, ["BTC"], 0, {"BTC": bar})
    assert bool(book.holds()) is trips


def test_the_stale_reason_gives_the_age_in_tenths_of_an_hour() -> None:
    book = StateBook()
    market = FakeMarket()
    market.data["EURUSD"] = ([1.1, 1.1], H)
    CircuitBreakers(BreakersConfig(stale_after_seconds=3600), book).evaluate(market, ["EURUSD"], H + 9_000 * 10**9)
    assert book.holds()[0][2].reason == "EURUSD last bar 2.5 h old"


def test_a_symbol_with_a_colon_is_released_when_fresh() -> None:
    book = StateBook()
    market = FakeMarket()
    sym = "poly:0xabc"
    market.data[sym] = ([0.5, 0.5], 0)
    br = CircuitBreakers(BreakersConfig(stale_after_seconds=3600), book)
    br.evaluate(market, [sym], 2 * H)
    assert book.sources(f"instrument:{sym}") == [f"stale:{sym}"]
    market.data[sym] = ([0.5, 0.5], 2 * H)
    br.evaluate(market, [sym], 2 * H)
    assert book.holds() == []


def test_a_hold_past_its_expiry_is_released_at_the_next_check() -> None:
    book = StateBook()
    book.set("instrument:SPX", "extreme_move:SPX", TradingState.REDUCING, "moved", 100, expires_ns=200)
    book.expire(250)  # no check fell on the expiry itself
    assert book.holds() == []


def test_effective_keeps_the_strictest_whatever_the_order() -> None:
    book = StateBook()
    book.set("venue:coinbase", "b", TradingState.HALTED, "y", 1)
    book.set("class:crypto", "a", TradingState.REDUCING, "x", 2)
    assert book.effective(["venue:coinbase", "class:crypto", "instrument:BTC"])[0] is TradingState.HALTED


def test_a_fleet_scope_read_from_a_config_file_holds_the_fleet() -> None:
    scope = "".join(["fl", "eet"])  # a string built at run time, as a parsed config value is
    cfg = BreakersConfig.model_validate({"extreme_move_scope": scope, "stale_after_seconds": None})
    assert CircuitBreakers(cfg, StateBook()).scope("BTC", cfg.extreme_move_scope) == "fleet"


def test_stale_is_measured_from_the_last_bar_not_from_zero() -> None:
    cfg = BreakersConfig(stale_after_seconds=7200)
    for now, stale in ((5 * H + 2 * H, False), (5 * H + 2 * H + 1, True)):
        book = StateBook()
        market = FakeMarket()
        market.data["EURUSD"] = ([1.1, 1.1], 5 * H)
        CircuitBreakers(cfg, book).evaluate(market, ["EURUSD"], now)
        assert bool(book.holds()) is stale
