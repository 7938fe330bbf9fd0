"""An option book marked in one vectorised pass: per-leg marks and Greeks, by structure.

A leg is a signed number of contracts of one :class:`~tradefleet.risk.options.chain.OptionContract`
with the premium paid or received per share. :func:`mark_book` values every leg at once:
European legs with Black-Scholes-Merton, American legs with the Bjerksund-Stensland
(2002) approximation (:mod:`tradefleet.risk.options.american`), expiring legs at intrinsic value (delta 1 or -1
in the money, 0 out of it; the other Greeks 0). Greeks are per position (times contracts and multiplier), in the units of
:mod:`tradefleet.risk.options.greeks`; P&L is the mark against the entry premium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tradefleet.risk.options.american import bjerksund_stensland_valuation
from tradefleet.risk.options.bsm import bsm_valuation
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.errors import OptionInputError
from tradefleet.risk.options.greeks import GREEK_NAMES, Greeks

FloatArray = npt.NDArray[np.float64]
MIN_YEARS = 1e-6  # below this a leg is valued at intrinsic (it expires today)


@dataclass(frozen=True, slots=True)
class OptionLeg:
    """``contracts`` (signed: + long, - short) of ``contract``, opened at ``premium`` per share."""

    contract: OptionContract
    contracts: float
    premium: float
    structure: str = ""


@dataclass(frozen=True)
class BookMark:
    """Marks of every leg (per share), position values, P&L and Greeks, in leg order."""

    legs: tuple[OptionLeg, ...]
    price: FloatArray
    value: FloatArray
    pnl: FloatArray
    years: FloatArray
    greeks: dict[str, FloatArray]

    def total(self) -> Greeks:
        """Return the book's Greeks summed over every leg."""
        return Greeks(**{g: float(self.greeks[g].sum()) for g in GREEK_NAMES})

    def by_structure(self) -> dict[str, dict[str, float]]:
        """Return value, P&L and Greeks summed per structure name."""
        out: dict[str, dict[str, float]] = {}
        for i, leg in enumerate(self.legs):
            row = out.setdefault(leg.structure, {"value": 0.0, "pnl": 0.0, **{g: 0.0 for g in GREEK_NAMES}})
            row["value"] += float(self.value[i])
            row["pnl"] += float(self.pnl[i])
            for g in GREEK_NAMES:
                row[g] += float(self.greeks[g][i])
        return out


def mark_book(legs: Sequence[OptionLeg], asof_ns: int, spots: Mapping[str, float],
              vols: Mapping[str, float] | Sequence[float], rate: float, dividend: float = 0.0) -> BookMark:
    """Value every leg at ``asof_ns`` from underlying ``spots`` and volatilities.

    ``vols`` is one volatility per underlying, or one per leg (e.g. from a skew).
    """
    n = len(legs)
    legs_t = tuple(legs)
    if n == 0:
        empty = np.zeros(0)
        return BookMark(legs_t, empty, empty, empty, empty, {g: empty for g in GREEK_NAMES})
    try:
        s = np.array([spots[leg.contract.underlying] for leg in legs_t], dtype=np.float64)
        v = (np.array([vols[leg.contract.underlying] for leg in legs_t], dtype=np.float64)
             if isinstance(vols, Mapping) else np.asarray(vols, dtype=np.float64))
    except KeyError as exc:
        raise OptionInputError(f"option book: no spot or vol for underlying {exc.args[0]!r}") from None
    if v.shape != (n,):
        raise OptionInputError(f"option book: {v.size} vols for {n} legs")
    k = np.array([leg.contract.strike for leg in legs_t], dtype=np.float64)
    call = np.array([leg.contract.kind == "call" for leg in legs_t])
    american = np.array([leg.contract.style == "american" for leg in legs_t])
    t = np.array([leg.contract.years_to_expiry(asof_ns) for leg in legs_t], dtype=np.float64)
    size = np.array([leg.contracts * leg.contract.multiplier for leg in legs_t], dtype=np.float64)
    premium = np.array([leg.premium for leg in legs_t], dtype=np.float64)
    kind = np.where(call, "call", "put")

    price = np.maximum(np.where(call, s - k, k - s), 0.0)
    greeks = {g: np.zeros(n) for g in GREEK_NAMES}
    greeks["delta"] = np.where(price > 0, np.where(call, 1.0, -1.0), 0.0)
    live = t > MIN_YEARS
    for mask, valuer in ((live & ~american, bsm_valuation), (live & american, bjerksund_stensland_valuation)):
        if np.any(mask):
            val = valuer(kind[mask], s[mask], k[mask], t[mask], rate, v[mask], dividend)
            price[mask] = val.price
            for g in GREEK_NAMES:
                greeks[g][mask] = getattr(val, g)
    return BookMark(legs_t, price, price * size, (price - premium) * size, t,
                    {g: greeks[g] * size for g in GREEK_NAMES})
