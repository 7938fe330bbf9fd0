"""Listed option contracts as engine instruments, named by their OCC symbol.

An option is an :class:`~tradefleet.orchestrator.domain.Instrument` of asset class
``option`` whose ``option`` field is an :class:`OptionSpec` (underlying, expiry date,
right, strike, exercise style, settlement, multiplier) and whose symbol is the OCC
symbol without padding (``GOOG240119C00150000``: root, YYMMDD, C or P, strike x 1000 in
eight digits), which is also Alpaca's option symbol. Quantities of an option are
contracts, prices are per share of the underlying, so notional = quantity x price x
``multiplier`` (100); the ledger and the risk gate apply the multiplier.

The kernel knows only what a venue needs to book a contract: the pricing library
(Greeks, chains, collateral) is the risk component's :mod:`tradefleet.risk.options`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from tradefleet.orchestrator.domain import AssetClass, Instrument

Right = Literal["call", "put"]
Style = Literal["american", "european"]
Settlement = Literal["physical", "cash"]
EXPIRY_TIME = time(16, 0)  # US equity and index options stop trading at the 16:00 New York close
NEW_YORK = ZoneInfo("America/New_York")
_OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,5})\s*(\d{6})([CP])(\d{8})$")


class OccSymbolError(ValueError):
    """A string that is not an OCC option symbol."""


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """What one listed option contract is."""

    underlying: str
    expiry: date
    right: Right
    strike: Decimal
    style: Style = "american"
    settlement: Settlement = "physical"
    multiplier: Decimal = Decimal(100)

    def __post_init__(self) -> None:
        if self.right not in ("call", "put"):
            raise OccSymbolError(f"option on {self.underlying}: right {self.right!r} is not call/put")
        if not isinstance(self.strike, Decimal):
            object.__setattr__(self, "strike", Decimal(repr(float(self.strike))))
        if not self.strike > 0:
            raise OccSymbolError(f"option on {self.underlying}: strike {self.strike} must be > 0")

    @property
    def symbol(self) -> str:
        """The OCC symbol, e.g. ``GOOG240119C00150000``."""
        return occ_symbol(self.underlying, self.expiry, self.right, self.strike)

    def expiry_ns(self) -> int:
        """The last trading instant: 16:00 New York on the expiry date, UTC ns."""
        dt = datetime.combine(self.expiry, EXPIRY_TIME, NEW_YORK)
        return int(dt.timestamp()) * 1_000_000_000

    def intrinsic(self, spot: float) -> float:
        """Intrinsic value per share at ``spot``."""
        k = float(self.strike)
        return max(spot - k, 0.0) if self.right == "call" else max(k - spot, 0.0)


def occ_symbol(underlying: str, expiry: date, right: Right, strike: Decimal | float) -> str:
    """Render an OCC symbol (no root padding, as Alpaca writes it)."""
    k = Decimal(repr(float(strike))) if not isinstance(strike, Decimal) else strike
    milli = k * 1000
    if milli != milli.to_integral_value() or not 0 < milli < 10**8:
        raise OccSymbolError(f"strike {strike} cannot be written in an OCC symbol (0.001 steps, < 100000)")
    return f"{underlying.upper()}{expiry:%y%m%d}{'C' if right == 'call' else 'P'}{int(milli):08d}"


def parse_occ(symbol: str, style: Style = "american", settlement: Settlement = "physical",
              multiplier: Decimal = Decimal(100)) -> OptionSpec:
    """Parse an OCC symbol (padded or not) into a spec; raise :class:`OccSymbolError`."""
    m = _OCC.match(symbol.strip().upper())
    if m is None:
        raise OccSymbolError(f"option symbol {symbol!r} is not an OCC symbol like GOOG240119C00150000")
    root, ymd, cp, strike = m.groups()
    try:
        expiry = datetime.strptime(ymd, "%y%m%d").date()
    except ValueError:
        raise OccSymbolError(f"option symbol {symbol!r}: bad expiry date {ymd}") from None
    return OptionSpec(root, expiry, "call" if cp == "C" else "put", Decimal(int(strike)) / 1000, style, settlement,
                      multiplier)


def is_occ(symbol: str) -> bool:
    """Whether ``symbol`` reads as an OCC option symbol."""
    return _OCC.match(symbol.strip().upper()) is not None


def option_instrument(spec: OptionSpec, venue: str = "paper", tick: Decimal = Decimal("0.01")) -> Instrument:
    """The engine instrument of ``spec``: one-contract lots, the spec's multiplier and expiry."""
    return Instrument(spec.symbol, AssetClass.OPTION, venue, tick_size=tick, lot_size=Decimal(1),
                      venue_symbol=spec.symbol, multiplier=spec.multiplier, expiry_ns=spec.expiry_ns(), option=spec)


def multiplier(symbol: str, instruments: Mapping[str, Instrument]) -> Decimal | None:
    """The contract multiplier of ``symbol``: its instrument's, else 100 for an OCC symbol
    not listed (yet: a position restored before its chain is read), else None (unknown)."""
    inst = instruments.get(symbol)
    if inst is not None:
        return inst.multiplier
    return Decimal(100) if is_occ(symbol) else None
