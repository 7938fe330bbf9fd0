"""The default portfolio-Greeks provider of the risk gate, built on :mod:`tradefleet.risk.options`.

When a ``[risk.greeks]`` limit is set and nothing else was wired
(``services.extras["greeks_provider"]``), the gate calls a
:class:`MarketGreeksProvider` once per tick with the ledger's positions. Held OCC option
symbols are valued by :class:`tradefleet.risk.options.portfolio.ModelPricer` at each underlying's last
close and its realised volatility (annualised standard deviation of the last
``lookback`` log returns); shares add their quantity to delta. With no option held it
returns the shares' delta only and skips the pricer.

Underlyings whose market data is missing make the provider return ``None`` (unknown),
which the gate treats as "no Greek limit can be checked": the trade is judged by the
other limits and the report says ``greeks: unmeasured``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.domain import Position
from tradefleet.orchestrator.pipeline.gate import MarketView

PERIODS_PER_YEAR = 252.0


class MarketGreeksProvider:
    """Callable: ledger positions -> :class:`tradefleet.risk.options.greeks.Greeks` (or None)."""

    def __init__(self, market: MarketView, clock: Clock, rate: float = 0.0, lookback: int = 60,
                 periods_per_year: float = PERIODS_PER_YEAR) -> None:
        self.market = market
        self.clock = clock
        self.rate = rate
        self.lookback = lookback
        self.periods_per_year = periods_per_year

    def realised_vol(self, symbol: str) -> float | None:
        """Return the annualised realised volatility of ``symbol``'s closes, or None."""
        closes = self.market.closes(symbol, self.lookback + 1)
        if len(closes) < 3 or min(closes) <= 0:
            return None
        r = [math.log(b / a) for a, b in zip(closes[:-1], closes[1:], strict=True)]
        mean = sum(r) / len(r)
        var = sum((x - mean) ** 2 for x in r) / (len(r) - 1)
        return math.sqrt(var * self.periods_per_year) if var > 0 else None

    def __call__(self, positions: Sequence[Position]) -> Any:
        from tradefleet.risk.options.greeks import Greeks
        from tradefleet.risk.options.portfolio import ModelPricer, OptionPosition, portfolio_greeks, positions_from_book

        book = positions_from_book(p for p in positions if p.quantity)
        options = [p for p in book if isinstance(p, OptionPosition)]
        if not options:
            return Greeks(delta=sum(float(getattr(p, "quantity", 0.0)) for p in book))
        spots: dict[str, float] = {}
        vols: dict[str, float] = {}
        for u in {p.contract.underlying for p in options}:
            spot, vol = self.market.last_close(u) if hasattr(self.market, "last_close") else None, self.realised_vol(u)
            if spot is None or vol is None:
                return None
            spots[u], vols[u] = float(spot), vol
        pricer = ModelPricer(self.clock.now_ns(), spots, vols, self.rate)
        return portfolio_greeks(book, pricer)
