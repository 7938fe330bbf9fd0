"""The market maker of binary contracts (Kalshi and Polymarket): two-sided quotes around the
edge engine's fair value, skewed by inventory, bounded per market, withdrawn on stale data.

On every tick, for each of its contracts:

* **fair value**: :func:`~tradefleet.bots.prediction.edge.fair_value` of the contract from the
  sources in the snapshot whose age is within ``max_source_age_s`` (de-vigged book odds for
  sports, the forecast-implied probability otherwise); a contract without one is not quoted
  (``fallback_mid`` quotes around the venue mid instead, for contracts no source covers);
* **quotes**: a bid ``half_spread`` below and an ask ``half_spread`` above the fair value,
  both moved by ``-skew x position / max_inventory`` (long: lower both, to sell more and buy
  less; short: raise both), rounded outward to the cent, kept post-only (strictly inside the
  other side of the book) and within 1c..99c;
* **one intent**: a :class:`~tradefleet.orchestrator.intents.Quote` with the inventory bound
  ``max_inventory`` (the dispatcher trims a side whose levels, all filled, would pass it) and
  the refresh threshold (a move smaller than ``refresh`` leaves the resting levels alone);
* **withdrawal**: a :class:`~tradefleet.orchestrator.intents.Cancel` of the resting quote
  when the contract's book is missing or older than ``max_quote_age_s``, when its fair value
  is gone (its sources stale or unavailable), or when the quote guard finds the book
  unstable. A fleet halt withdraws every quote (the dispatcher).

The paper broker and the replay fill resting levels only against public trade prints that
trade through them, or at them once the displayed size queued ahead has traded; never on
the quote itself.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from pydantic import Field

from tradefleet.bots.prediction.base import PREDICTION_POLL, PredictionBot
from tradefleet.bots.prediction.edge import fair_value
from tradefleet.bots.prediction.market import BinaryQuote, PredictionSnapshot
from tradefleet.orchestrator.bot import BotParams, BotSpec, TickContext
from tradefleet.orchestrator.domain import AssetClass

TICK = 0.01


class MakerParams(BotParams):
    """Width, size, inventory bound, skew and staleness limits of :class:`MarketMakerBot`."""

    half_spread: float = Field(0.02, gt=0, le=0.25, description="distance of each side from fair value, $")
    size: int = Field(10, ge=1, le=100_000, description="contracts per side")
    max_inventory: int = Field(50, ge=1, le=1_000_000, description="position bound per market, contracts")
    skew: float = Field(0.02, ge=0, le=0.25, description="shift of both sides at full inventory, $")
    refresh: float = Field(0.02, ge=0, le=1, description="relative move that re-quotes resting levels")
    max_quote_age_s: float = Field(600.0, gt=0, description="an older book withdraws the quote")
    max_source_age_s: float = Field(6 * 3600.0, gt=0, description="older sources do not make the fair value")
    fallback_mid: bool = Field(False, description="quote around the mid where no source gives a fair value")


class MarketMakerBot(PredictionBot):
    """Two-sided quotes on binary contracts around the edge engine's fair value."""

    description: ClassVar[str] = "Market maker: two-sided quotes around fair value, inventory skew and bound"
    Params: ClassVar[type[BotParams]] = MakerParams
    params: MakerParams
    cooldown_minutes: ClassVar[int] = 0

    def evaluate(self, snap: PredictionSnapshot, symbol: str) -> None:
        return None  # quotes are built in on_tick

    def quote_id(self, bot: str, symbol: str) -> str:
        return f"mm:{bot}:{symbol}"

    def on_tick(self, ctx: TickContext) -> list[Any]:
        from tradefleet.orchestrator.intents import Cancel

        snap = ctx.data
        if not isinstance(snap, PredictionSnapshot):
            return []
        out: list[Any] = []
        for symbol in ctx.instruments:
            qid = self.quote_id(ctx.bot, symbol)
            q = snap.quotes.get(symbol)
            why = self._unquotable(snap, q, ctx.now_ns)
            intent = None
            if why is None and q is not None:
                fair, basis = self.fair(snap, symbol, q)
                if fair is None:
                    why = "no fair value (sources stale or missing)"
                else:
                    intent = self.quote(ctx, symbol, q, fair, basis, qid)
                    if intent is None:
                        why = "no room for a two-sided post-only quote"
            if intent is not None:
                self.skipped.pop(symbol, None)
                out.append(intent)
            else:
                self.skipped[symbol] = why or "no quote"
                out.append(Cancel(qid))
        return out

    def _unquotable(self, snap: PredictionSnapshot, q: BinaryQuote | None, now_ns: int) -> str | None:
        if q is None:
            return "no book"
        age = (now_ns - q.ts_ns) / 1e9
        if age > self.params.max_quote_age_s:
            return f"stale book: {age:.0f}s > {self.params.max_quote_age_s:.0f}s"
        unstable = self.guard.check(q)
        self.guard.observe(q)
        return unstable

    def fair(self, snap: PredictionSnapshot, symbol: str, q: BinaryQuote) -> tuple[float | None, str]:
        """The edge engine's fair value of ``symbol`` from sources no older than the limit."""
        limit = self.params.max_source_age_s
        terms = snap.terms.get(symbol)
        books = snap.odds.get(symbol, ())
        if books and snap.ages.get(f"odds:{symbol}", 0.0) > limit:
            books = ()
        forecasts: tuple[Any, ...] = ()
        if terms is not None:
            forecasts = tuple(f for f in snap.forecasts.get(terms.variable, ())
                              if snap.ages.get(f"{f.source}:{terms.variable}", 0.0) <= limit)
        fair, basis = fair_value(terms, q, forecasts, books)
        if fair is None and self.params.fallback_mid:
            return q.mid, "mid"
        return fair, basis

    def quote(self, ctx: TickContext, symbol: str, q: BinaryQuote, fair: float, basis: str, qid: str) -> Any:
        """Bid and ask around ``fair``, skewed by the position; None when they cross."""
        from tradefleet.orchestrator.intents import Quote

        p = self.params
        held = float(ctx.held(symbol))
        inv = max(-1.0, min(1.0, held / p.max_inventory))
        center = fair - p.skew * inv
        bid = math.floor(round((center - p.half_spread) / TICK, 6)) * TICK
        ask = math.ceil(round((center + p.half_spread) / TICK, 6)) * TICK
        bid = round(max(TICK, min(bid, q.yes_ask - TICK)), 2)  # post-only: never at or through the ask
        ask = round(min(1 - TICK, max(ask, q.yes_bid + TICK)), 2)
        if bid >= ask:
            return None
        return Quote(symbol, bids=[(bid, p.size)], asks=[(ask, p.size)], max_inventory=p.max_inventory,
                     refresh=p.refresh, id=qid,
                     tag=f"mm fair {fair:.3f} ({basis}) inv {held:+g} bid {bid:.2f} ask {ask:.2f}")


PREDICTION_MARKET_MAKER = BotSpec(
    name="prediction-market-maker", bot=MarketMakerBot,
    instruments=("KXHIGHNY-T85", "KXCPI-T3.0", "KXNBA-LAL-BOS", "POLY-FED-CUT-DEC"),
    schedule=PREDICTION_POLL, timeframe="5m", asset_class=AssetClass.PREDICTION,
    params={"fallback_mid": True},
    description="Kalshi and Polymarket market maker: quotes around fair value, inventory-bounded",
)
