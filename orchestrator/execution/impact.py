"""The market-impact model: what trading a quantity is expected to cost, before it trades.

Model ``linear-ac2000`` (Almgren and Chriss, 2000, section 4's calibration): a fixed cost
of half the spread per unit, a temporary impact linear in the trading rate and a
permanent impact linear in the quantity, with the textbook coefficients

- temporary: trading 1 % of the average daily volume per day moves the price one spread,
  ``eta = spread * 86_400 / (0.01 * adv)`` (currency per unit per unit/second);
- permanent: each 10 % of the daily volume moves the price one spread,
  ``gamma = spread / (0.1 * adv)``;

each multiplied by a calibrated scale (1 until live fills say otherwise, see
:func:`calibrate_eta_scale`). Trading ``q`` evenly over ``horizon_s`` then costs, per unit,
``spread / 2 + eta_tilde * q / horizon_s + gamma * q / 2``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator.execution.algos.almgren_chriss import ImpactParams

MODEL_NAME = "linear-ac2000"
DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class ImpactScales:
    """Calibrated multipliers on the textbook coefficients, with the version that set them."""

    eta: float = 1.0
    gamma: float = 1.0
    version: str = "default"


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Expected cost of a trade, in currency, split by source."""

    quantity: float
    price: float
    spread: float
    temporary: float
    permanent: float
    model: str = MODEL_NAME

    @property
    def total(self) -> float:
        return self.spread + self.temporary + self.permanent

    @property
    def per_unit(self) -> float:
        return self.total / self.quantity if self.quantity else 0.0

    @property
    def bps(self) -> float:
        notional = self.quantity * self.price
        return self.total / notional * 1e4 if notional else 0.0

    def as_data(self) -> dict[str, float | str]:
        return {"model": self.model, "quantity": self.quantity, "spread": round(self.spread, 6),
                "temporary": round(self.temporary, 6), "permanent": round(self.permanent, 6),
                "total": round(self.total, 6), "bps": round(self.bps, 4)}


class ImpactModel:
    """Expected cost and Almgren-Chriss parameters for one instrument's market."""

    name = MODEL_NAME

    def __init__(self, scales: ImpactScales | None = None) -> None:
        self.scales = scales or ImpactScales()

    def params(self, spread: float, adv: float, fees_per_unit: float = 0.0) -> ImpactParams:
        """Return ``eta``, ``gamma`` and ``epsilon`` for a market with this spread and volume."""
        if not (adv > 0 and math.isfinite(adv)):
            adv = float("inf")  # unknown volume: no measurable impact, only the spread
        spread = max(spread, 0.0)
        eta = self.scales.eta * spread * DAY_S / (0.01 * adv) if math.isfinite(adv) else 0.0
        gamma = self.scales.gamma * spread / (0.1 * adv) if math.isfinite(adv) else 0.0
        return ImpactParams(eta=max(eta, 1e-12), gamma=gamma, epsilon=spread / 2 + fees_per_unit)

    def estimate(self, quantity: float, price: float, spread: float, adv: float, horizon_s: float,
                 fees_per_unit: float = 0.0) -> CostEstimate:
        """Return the expected cost of trading ``quantity`` evenly over ``horizon_s``."""
        q = abs(quantity)
        p = self.params(spread, adv, fees_per_unit)
        horizon = max(horizon_s, 1.0)
        eta_t = max(p.eta - 0.5 * p.gamma * horizon, 0.0)
        return CostEstimate(q, price, p.epsilon * q, eta_t * q * q / horizon, 0.5 * p.gamma * q * q)

    def max_quantity(self, budget_per_unit: float, spread: float, adv: float, horizon_s: float,
                     fees_per_unit: float = 0.0) -> float:
        """Return the largest quantity whose expected cost per unit stays within the budget."""
        p = self.params(spread, adv, fees_per_unit)
        room = budget_per_unit - p.epsilon
        if room <= 0:
            return 0.0
        horizon = max(horizon_s, 1.0)
        slope = max(p.eta - 0.5 * p.gamma * horizon, 0.0) / horizon + 0.5 * p.gamma
        return math.inf if slope <= 0 else room / slope


def calibrate_eta_scale(samples: Iterable[tuple[float, float, float, float]], current: float = 1.0,
                        min_samples: int = 20) -> float:
    """Return the temporary-impact scale that best explains live child fills.

    Each sample is ``(rate, impact_per_unit, spread, adv)``: the child's trading rate
    (units per second), the price paid beyond the touch per unit, and its market's spread
    and volume. The textbook ``eta`` predicts ``scale * eta0 * rate``; the least-squares
    scale through the origin is returned, bounded to [0.1, 10], or ``current`` with fewer
    than ``min_samples`` samples. Only fills from live venues may be used: paper fills only
    measure the paper broker's own assumptions.
    """
    num = den = 0.0
    n = 0
    for rate, impact, spread, adv in samples:
        if not (rate > 0 and spread > 0 and adv > 0):
            continue
        x = spread * DAY_S / (0.01 * adv) * rate
        num += x * impact
        den += x * x
        n += 1
    if n < min_samples or den <= 0:
        return current
    return float(min(max(num / den, 0.1), 10.0))
