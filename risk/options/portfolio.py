"""Portfolio Greeks: what the risk engine calls to know a book's option exposure.

:func:`portfolio_greeks` sums ``quantity * multiplier * greek`` over option positions, plus
``quantity`` of delta for every share of an underlying held, and returns one
:class:`~tradefleet.risk.options.greeks.Greeks`. Units: delta in shares of the underlying, gamma in
shares per unit of spot, theta in currency per year, vega in currency per 1.00 of vol, rho
in currency per 1.00 of rate (see :mod:`tradefleet.risk.options.greeks`).

Unit Greeks come from a *pricer* (:class:`OptionPricer`): :class:`ChainPricer` marks each
contract at its chain IV (solved from the mid when the chain has none) and the chain's
spot; :class:`ModelPricer` uses given spots and vols (a GARCH or realised estimate).
American contracts are valued on the binomial tree (tree delta/gamma/theta, bumped
vega/rho), European ones with closed-form BSM. Risk code holding ``tradefleet.orchestrator.domain``
positions converts them with :func:`positions_from_book` (OCC symbols are options).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from tradefleet.orchestrator.domain import Position
from tradefleet.risk.options.chain import OptionChain, OptionContract, parse_occ
from tradefleet.risk.options.errors import ChainDataError, OptionsError
from tradefleet.risk.options.greeks import Greeks, Valuation


@dataclass(frozen=True, slots=True)
class OptionPosition:
    """``quantity`` contracts (negative = short) of ``contract``."""

    contract: OptionContract
    quantity: float


@dataclass(frozen=True, slots=True)
class UnderlyingPosition:
    """``quantity`` units (shares) of an underlying: delta ``quantity``, no other Greek."""

    symbol: str
    quantity: float


BookPosition = OptionPosition | UnderlyingPosition


@runtime_checkable
class OptionPricer(Protocol):
    """Values contracts per unit (one option on one unit of the underlying)."""

    def value(self, contracts: Sequence[OptionContract]) -> Valuation:
        """Return price and Greeks of each contract, in order."""
        ...


@dataclass(frozen=True)
class ModelPricer:
    """Prices at given spots and vols (per underlying) at ``asof_ns``."""

    asof_ns: int
    spots: Mapping[str, float]
    vols: Mapping[str, float]
    rate: float
    dividends: Mapping[str, float] = field(default_factory=dict)
    steps: int = 200

    def value(self, contracts: Sequence[OptionContract]) -> Valuation:
        def lookup(table: Mapping[str, float], c: OptionContract, what: str) -> float:
            if c.underlying not in table:
                raise OptionsError(f"model pricer: no {what} for underlying {c.underlying} ({c.symbol})")
            return float(table[c.underlying])

        spot = [lookup(self.spots, c, "spot") for c in contracts]
        vol = [lookup(self.vols, c, "vol") for c in contracts]
        div = [float(self.dividends.get(c.underlying, 0.0)) for c in contracts]
        return value_contracts(contracts, self.asof_ns, spot, vol, self.rate, div, self.steps)


@dataclass(frozen=True)
class ChainPricer:
    """Marks contracts at their chain implied vol and the chain's spot."""

    chain: OptionChain
    rate: float
    dividend: float = 0.0
    steps: int = 200

    def value(self, contracts: Sequence[OptionContract]) -> Valuation:
        chain = self.chain.with_implied_vols(self.rate, self.dividend, steps=self.steps)
        if chain.spot is None:
            raise ChainDataError(f"chain {chain.underlying}: pricing needs the underlying spot")
        vols = []
        for c in contracts:
            q = chain.find(c)
            if q is None or q.iv is None:
                raise ChainDataError(f"chain {chain.underlying}: no implied vol for {c.symbol}")
            vols.append(q.iv)
        n = len(contracts)
        return value_contracts(contracts, chain.asof_ns, [chain.spot] * n, vols, self.rate,
                               [self.dividend] * n, self.steps)


