"""Portfolio Greek limits: the checks the risk engine runs on a book's option exposure.

Configure a :class:`GreekLimits` (a frozen config section; ``None`` disables a limit),
compute the book's Greeks with :func:`~tradefleet.risk.options.portfolio.portfolio_greeks`, and
either list the breaches (:func:`check_greek_limits`) or ask whether a candidate trade
would create or worsen one (:func:`trade_allowed`): a trade that *reduces* an exposure
already over its limit is allowed, so the book can always be de-risked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import Field

from tradefleet.orchestrator.sections import Section
from tradefleet.risk.options.greeks import GREEK_NAMES, Greeks
from tradefleet.risk.options.portfolio import BookPosition, OptionPricer, portfolio_greeks


class GreekLimits(Section):
    """Absolute caps on the book's Greeks (units of :mod:`tradefleet.risk.options.greeks`)."""

    max_abs_delta: float | None = Field(None, gt=0, description="shares of underlying")
    max_abs_gamma: float | None = Field(None, gt=0, description="shares per unit of spot")
    max_abs_theta: float | None = Field(None, gt=0, description="currency per year")
    max_abs_vega: float | None = Field(None, gt=0, description="currency per 1.00 of vol")
    max_abs_rho: float | None = Field(None, gt=0, description="currency per 1.00 of rate")

    def cap(self, greek: str) -> float | None:
        value: float | None = getattr(self, f"max_abs_{greek}")
        return value


@dataclass(frozen=True, slots=True)
class GreekBreach:
    """One Greek over its cap."""

    greek: str
    value: float
    limit: float

    @property
    def reason(self) -> str:
        """Return a machine-readable reason code, e.g. ``greek_limit_vega``."""
        return f"greek_limit_{self.greek}"

    def describe(self) -> str:
        return f"portfolio {self.greek} {self.value:,.2f} exceeds limit {self.limit:,.2f}"


def check_greek_limits(greeks: Greeks, limits: GreekLimits) -> list[GreekBreach]:
    """Return every Greek whose absolute value is above its cap."""
    out = []
    for name in GREEK_NAMES:
        cap = limits.cap(name)
        value = getattr(greeks, name)
        if cap is not None and abs(value) > cap:
            out.append(GreekBreach(name, value, cap))
    return out


def trade_allowed(book: Iterable[BookPosition], trade: Iterable[BookPosition], pricer: OptionPricer,
                  limits: GreekLimits) -> tuple[bool, list[GreekBreach]]:
    """Return whether adding ``trade`` to ``book`` is allowed, and the breaches after it.

    A breach blocks the trade only if the trade makes that Greek larger in absolute value.
    """
    held = list(book)
    before = portfolio_greeks(held, pricer)
    after = portfolio_greeks([*held, *trade], pricer)
    breaches = check_greek_limits(after, limits)
    blocking = [b for b in breaches if abs(getattr(after, b.greek)) > abs(getattr(before, b.greek))]
    return not blocking, breaches
