"""Shared machinery of the prediction-market event bots: snapshot access, signal building,
re-entry cooldown and blocking of contradictory threshold positions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from tradefleet.bots.prediction.guards import GuardLimits, QuoteGuard
from tradefleet.bots.prediction.market import BinaryQuote, ContractTerms, PredictionSnapshot
from tradefleet.orchestrator.bot import EventBot, Schedule, TickContext
from tradefleet.orchestrator.domain import Direction, Signal

#: Prediction bots poll every five minutes around the clock.
PREDICTION_POLL = Schedule.interval("5m", timezone="UTC", calendar="CRYPTO")
MINUTE_NS = 60 * 1_000_000_000


@dataclass
class _Interval:
    lo: float = float("-inf")  # the variable is believed > lo
    hi: float = float("inf")   # and <= hi


class PredictionBot(EventBot):
    """Base of the prediction bots: subclasses implement ``evaluate(snapshot, symbol)``."""

    family: ClassVar[str] = "prediction"
    supports_backtest: ClassVar[bool] = True  # by replaying recorded snapshots
    tick_source: ClassVar[str | None] = "prediction-snapshots"
    cooldown_minutes: ClassVar[int] = 30
    guard_limits: ClassVar[GuardLimits] = GuardLimits()

    def __init__(self, params: Any = None) -> None:
        super().__init__(params)
        self._last_entry: dict[str, int] = {}
        self._beliefs: dict[str, _Interval] = {}
        self.guard = QuoteGuard(self.guard_limits)
        #: why each contract was last skipped by a guard (observability for tests and the dashboard)
        self.skipped: dict[str, str] = {}

    # -- the tick -------------------------------------------------------------------------
    def on_tick(self, ctx: TickContext) -> list[Signal]:
        snap = ctx.data
        if not isinstance(snap, PredictionSnapshot):
            return []
        out: list[Signal] = []
        for symbol in ctx.instruments:
            quote = snap.quotes.get(symbol)
            if quote is None:
                continue
            unstable = self.guard.check(quote)
            self.guard.observe(quote)
            if unstable is not None:
                self.skipped[symbol] = unstable
                continue
            found = self.evaluate(snap, symbol)
            if found is None:
                continue
            side, confidence, price, meta = found
            if symbol in snap.flow:  # the whale tracker's estimate: a vote in the ensemble
                meta = {**meta, "flow": snap.flow[symbol]}
            if not self._admit(ctx.now_ns, snap.terms.get(symbol), symbol, side):
                continue
            out.append(Signal(
                bot=ctx.bot, instrument=symbol, direction=Direction.from_sign(side), confidence=confidence,
                entry=price, ts_event=snap.quotes[symbol].ts_ns, ts_init=ctx.now_ns, meta=meta,
            ))
        return out

    def evaluate(self, snap: PredictionSnapshot, symbol: str) -> tuple[int, float, float, dict[str, Any]] | None:
        """Return (side, confidence, price of the side, evidence) or None."""
        raise NotImplementedError

    # -- gates ----------------------------------------------------------------------------
    def _admit(self, now_ns: int, terms: ContractTerms | None, symbol: str, side: int) -> bool:
        """Apply the re-entry cooldown and the contradictory-threshold block; record the entry."""
        last = self._last_entry.get(symbol)
        if last is not None and now_ns - last < self.cooldown_minutes * MINUTE_NS:
            return False
        if terms is not None:
            belief = self._beliefs.get(terms.variable, _Interval())
            new = implied_interval(terms, side, belief)
            if new.lo >= new.hi:
                return False
            self._beliefs[terms.variable] = new
        self._last_entry[symbol] = now_ns
        return True


def implied_interval(terms: ContractTerms, side: int, current: _Interval) -> _Interval:
    """Narrow ``current`` by what taking ``side`` on ``terms`` asserts about the variable."""
    yes_above = (side > 0) == terms.above  # True: we bet the variable ends above the strike
    if yes_above:
        return _Interval(max(current.lo, terms.strike), current.hi)
    return _Interval(current.lo, min(current.hi, terms.strike))


def spread_ok(quote: BinaryQuote, max_spread: float) -> bool:
    """Reject stale or spiking books: a spread wider than ``max_spread`` is not tradable."""
    return quote.yes_ask - quote.yes_bid <= max_spread