def value_contracts(contracts: Sequence[OptionContract], asof_ns: int, spots: Sequence[float],
                    vols: Sequence[float], rate: float, dividends: Sequence[float],
                    steps: int = 200, bumped: bool = True) -> Valuation:
    """Value contracts per unit: BSM for European, binomial (tree + bump) for American.
    ``bumped=False`` skips an American contract's bumped trees (nine of its ten): its vega
    and rho are then NaN, for a caller that reads only the price, delta, gamma and theta."""
    from tradefleet.risk.options.binomial import crr_tree
    from tradefleet.risk.options.bsm import bsm_valuation
    from tradefleet.risk.options.bump import binomial_bump_valuation

    n = len(contracts)
    out = {g: np.zeros(n) for g in ("price", "delta", "gamma", "theta", "vega", "rho")}
    years = np.array([c.years_to_expiry(asof_ns) for c in contracts])
    expired = [c.symbol for c, t in zip(contracts, years, strict=True) if t <= 0]
    if expired:
        raise OptionsError(f"expired contracts {', '.join(expired[:3])}: settle them before valuing the book")
    kinds = np.array([c.kind == "call" for c in contracts], dtype=bool)
    strikes = np.array([c.strike for c in contracts])
    s, v, q = (np.asarray(x, dtype=np.float64) for x in (spots, vols, dividends))
    for style in ("european", "american"):
        idx = np.flatnonzero([c.style == style for c in contracts])
        if not idx.size:
            continue
        args = (kinds[idx], s[idx], strikes[idx], years[idx], rate, v[idx], q[idx])
        if style == "european":
            val = bsm_valuation(*args)
            parts = {g: getattr(val, g) for g in out}
        else:
            tree = crr_tree(*args, steps=steps, style="american")
            parts = {"price": tree.price, "delta": tree.delta, "gamma": tree.gamma, "theta": tree.theta}
            if bumped:
                bump = binomial_bump_valuation(*args, steps=steps, style="american")
                parts.update(vega=bump.vega, rho=bump.rho)
            else:
                parts.update(vega=np.full(idx.size, np.nan), rho=np.full(idx.size, np.nan))
        for g, arr in parts.items():
            out[g][idx] = arr
    return Valuation(**out)


def portfolio_greeks(positions: Iterable[BookPosition], pricer: OptionPricer | OptionChain,
                     rate: float = 0.0, dividend: float = 0.0) -> Greeks:
    """Return the book's Greeks: sum of position * multiplier * unit Greek.

    ``pricer`` is any :class:`OptionPricer`, or an :class:`OptionChain` (then valued with a
    :class:`ChainPricer` at ``rate`` and ``dividend``). Shares add their quantity to delta.
    """
    total = Greeks()
    for greeks in portfolio_greeks_by_underlying(positions, pricer, rate, dividend).values():
        total = total + greeks
    return total


def portfolio_greeks_by_underlying(positions: Iterable[BookPosition], pricer: OptionPricer | OptionChain,
                                   rate: float = 0.0, dividend: float = 0.0) -> dict[str, Greeks]:
    """Return the book's Greeks per underlying symbol (same units as :func:`portfolio_greeks`)."""
    model: OptionPricer = ChainPricer(pricer, rate, dividend) if isinstance(pricer, OptionChain) else pricer
    book = list(positions)
    options = [p for p in book if isinstance(p, OptionPosition) and p.quantity != 0]
    out: dict[str, Greeks] = {}
    for p in book:
        if isinstance(p, UnderlyingPosition):
            out[p.symbol] = out.get(p.symbol, Greeks()) + Greeks(delta=p.quantity)
    if options:
        val = model.value([p.contract for p in options])
        for i, p in enumerate(options):
            size = p.quantity * p.contract.multiplier
            u = p.contract.underlying
            out[u] = out.get(u, Greeks()) + val.greeks_at(i).scaled(size)
    return out


def positions_from_book(positions: Iterable[Position], multiplier: int = 100,
                        style: str = "american") -> list[BookPosition]:
    """Convert ledger positions: OCC symbols become option positions, the rest shares."""
    out: list[BookPosition] = []
    for p in positions:
        qty = float(p.quantity)
        try:
            contract = parse_occ(p.instrument, style, multiplier)  # type: ignore[arg-type]
        except ChainDataError:
            out.append(UnderlyingPosition(p.instrument, qty))
        else:
            out.append(OptionPosition(contract, qty))
    return out
