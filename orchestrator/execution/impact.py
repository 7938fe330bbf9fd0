"""The market-impact model: what trading a quantity is expected to cost, before it trades.

Model ``linear-ac2000`` (Almgren and Chriss, 2000, section 4's calibration, stated on the
market's volume *rate* so it means the same on minute and daily bars): a fixed cost of
half the spread per unit, a temporary impact linear in our trading rate and a permanent
impact linear in the quantity, with the textbook coefficients

- temporary: trading at 1 % of the market's volume rate moves the price one spread,
  ``eta = spread / (0.01 * rate)`` (currency per unit per unit/second), where ``rate`` is
  the market's average volume per second (mean bar volume / bar length);
- permanent: each 10 % of a day's volume (``rate * 86_400``) moves the price one spread,
  ``gamma = spread / (0.1 * rate * 86_400)``;

each multiplied by a calibrated scale (1 until live fills say otherwise, see
:func:`calibrate_eta_scale`). Trading ``q`` evenly over ``horizon_s`` then costs, per unit,
``spread / 2 + eta_tilde * q / horizon_s + gamma * q / 2``. A market order is taken to
trade within one bar (``horizon_s`` = the bar length).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tradefleet.orchestrator.execution.algos.almgren_chriss import ImpactParams

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

    def params(self, spread: float, rate: float, fees_per_unit: float = 0.0) -> ImpactParams:
        """Return ``eta``, ``gamma`` and ``epsilon`` for a market with this spread and volume rate
        (units per second; 0 or unknown: no measurable impact, only the spread)."""
        spread = max(spread, 0.0)
        known = rate > 0 and math.isfinite(rate)
        eta = self.scales.eta * spread / (0.01 * rate) if known else 0.0
        gamma = self.scales.gamma * spread / (0.1 * rate * DAY_S) if known else 0.0
        return ImpactParams(eta=max(eta, 1e-12), gamma=gamma, epsilon=spread / 2 + fees_per_unit)

    def estimate(self, quantity: float, price: float, spread: float, rate: float, horizon_s: float,
                 fees_per_unit: float = 0.0) -> CostEstimate:
        """Return the expected cost of trading ``quantity`` evenly over ``horizon_s``."""
        q = abs(quantity)
        p = self.params(spread, rate, fees_per_unit)
        horizon = max(horizon_s, 1.0)
        eta_t = max(p.eta - 0.5 * p.gamma * horizon, 0.0)
        return CostEstimate(q, price, p.epsilon * q, eta_t * q * q / horizon, 0.5 * p.gamma * q * q)

    def max_quantity(self, budget_per_unit: float, spread: float, rate: float, horizon_s: float,
                     fees_per_unit: float = 0.0) -> float:
        """Return the largest quantity whose expected cost per unit stays within the budget."""
        p = self.params(spread, rate, fees_per_unit)
        room = budget_per_unit - p.epsilon
        if room <= 0:
            return 0.0
        horizon = max(horizon_s, 1.0)
        slope = max(p.eta - 0.5 * p.gamma * horizon, 0.0) / horizon + 0.5 * p.gamma
        return math.inf if slope <= 0 else room / slope


def calibrate_eta_scale(samples: Iterable[tuple[float, float, float, float]], current: float = 1.0,
                        min_samples: int = 20) -> float:
    """Return the temporary-impact scale that best explains live child fills.

    Each sample is ``(rate, impact_per_unit, spread, market_rate)``: the child's trading
    rate (units per second), the price paid beyond the touch per unit, and its market's
    spread and volume rate. The textbook ``eta`` predicts ``scale * eta0 * rate``; the least-squares
    scale through the origin is returned, bounded to [0.1, 10], or ``current`` with fewer
    than ``min_samples`` samples. Only fills from live venues may be used: paper fills only
    measure the paper broker's own assumptions.
    """
    num = den = 0.0
    n = 0
    for rate, impact, spread, market_rate in samples:
        if not (rate > 0 and spread > 0 and market_rate > 0):
            continue
        x = spread / (0.01 * market_rate) * rate
        num += x * impact
        den += x * x
        n += 1
    if n < min_samples or den <= 0:
        return current
    return float(min(max(num / den, 0.1), 10.0))
