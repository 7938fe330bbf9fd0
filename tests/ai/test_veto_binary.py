"""The ``rules`` veto on binary contracts: a SHORT signal's entry is the NO price (1 - YES
bid), so the drift check must compare NO with NO, on Kalshi and Polymarket alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradefleet.ai.config import VetoConfig
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.ai.veto.rules import RulesVeto
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import AssetClass, Bar, Direction, Signal
from tests.ai.fakes import make_ctx, make_spec

VENUES = {"kalshi": "KXHIGHNY-T90", "polymarket": "POLY-FED-CUT-DEC"}


class BinaryBook:
    """A YES book with a real spread (bid, ask), as the prediction tick source loads it."""

    def __init__(self, symbol: str, ts: int, bid: float, ask: float) -> None:
        self.bar = Bar(symbol, ts, (bid + ask) / 2, ask, bid, (bid + ask) / 2, 0.0)
        self.bid, self.ask = bid, ask

    def last_bar(self, symbol: str) -> Bar | None:
        return self.bar if symbol == self.bar.symbol else None

    def quote(self, symbol: str) -> tuple[float, float] | None:
        return (self.bid, self.ask) if symbol == self.bar.symbol else None

    def closes(self, symbol: str, n: int) -> list[float]:
        return [self.bar.close]


def _review(venue: str, direction: Direction, entry: float, bid: float, ask: float):
    clock = SimClock(datetime(2024, 12, 2, 15, 0, tzinfo=UTC))
    symbol = VENUES[venue]
    spec = make_spec(instrument=symbol, asset_class=AssetClass.PREDICTION, timeframe="5m", calendar="CRYPTO")
    market = BinaryBook(symbol, clock.now_ns(), bid, ask)
    sig = Signal("t-bot", symbol, direction, 0.9, entry, clock.now_ns(), clock.now_ns())
    return RulesVeto(VetoConfig(), SignalTracker()).review(sig, make_ctx(clock, spec, market))


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_binary_short_at_the_no_price_passes(venue: str) -> None:
    # buy NO at 1 - 0.05 = 0.95: the bot's entry is the NO price it pays
    v = _review(venue, Direction.SHORT, entry=0.95, bid=0.05, ask=0.07)
    assert v.approve, v.detail


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_binary_long_at_the_yes_ask_passes(venue: str) -> None:
    v = _review(venue, Direction.LONG, entry=0.07, bid=0.05, ask=0.07)
    assert v.approve, v.detail


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_binary_short_vetoed_when_no_price_ran_away(venue: str) -> None:
    # the bot saw NO at 0.80 (YES bid 0.20); YES bid fell to 0.10, so NO now costs 0.90 (+12.5%)
    v = _review(venue, Direction.SHORT, entry=0.80, bid=0.10, ask=0.12)
    assert not v.approve and v.reason == "price_past_entry"
    assert "0.9 " in v.detail and "past entry 0.8" in v.detail


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_binary_long_vetoed_when_yes_ask_ran_away(venue: str) -> None:
    v = _review(venue, Direction.LONG, entry=0.20, bid=0.28, ask=0.30)
    assert not v.approve and v.reason == "price_past_entry"


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_binary_short_cheaper_no_passes(venue: str) -> None:
    # NO got cheaper than the entry (YES bid rose): better for a NO buyer, not a veto
    v = _review(venue, Direction.SHORT, entry=0.80, bid=0.25, ask=0.27)
    assert v.approve, v.detail
