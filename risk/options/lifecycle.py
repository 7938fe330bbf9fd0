"""Expiry, exercise and assignment of option legs, as cash and underlying movements.

At expiry every in-the-money leg is exercised (long) or assigned (short) at its intrinsic
value; the rest expire worthless. Physically settled contracts deliver the underlying at
the strike; cash-settled ones (index options) pay the intrinsic value in cash.

Early assignment of short American legs (documented rule, :func:`early_assignments`):
a short leg is assigned before expiry when it is in the money and its extrinsic value
(mark minus intrinsic, per share) has fallen below ``threshold`` — the holder then loses
less by exercising than by selling. Puts are the usual case; calls are assigned the same
way (there are no dividends in the bundled data to make an ex-dividend rule matter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tradefleet.risk.options.book import OptionLeg

Settlement = Literal["cash", "physical"]
Outcome = Literal["exercised", "assigned", "expired"]
DEFAULT_EARLY_THRESHOLD = 0.05  # dollars of extrinsic value per share


@dataclass(frozen=True, slots=True)
class LegSettlement:
    """What one leg's expiry or assignment does: cash in (+) or out (-), underlying units."""

    leg: OptionLeg
    outcome: Outcome
    intrinsic: float        # per share, at the settlement spot
    cash: float             # account cash change
    underlying: float       # underlying units received (+) or delivered (-)


def intrinsic(leg: OptionLeg, spot: float) -> float:
    """Return the leg's intrinsic value per share at ``spot``."""
    c = leg.contract
    return max(spot - c.strike, 0.0) if c.kind == "call" else max(c.strike - spot, 0.0)


def settle(leg: OptionLeg, spot: float, settlement: Settlement) -> LegSettlement:
    """Exercise, assign or expire ``leg`` at ``spot`` (expiry, or an early assignment)."""
    value = intrinsic(leg, spot)
    if value <= 0.0:
        return LegSettlement(leg, "expired", 0.0, 0.0, 0.0)
    c = leg.contract
    units = leg.contracts * c.multiplier            # + long, - short
    outcome: Outcome = "exercised" if units > 0 else "assigned"
    if settlement == "cash":
        return LegSettlement(leg, outcome, value, value * units, 0.0)
    # physical: a call holder buys at the strike, a put holder sells at the strike
    direction = 1.0 if c.kind == "call" else -1.0
    return LegSettlement(leg, outcome, value, -direction * c.strike * units, direction * units)


def early_assignments(legs: Sequence[OptionLeg], marks: Sequence[float], spots: Sequence[float],
                      threshold: float = DEFAULT_EARLY_THRESHOLD) -> list[int]:
    """Return the indices of short American legs assigned early under the documented rule."""
    out: list[int] = []
    for i, (leg, mark, spot) in enumerate(zip(legs, marks, spots)):
        if leg.contracts >= 0 or leg.contract.style != "american":
            continue
        value = intrinsic(leg, spot)
        if value > 0.0 and mark - value < threshold:
            out.append(i)
    return out
