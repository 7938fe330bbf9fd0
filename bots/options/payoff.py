"""Option strategies as legs: payoff and P&L at expiry, mark-to-model P&L before it,
breakevens, extremes and Greeks.

A :class:`Leg` is a signed quantity of a call, a put or the underlying ("stock") bought or
sold at ``premium`` per unit; an :class:`OptionStrategy` is legs sharing one underlying and
one expiry. Figures are per unit of the underlying times ``multiplier`` (set 100 for
per-contract dollars). P&L at expiry is exact and piecewise linear, so breakevens and the
maximum profit and loss are found from the kinks (the strikes) and the end slopes, not by
sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from tradefleet.risk.options.bsm import bsm_price, bsm_valuation
from tradefleet.risk.options.errors import OptionInputError
from tradefleet.risk.options.greeks import Greeks

LegKind = Literal["call", "put", "stock"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Leg:
    """``quantity`` (signed: + bought, - sold) of one instrument at ``premium`` per unit."""

    kind: LegKind
    quantity: float
    premium: float
    strike: float = math.nan

    def __post_init__(self) -> None:
        if self.kind not in ("call", "put", "stock"):
            raise OptionInputError(f"leg kind {self.kind!r}: use call, put or stock")
        if self.kind != "stock" and not self.strike > 0:
            raise OptionInputError(f"{self.kind} leg needs a strike > 0, got {self.strike}")
        if not (math.isfinite(self.premium) and self.premium >= 0):
            raise OptionInputError(f"{self.kind} leg premium must be >= 0, got {self.premium}")

    def value_at_expiry(self, spot: FloatArray) -> FloatArray:
        """Return the leg's value per unit held (signed by quantity) at expiry."""
        if self.kind == "stock":
            return self.quantity * spot
        intrinsic = np.maximum(spot - self.strike, 0.0) if self.kind == "call" else np.maximum(self.strike - spot, 0.0)
        return self.quantity * intrinsic

    def describe(self) -> str:
        side = "long" if self.quantity > 0 else "short"
        what = "stock" if self.kind == "stock" else f"{self.strike:g} {self.kind}"
        return f"{side} {abs(self.quantity):g} {what} @ {self.premium:.4g}"


@dataclass(frozen=True)
class OptionStrategy:
    """Legs on one underlying with one expiry (``expiry`` years from entry at ``spot``)."""

    name: str
    legs: tuple[Leg, ...]
    spot: float
    expiry: float
    multiplier: float = 1.0

    def __post_init__(self) -> None:
        if not self.legs:
            raise OptionInputError(f"strategy {self.name}: no legs")
        if not (self.spot > 0 and self.expiry > 0):
            raise OptionInputError(f"strategy {self.name}: spot and expiry must be > 0")

    @property
    def net_premium(self) -> float:
        """Return the cash paid to open per unit (negative = a credit received)."""
        return float(sum(leg.quantity * leg.premium for leg in self.legs))

    def strikes(self) -> list[float]:
        return sorted({leg.strike for leg in self.legs if leg.kind != "stock"})

    def payoff_at_expiry(self, spot: npt.ArrayLike) -> FloatArray:
        """Return the value of all legs at expiry (before the opening premium) times multiplier."""
        s = np.asarray(spot, dtype=np.float64)
        return self.multiplier * sum((leg.value_at_expiry(s) for leg in self.legs), np.zeros_like(s))

    def pnl_at_expiry(self, spot: npt.ArrayLike) -> FloatArray:
        """Return the profit and loss at expiry: payoff minus the opening premium."""
        return self.payoff_at_expiry(spot) - self.multiplier * self.net_premium

    def pnl_before_expiry(self, spot: npt.ArrayLike, years_left: float, rate: float, vol: float,
                          dividend: float = 0.0) -> FloatArray:
        """Return the mark-to-model P&L with ``years_left`` to expiry (BSM marks; at 0, expiry P&L)."""
        s = np.asarray(spot, dtype=np.float64)
        if years_left <= 0:
            return self.pnl_at_expiry(s)
        value = np.zeros_like(s)
        for leg in self.legs:
            if leg.kind == "stock":
                value = value + leg.quantity * s
            else:
                value = value + leg.quantity * bsm_price(leg.kind, s, leg.strike, years_left, rate, vol, dividend)
        return self.multiplier * (value - self.net_premium)

    def _kinks(self) -> FloatArray:
        return np.array([0.0, *self.strikes()])

    def _end_slope(self) -> float:
        """Return d(P&L)/dS above the highest strike."""
        slope = sum(leg.quantity for leg in self.legs if leg.kind in ("call", "stock"))
        return float(self.multiplier * slope)

    def breakevens(self) -> list[float]:
        """Return every spot at which the P&L at expiry crosses zero, ascending."""
        xs = self._kinks()
        ys = self.pnl_at_expiry(xs)
        out: list[float] = []
        for i in range(len(xs) - 1):
            x0, y0, x1, y1 = xs[i], ys[i], xs[i + 1], ys[i + 1]
            if y0 == 0 and x0 > 0:
                out.append(float(x0))
            elif y0 * y1 < 0:
                out.append(float(x0 - y0 * (x1 - x0) / (y1 - y0)))
        last_x, last_y = float(xs[-1]), float(ys[-1])
        slope = self._end_slope()
        if last_y == 0 and last_x > 0:
            out.append(last_x)
        elif slope != 0 and -last_y / slope > 0:
            out.append(last_x - last_y / slope)
        return sorted(set(round(x, 10) for x in out))

    def max_profit(self) -> float:
        """Return the best P&L at expiry over all spots (``inf`` if unbounded)."""
        if self._end_slope() > 0:
            return math.inf
        return float(np.max(self.pnl_at_expiry(self._kinks())))

    def max_loss(self) -> float:
        """Return the worst P&L at expiry as a negative number (``-inf`` if unbounded)."""
        if self._end_slope() < 0:
            return -math.inf
        return float(np.min(self.pnl_at_expiry(self._kinks())))

    def greeks(self, rate: float, vol: float, dividend: float = 0.0) -> Greeks:
        """Return the strategy's Greeks at entry (BSM at ``vol``) times multiplier."""
        total = Greeks()
        for leg in self.legs:
            if leg.kind == "stock":
                total = total + Greeks(delta=leg.quantity)
            else:
                v = bsm_valuation(leg.kind, self.spot, leg.strike, self.expiry, rate, vol, dividend)
                total = total + v.greeks_at(0).scaled(leg.quantity)
        return total.scaled(self.multiplier)

    def summary(self) -> dict[str, object]:
        """Return the strategy's key figures as plain values (for --json and reports)."""
        return {"strategy": self.name, "spot": self.spot, "expiry_years": self.expiry,
                "multiplier": self.multiplier, "legs": [leg.describe() for leg in self.legs],
                "net_premium": self.net_premium * self.multiplier, "max_profit": self.max_profit(),
                "max_loss": self.max_loss(), "breakevens": self.breakevens()}
