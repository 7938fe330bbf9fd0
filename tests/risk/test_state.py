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
