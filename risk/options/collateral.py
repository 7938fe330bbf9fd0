"""Collateral and maximum loss of option structures, from their payoff at expiry.

The legs on one underlying (plus the long underlying units held against them) have a
piecewise-linear payoff in the underlying price at expiry, with kinks at the strikes. Its
minimum over ``S >= 0`` is found at ``S = 0``, at a strike, or towards infinity (the slope
beyond the highest strike). From it:

- a cash-secured put reserves its strike times the contracts;
- a covered call reserves nothing beyond the shares it is written against;
- a vertical spread, an iron condor or a collar reserves its maximum loss (the width);
- a short call not covered by shares or long calls has an unbounded loss: *naked*, and
  refused unless the account allows naked options (then it reserves ``naked_margin`` times
  the uncovered underlying notional, a Reg-T-style figure).

Calendar legs are treated as if they all expired together at intrinsic value. That is
conservative for a long far leg and understates a short far leg, so a structure whose
short leg expires after a long leg of the same kind is flagged ``mixed_expiry`` for the
caller to refuse or margin separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tradefleet.risk.options.book import OptionLeg


@dataclass(frozen=True, slots=True)
class StructureRisk:
    """Reserve needed, maximum loss at expiry (both >= 0, None when unbounded), naked flag."""

    underlying: str
    collateral: float | None
    max_loss: float | None
    net_premium: float          # paid (+) or received (-) when opened, in currency
    naked_units: float          # underlying units of short calls not covered (0 unless naked)
    mixed_expiry: bool

    @property
    def naked(self) -> bool:
        return self.naked_units > 0

    def allowed(self, allow_naked: bool) -> bool:
        """Return whether the structure may be opened under the account's naked-option rule."""
        return allow_naked or not (self.naked or self.mixed_expiry)

    def reserve(self, spot: float, naked_margin: float = 0.2) -> float:
        """Return the cash to reserve: the collateral, or the naked margin when unbounded."""
        if self.collateral is not None:
            return self.collateral
        return naked_margin * spot * self.naked_units


def _payoff(legs: Sequence[OptionLeg], shares: float, s: float) -> float:
    total = shares * s
    for leg in legs:
        c = leg.contract
        value = max(s - c.strike, 0.0) if c.kind == "call" else max(c.strike - s, 0.0)
        total += value * leg.contracts * c.multiplier
    return total


def structure_risk(legs: Sequence[OptionLeg], shares_held: float = 0.0) -> StructureRisk:
    """Return the collateral and maximum loss of ``legs`` (one underlying) at expiry.

    ``shares_held`` is the long underlying held against the legs (covered calls); short
    underlying is not collateral and is ignored.
    """
    if not legs:
        raise ValueError("structure_risk: no legs")
    underlyings = {leg.contract.underlying for leg in legs}
    if len(underlyings) != 1:
        raise ValueError(f"structure_risk: legs on several underlyings {sorted(underlyings)}")
    shares = max(shares_held, 0.0)
    strikes = sorted({leg.contract.strike for leg in legs})
    points = [0.0, *strikes]
    low = min(_payoff(legs, shares, s) for s in points)
    slope = shares + sum(leg.contracts * leg.contract.multiplier for leg in legs if leg.contract.kind == "call")
    premium = sum(leg.premium * leg.contracts * leg.contract.multiplier for leg in legs)
    naked_units = max(0.0, -slope) if slope < -1e-9 else 0.0
    mixed = _short_outlives_long(legs)
    collateral = None if naked_units else max(0.0, -low)
    max_loss = None if naked_units else max(0.0, -low + premium)
    return StructureRisk(next(iter(underlyings)), collateral, max_loss, premium, naked_units, mixed)


def _short_outlives_long(legs: Sequence[OptionLeg]) -> bool:
    for short in legs:
        if short.contracts >= 0:
            continue
        for long in legs:
            if (long.contracts > 0 and long.contract.kind == short.contract.kind
                    and long.contract.expiry < short.contract.expiry):
                return True
    return False
