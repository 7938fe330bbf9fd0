"""Option legs in the risk gate: collateral, maximum loss and the naked-option rule.

For every state of the book the gate checks (the full intent, and each one-leg-filled
state when the legs are not atomic), the option positions of the deciding bot on each
underlying the state touches form one structure (its option legs plus the shares it
holds as cover). :func:`tradefleet.risk.options.collateral.structure_risk` gives its
payoff at expiry, and from it:

- a structure with a short call not covered by shares or a long call (or a short leg
  outliving its long hedge) is *naked*: refused (``naked_option``) unless
  ``[risk.options] allow_naked``, and then reserves ``naked_margin`` of the uncovered
  underlying notional;
- otherwise it reserves its collateral: a cash-secured put its strike, a covered call
  nothing beyond the shares, a spread or condor its maximum loss (the width less nothing:
  the premium already moved the cash).

The cash check then requires ``cash - spend - reserves of every held structure - the
change of this one >= 0`` (``collateral`` when it fails). Instruments are recognised by
their :class:`~tradefleet.orchestrator.occ.OptionSpec` (``Instrument.option``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tradefleet.orchestrator.domain import Instrument
from tradefleet.risk.options.book import OptionLeg
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.collateral import structure_risk


@dataclass(frozen=True, slots=True)
class OptionsRule:
    allow_naked: bool = False
    naked_margin: float = 0.20


def contract_of(inst: Instrument) -> OptionContract | None:
    """The pricing library's contract for an option instrument (None for anything else)."""
    spec = inst.option
    if spec is None:
        return None
    return OptionContract(spec.underlying, spec.right, float(spec.strike), spec.expiry, spec.style,
                          int(spec.multiplier))


def structure_reserve(legs: list[OptionLeg], shares: float, spot: float, rule: OptionsRule
                      ) -> tuple[float, str | None]:
    """Reserve of one structure and, if it may not be held, why."""
    if not legs:
        return 0.0, None
    risk = structure_risk(legs, shares)
    why = None
    if not risk.allowed(rule.allow_naked):
        why = (f"naked short call(s) on {risk.underlying}: {risk.naked_units:g} shares uncovered" if risk.naked
               else f"a short leg on {risk.underlying} outlives its long hedge")
    return risk.reserve(spot, rule.naked_margin), why


class OptionsView:
    """The option structures of the account: what they reserve now and after a change."""

    def __init__(self, instruments: Mapping[str, Instrument], holdings: Iterable[tuple[str, str, float, float]],
                 spot: Callable[[str], float | None] | None = None, rule: OptionsRule = OptionsRule()) -> None:
        """``holdings``: (bot, instrument, quantity, mark) of every held position;
        ``spot``: the underlying's last price (for a naked margin)."""
        self.instruments, self.rule = instruments, rule
        self.spot = spot or (lambda _u: None)
        self.legs: dict[tuple[str, str], dict[str, float]] = {}  # (bot, underlying) -> option symbol -> contracts
        self.shares: dict[tuple[str, str], float] = {}
        for bot, sym, qty, _mark in holdings:
            c = self._contract(sym)
            if c is not None:
                self.legs.setdefault((bot, c.underlying), {})[sym] = qty
            else:
                self.shares[(bot, sym)] = self.shares.get((bot, sym), 0.0) + qty
        parts = [(key[0], self._reserve(key, self.legs[key], self.shares.get(key, 0.0))[0]) for key in self.legs]
        self.reserved = sum(v for _, v in parts)  # the account's collateral, and each bot's
        self.reserved_by: dict[str, float] = {}
        for bot, v in parts:
            self.reserved_by[bot] = self.reserved_by.get(bot, 0.0) + v

    def _contract(self, sym: str) -> OptionContract | None:
        inst = self.instruments.get(sym)
        return contract_of(inst) if inst is not None else None

    def _reserve(self, key: tuple[str, str], legs: Mapping[str, float], shares: float) -> tuple[float, str | None]:
        out = []
        for sym, qty in legs.items():
            c = self._contract(sym)
            if c is not None and abs(qty) > 1e-12:
                out.append(OptionLeg(c, qty, 0.0))
        spot = self.spot(key[1]) or 0.0
        return structure_reserve(out, shares, spot, self.rule)

    def change(self, bot: str, changes: Iterable[tuple[str, float]]) -> tuple[float, tuple[str, str] | None]:
        """(change of the reserve, refusal) if ``bot``'s positions moved by ``changes``
        ((instrument, signed quantity) pairs)."""
        touched: dict[tuple[str, str], dict[str, float]] = {}
        shares = {}
        for sym, qty in changes:
            c = self._contract(sym)
            if c is not None:
                key = (bot, c.underlying)
                legs = touched.setdefault(key, dict(self.legs.get(key, {})))
                legs[sym] = legs.get(sym, 0.0) + qty
            else:
                shares[(bot, sym)] = shares.get((bot, sym), self.shares.get((bot, sym), 0.0)) + qty
        for key in shares:
            if key in self.legs and key not in touched:
                touched[key] = dict(self.legs[key])
        delta = 0.0
        for key, legs in touched.items():
            after, why = self._reserve(key, legs, shares.get(key, self.shares.get(key, 0.0)))
            if why is not None:
                before, was = self._reserve(key, self.legs.get(key, {}), self.shares.get(key, 0.0))
                if was is None or after > before + 1e-9:  # never refuse a change that lowers a naked exposure
                    return 0.0, ("naked_option", why)
            before = self._reserve(key, self.legs.get(key, {}), self.shares.get(key, 0.0))[0] \
                if key in self.legs else 0.0
            delta += after - before
        return delta, None
