"""Errors raised by option pricing, chains and strategies."""

from __future__ import annotations

from tradefleet.orchestrator.errors import DataError, TradefleetError


class OptionsError(TradefleetError):
    """An option could not be priced or analysed: the message names the input at fault."""


class OptionInputError(OptionsError):
    """A pricing input is out of range (spot, strike, expiry, volatility, steps, ...)."""


class ImpliedVolError(OptionsError):
    """No volatility reproduces the quoted price: it lies outside the no-arbitrage bounds,
    or the solver could not bracket it."""

    def __init__(self, message: str, price: float, lower: float, upper: float) -> None:
        super().__init__(message)
        self.price = price
        self.lower = lower
        self.upper = upper


class ChainDataError(DataError):
    """An option chain file or API answer is malformed (names the source, row and field)."""
