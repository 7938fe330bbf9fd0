"""The Greeks provider the portfolio risk gate calls once per clock tick.

:class:`tradefleet.risk.engine.PortfolioRiskGate` takes ``greeks_provider`` (from
``services.extras["greeks_provider"]``): a callable from the ledger's positions to an
object with ``delta``, ``gamma`` and ``vega``, checked against ``[risk.greeks]``
(``max_abs_delta`` "in underlying-currency units"). :class:`MarketGreeksProvider` is that
callable: it turns positions into option and share holdings (OCC symbols are options),
values the options with a :class:`~tradefleet.risk.options.portfolio.ModelPricer` at the market's
last close and a trailing realised vol of each underlying, and returns the book's
*currency* Greeks, which add up across underlyings:

``delta``  sum over underlyings of share-delta x spot (currency per 100 % move, i.e. the
           net delta-adjusted notional; shares count as delta 1)
``gamma``  sum of gamma x spot^2 / 100: the change in currency delta for a 1 % move
``theta``, ``vega``, ``rho``  already in currency (see :mod:`tradefleet.risk.options.greeks`)

Wire it with :func:`install_greeks_provider` when assembling the kernel's services.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tradefleet.risk.options.errors import OptionsError
from tradefleet.risk.options.greeks import Greeks
from tradefleet.risk.options.portfolio import ModelPricer, OptionPosition, portfolio_greeks_by_underlying, positions_from_book

if TYPE_CHECKING:
    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.domain import Position
    from tradefleet.orchestrator.pipeline.gate import MarketView
    from tradefleet.orchestrator.services import Services


def currency_greeks(by_underlying: Mapping[str, Greeks], spots: Mapping[str, float]) -> Greeks:
    """Convert per-underlying Greeks (delta in shares) to currency Greeks and add them up."""
    total = Greeks()
    for symbol, g in by_underlying.items():
        s = spots[symbol]
        total = total + Greeks(g.delta * s, g.gamma * s * s / 100.0, g.theta, g.vega, g.rho)
    return total


class MarketGreeksProvider:
    """Positions -> currency Greeks, priced at the market view's last closes."""

    def __init__(self, market: MarketView, clock: Clock, rate: float = 0.02, vol_window: int = 63,
                 min_vol: float = 0.05, dividends: Mapping[str, float] | None = None, steps: int = 100,
                 periods_per_year: int = 252) -> None:
        if vol_window < 5:
            raise OptionsError(f"greeks provider: vol_window must be >= 5, got {vol_window}")
        self.market, self.clock = market, clock
        self.rate, self.vol_window, self.min_vol = rate, vol_window, min_vol
        self.dividends = dict(dividends or {})
        self.steps, self.periods = steps, periods_per_year

    def spot(self, symbol: str) -> float:
        bar = self.market.last_bar(symbol)
        if bar is None or not bar.close > 0:
            raise OptionsError(f"greeks provider: no market price for {symbol}")
        return float(bar.close)

    def vol(self, symbol: str) -> float:
        """Return the trailing annualised realised vol of ``symbol`` (floored at ``min_vol``)."""
        closes = [c for c in self.market.closes(symbol, self.vol_window + 1) if c > 0]
        if len(closes) < 6:
            raise OptionsError(f"greeks provider: {len(closes)} closes of {symbol}, need 6 for a vol")
        rets = [math.log(b / a) for a, b in zip(closes[:-1], closes[1:], strict=True)]
        mean = sum(rets) / len(rets)
        var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
        return max(math.sqrt(var * self.periods), self.min_vol)

    def __call__(self, positions: Iterable[Position]) -> Greeks:
        book = [p for p in positions_from_book(positions) if p.quantity != 0]
        symbols = {p.contract.underlying if isinstance(p, OptionPosition) else p.symbol for p in book}
        if not symbols:
            return Greeks()
        spots = {s: self.spot(s) for s in symbols}
        optioned = {p.contract.underlying for p in book if isinstance(p, OptionPosition)}
        pricer = ModelPricer(self.clock.now_ns(), spots, {s: self.vol(s) for s in optioned}, self.rate,
                             self.dividends, self.steps)
        return currency_greeks(portfolio_greeks_by_underlying(book, pricer), spots)


def install_greeks_provider(services: Services, **kwargs: Any) -> MarketGreeksProvider:
    """Put a :class:`MarketGreeksProvider` in ``services.extras["greeks_provider"]``."""
    provider = MarketGreeksProvider(services.market, services.clock, **kwargs)
    services.extras["greeks_provider"] = provider
    return provider
