"""The direction of an option structure on its underlying, for the contradiction check.

A bot's positions on one underlying (its shares and every option on it, read from their OCC
symbols) are ONE bet: a covered call is long, a protective put is long, a bull call spread
is long, an iron condor is neutral. Judging each leg alone would call a condor's short call
"short" and its long put "short", so any other bot holding the underlying would refuse it
(and a long put "long", by its quantity's sign).

The direction is the sign of the structure's payoff at expiry from ``1 - BAND`` times the
lowest of its strikes and the spot to ``1 + BAND`` times the highest: positive when it
gains as the underlying rises through all of them, negative when it loses, 0 (neutral:
contradicts nothing) when the two ends agree to within a billionth of its gross size. So a
lone out-of-the-money option has the direction of its right, and a condor or straddle with
equal wings is neutral. A documented, deterministic rule; it needs no pricing model.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from tradefleet.orchestrator.occ import OccSymbolError, parse_occ

#: how far beyond the strikes and the spot the payoff is read, as a fraction of them
BAND = 0.05


@lru_cache(maxsize=65_536)
def _option(symbol: str) -> tuple[bool, float] | None:
    """(is a call, strike) of an OCC symbol; None for anything else (a share)."""
    try:
        spec = parse_occ(symbol)
    except OccSymbolError:
        return None
    return spec.right == "call", float(spec.strike)


def is_option(symbol: str) -> bool:
    """Whether ``symbol`` is an OCC option symbol (cached: the contradiction check asks per holding)."""
    return _option(symbol) is not None


def _payoff(symbol: str, qty: float, mult: float, s: float) -> float:
    opt = _option(symbol)
    if opt is None:  # a share (or any delta-one position) of the underlying
        return qty * mult * s
    call, strike = opt
    return qty * mult * (max(s - strike, 0.0) if call else max(strike - s, 0.0))


def direction(positions: Iterable[tuple[str, float, float]], spot: float | None) -> int:
    """+1, -1 or 0: the direction of ``positions`` ((symbol, signed quantity, multiplier) on
    one underlying) around ``spot`` (None: the middle of the option strikes)."""
    legs = [p for p in positions if p[1]]
    strikes = [opt[1] for opt in (_option(p[0]) for p in legs) if opt is not None]
    if spot is None:
        spot = sum(strikes) / len(strikes) if strikes else 0.0
    if not legs or not spot > 0:
        return 0
    lo, hi = min(strikes, default=spot), max(strikes, default=spot)
    lo, hi = min(lo, spot) * (1 - BAND), max(hi, spot) * (1 + BAND)
    slope = sum(_payoff(sym, q, m, hi) - _payoff(sym, q, m, lo) for sym, q, m in legs)
    size = sum(abs(q) * m for _, q, m in legs) * spot
    if abs(slope) <= 1e-9 * size:
        return 0
    return 1 if slope > 0 else -1
