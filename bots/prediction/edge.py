"""Edge arithmetic for binary contracts: fees, de-vigging, model probabilities, consensus.

``edge = model probability - price paid - fee``, computed for both YES and NO.
"""

from __future__ import annotations

import math
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from tradefleet.bots.prediction.market import BinaryQuote, BookOdds, ContractTerms, Forecast


@lru_cache(maxsize=4096)
def kalshi_fee(price: float, contracts: int = 1, rate: float = 0.07) -> float:
    """Kalshi taker fee in dollars: ``ceil_to_cent(rate * C * P * (1 - P))`` (cached: prices
    are cents, so a replay asks for the same few values millions of times)."""
    raw = rate * contracts * price * (1.0 - price)
    return math.ceil(round(raw * 100, 9)) / 100.0


def venue_fee(quote: BinaryQuote, price: float, contracts: int = 100) -> float:
    """Per-contract taker fee of ``quote``'s venue at ``price`` for an order of
    ``contracts`` (Kalshi rounds each order's fee up to the cent; Polymarket: none)."""
    if quote.venue == "kalshi":
        return kalshi_fee(price, contracts) / contracts
    return 0.0


def normal_sf(x: float, mean: float, sigma: float) -> float:
    """P(X > x) for X ~ N(mean, sigma)."""
    if sigma <= 0:
        return 1.0 if mean > x else 0.0
    return 0.5 * math.erfc((x - mean) / (sigma * math.sqrt(2.0)))


def prob_from_forecast(terms: ContractTerms, fc: Forecast) -> float:
    """P(contract pays YES) under one forecast.

    With ensemble members, each member is dressed with a normal of ``fc.sigma`` (kernel
    dressing) and the probabilities averaged; otherwise the normal (mean, sigma) is used.
    """
    if fc.members:
        p = sum(normal_sf(terms.strike, m, fc.sigma) for m in fc.members) / len(fc.members)
    else:
        p = normal_sf(terms.strike, fc.mean, fc.sigma)
    return p if terms.above else 1.0 - p


def devig(odds: BookOdds) -> float:
    """The book's fair YES probability with its margin removed (multiplicative method)."""
    iy, in_ = 1.0 / odds.yes, 1.0 / odds.no
    return iy / (iy + in_)


@dataclass(frozen=True)
class Edge:
    """The best side to take on a contract and its expected value per contract."""

    side: int          # 1 buy YES, -1 buy NO, 0 nothing worth it
    edge: float        # expected profit per contract after fees, in dollars
    price: float       # what the chosen side costs
    prob: float        # model probability of YES


def best_edge(p_yes: float, quote: BinaryQuote, min_edge: float, max_price: float = 1.0) -> Edge:
    """Compare buying YES at the ask and NO at ``1 - bid`` against ``p_yes``.

    A side counts only if its edge is at least ``min_edge`` and its price at most ``max_price``.
    """
    yes_edge = p_yes - quote.yes_ask - venue_fee(quote, quote.yes_ask)
    no_edge = (1.0 - p_yes) - quote.no_ask - venue_fee(quote, quote.no_ask)
    options = [(yes_edge, 1, quote.yes_ask), (no_edge, -1, quote.no_ask)]
    options = [o for o in options if o[0] >= min_edge and o[2] <= max_price and o[2] > 0]
    if not options:
        return Edge(0, max(yes_edge, no_edge), 0.0, p_yes)
    e, side, price = max(options)
    return Edge(side, e, price, p_yes)


def consensus(probs: Sequence[float], price_yes: float, min_sources: int = 2) -> float | None:
    """Return the mean probability if at least ``min_sources`` sources exist and all of them
    sit on the same side of the market price; else None (no consensus)."""
    if len(probs) < min_sources:
        return None
    above = [p > price_yes for p in probs]
    if all(above) or not any(above):
        return sum(probs) / len(probs)
    return None


def book_consensus(books: Sequence[BookOdds], min_books: int = 2, max_spread: float = 0.05) -> float | None:
    """Median de-vigged probability across books, if enough books agree within ``max_spread``."""
    if len(books) < min_books:
        return None
    fair = [devig(b) for b in books]
    if max(fair) - min(fair) > max_spread:
        return None
    return float(median(fair))


def forecast_probs(terms: ContractTerms, forecasts: Sequence[Forecast], sources: Sequence[str]) -> list[float]:
    """Probabilities of YES from the forecasts whose source is among ``sources``."""
    return [prob_from_forecast(terms, f) for f in forecasts if f.source in sources]


def fair_value(terms: ContractTerms | None, quote: BinaryQuote, forecasts: Sequence[Forecast],
               books: Sequence[BookOdds]) -> tuple[float | None, str]:
    """The edge engine's probability of YES for one contract and what it rests on: the
    de-vigged book consensus for sports (odds), else the mean of the forecast-implied
    probabilities of the contract's variable (every routed source), else None."""
    if books:
        fair = book_consensus(books, min_books=2, max_spread=1.0)
        if fair is not None:
            return fair, f"odds x{len(books)}"
    if terms is not None and forecasts:
        probs = [prob_from_forecast(terms, f) for f in forecasts]
        return sum(probs) / len(probs), "+".join(sorted({f.source for f in forecasts}))
    return None, ""
