"""Option Greeks as values: one frozen record for a position or a portfolio, and the
array form that vectorised pricers return.

Units (the same everywhere in :mod:`tradefleet.risk.options`):

``delta``  dV/dS, per 1 unit of the underlying
``gamma``  d2V/dS2
``theta``  dV/dt per *year* of calendar time passing (negative for a long option);
           divide by 365 for a per-day figure
``vega``   dV/dsigma per 1.00 of volatility (divide by 100 for "per vol point")
``rho``    dV/dr per 1.00 of the continuously compounded rate (divide by 100 per 1 %)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

GREEK_NAMES = ("delta", "gamma", "theta", "vega", "rho")


@dataclass(frozen=True, slots=True)
class Greeks:
    """Sensitivities of one option, one position or a whole book (see module units)."""

    delta: float = 0.0
    gamma: float = 0.0
    theta: float = 0.0
    vega: float = 0.0
    rho: float = 0.0

    def __add__(self, other: Greeks) -> Greeks:
        return Greeks(self.delta + other.delta, self.gamma + other.gamma, self.theta + other.theta,
                      self.vega + other.vega, self.rho + other.rho)

    def scaled(self, factor: float) -> Greeks:
        """Return every Greek multiplied by ``factor`` (position size times multiplier)."""
        return Greeks(self.delta * factor, self.gamma * factor, self.theta * factor,
                      self.vega * factor, self.rho * factor)

    def as_dict(self) -> dict[str, float]:
        """Return ``{greek: value}`` in :data:`GREEK_NAMES` order."""
        return asdict(self)


@dataclass(frozen=True)
class Valuation:
    """Prices and Greeks of a batch of options, as float arrays of one shape."""

    price: npt.NDArray[np.float64]
    delta: npt.NDArray[np.float64]
    gamma: npt.NDArray[np.float64]
    theta: npt.NDArray[np.float64]
    vega: npt.NDArray[np.float64]
    rho: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.price.size)

    def greeks_at(self, i: int) -> Greeks:
        """Return the Greeks of option ``i`` (flat index) as a :class:`Greeks`."""
        return Greeks(*(float(getattr(self, g).flat[i]) for g in GREEK_NAMES))

    def price_at(self, i: int) -> float:
        return float(self.price.flat[i])
