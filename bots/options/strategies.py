"""Builders of the classic option strategies, premiums priced by Black-Scholes-Merton.

Each builder takes a :class:`Market` (spot, rate, vol, dividend yield, expiry in years)
and strikes, prices every option leg at the model value, and returns an
:class:`~tradefleet.bots.options.payoff.OptionStrategy`. :func:`build` dispatches by name (the names
the CLI accepts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from tradefleet.bots.options.payoff import Leg, OptionStrategy
from tradefleet.risk.options.bsm import bsm_price
from tradefleet.risk.options.errors import OptionInputError


@dataclass(frozen=True)
class Market:
    """What the legs are priced with."""

    spot: float
    rate: float
    vol: float
    expiry: float
    dividend: float = 0.0
    multiplier: float = 1.0

    def premium(self, kind: Literal["call", "put"], strike: float) -> float:
        return float(bsm_price(kind, self.spot, strike, self.expiry, self.rate, self.vol, self.dividend))

    def option(self, kind: Literal["call", "put"], strike: float, quantity: float) -> Leg:
        return Leg(kind, quantity, self.premium(kind, strike), strike)

    def stock(self, quantity: float, price: float | None = None) -> Leg:
        return Leg("stock", quantity, self.spot if price is None else price)

    def strategy(self, name: str, *legs: Leg) -> OptionStrategy:
        return OptionStrategy(name, tuple(legs), self.spot, self.expiry, self.multiplier)


def vertical(m: Market, kind: Literal["call", "put"], long_strike: float, short_strike: float,
             quantity: float = 1.0) -> OptionStrategy:
    """Buy one strike and sell another of the same kind and expiry.

    Names follow the view: a call spread long the lower strike is a *bull call spread*
    (debit); long the higher, a *bear call spread* (credit); a put spread long the higher
    strike is a *bear put spread* (debit), long the lower a *bull put spread* (credit).
    """
    if long_strike == short_strike:
        raise OptionInputError("vertical spread: the two strikes must differ")
    bull = long_strike < short_strike  # long the lower strike gains as the spot rises
    name = f"{'bull' if bull else 'bear'} {kind} spread"
    return m.strategy(name, m.option(kind, long_strike, quantity), m.option(kind, short_strike, -quantity))


def bull_call_spread(m: Market, lower: float, upper: float) -> OptionStrategy:
    """Long the lower call, short the upper call (debit, bullish)."""
    _ordered(lower, upper)
    return vertical(m, "call", lower, upper)


def bear_put_spread(m: Market, lower: float, upper: float) -> OptionStrategy:
    """Long the upper put, short the lower put (debit, bearish)."""
    _ordered(lower, upper)
    return vertical(m, "put", upper, lower)


def bull_put_spread(m: Market, lower: float, upper: float) -> OptionStrategy:
    """Short the upper put, long the lower put (credit, bullish)."""
    _ordered(lower, upper)
    return vertical(m, "put", lower, upper)


def bear_call_spread(m: Market, lower: float, upper: float) -> OptionStrategy:
    """Short the lower call, long the upper call (credit, bearish)."""
    _ordered(lower, upper)
    return vertical(m, "call", upper, lower)


def covered_call(m: Market, strike: float) -> OptionStrategy:
    """Hold the underlying and sell a call against it."""
    return m.strategy("covered call", m.stock(1.0), m.option("call", strike, -1.0))


def protective_put(m: Market, strike: float) -> OptionStrategy:
    """Hold the underlying and buy a put under it."""
    return m.strategy("protective put", m.stock(1.0), m.option("put", strike, 1.0))


def iron_condor(m: Market, put_long: float, put_short: float, call_short: float,
                call_long: float) -> OptionStrategy:
    """Sell a put spread and a call spread around the spot (credit, range-bound view)."""
    if not put_long < put_short <= call_short < call_long:
        raise OptionInputError("iron condor strikes must satisfy put_long < put_short <= call_short < call_long, "
                               f"got {put_long:g}, {put_short:g}, {call_short:g}, {call_long:g}")
    return m.strategy("iron condor", m.option("put", put_long, 1.0), m.option("put", put_short, -1.0),
                      m.option("call", call_short, -1.0), m.option("call", call_long, 1.0))


def wheel(m: Market, strike: float, phase: Literal["put", "call"] = "put",
          cost_basis: float | None = None) -> OptionStrategy:
    """One leg of the wheel: ``put`` phase sells a cash-secured put at ``strike``; ``call``
    phase holds the assigned shares (bought at ``cost_basis``, default spot) and sells a
    covered call at ``strike``."""
    if phase == "put":
        return m.strategy("wheel (cash-secured put)", m.option("put", strike, -1.0))
    if phase == "call":
        return m.strategy("wheel (covered call)", m.stock(1.0, cost_basis), m.option("call", strike, -1.0))
    raise OptionInputError(f"wheel phase {phase!r}: use 'put' or 'call'")


def _ordered(lower: float, upper: float) -> None:
    if not lower < upper:
        raise OptionInputError(f"spread strikes must be lower < upper, got {lower:g}, {upper:g}")


Builder = Callable[[Market, Sequence[float]], OptionStrategy]


def _need(name: str, strikes: Sequence[float], n: int) -> Sequence[float]:
    if len(strikes) != n:
        raise OptionInputError(f"strategy {name} takes {n} strike(s), got {len(strikes)}")
    return strikes


STRATEGIES: dict[str, Builder] = {
    "bull-call-spread": lambda m, k: bull_call_spread(m, *_need("bull-call-spread", k, 2)),
    "bear-put-spread": lambda m, k: bear_put_spread(m, *_need("bear-put-spread", k, 2)),
    "bull-put-spread": lambda m, k: bull_put_spread(m, *_need("bull-put-spread", k, 2)),
    "bear-call-spread": lambda m, k: bear_call_spread(m, *_need("bear-call-spread", k, 2)),
    "covered-call": lambda m, k: covered_call(m, *_need("covered-call", k, 1)),
    "protective-put": lambda m, k: protective_put(m, *_need("protective-put", k, 1)),
    "iron-condor": lambda m, k: iron_condor(m, *_need("iron-condor", k, 4)),
    "wheel-put": lambda m, k: wheel(m, *_need("wheel-put", k, 1), phase="put"),
    "wheel": lambda m, k: wheel(m, *_need("wheel", k, 1), phase="put"),
    "wheel-call": lambda m, k: wheel(m, *_need("wheel-call", k, 1), phase="call"),
}


def build(name: str, market: Market, strikes: Sequence[float]) -> OptionStrategy:
    """Build strategy ``name`` (a key of :data:`STRATEGIES`) with ``strikes`` ascending."""
    try:
        builder = STRATEGIES[name]
    except KeyError:
        raise OptionInputError(f"unknown strategy {name!r} (choose from {', '.join(STRATEGIES)})") from None
    return builder(market, list(strikes))
