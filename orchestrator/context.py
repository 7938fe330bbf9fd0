"""What a portfolio bot may read when it decides: a read-only context.

Positions and open orders are the bot's own; equity and cash are the account's, and
``capital`` is the bot's share of it (its budget), of which target weights are fractions. Every
field is a frozen value or a read-only mapping taken at the moment of the fire, so a bot
can neither change the book nor see past the clock. Instrument specs (tick, lot,
multiplier, expiry) are the kernel's :class:`~tradefleet.orchestrator.domain.Instrument`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from tradefleet.orchestrator.domain import ZERO, Instrument, Order, Side


@dataclass(frozen=True)
class Ctx:
    """A read-only view of the account as of ``now_ns``."""

    bot: str
    now_ns: int
    equity: Decimal
    cash: Decimal
    positions: Mapping[str, Decimal]
    open_orders: tuple[Order, ...]
    instruments: Mapping[str, Instrument]
    marks: Mapping[str, float]
    intent_ids: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """client order id -> the id of the intent that sent it (to cancel or replace it)"""
    chains: Callable[[str], Any] | None = None
    """underlying -> its option chain now (None: no option market in this run)"""
    capital: Decimal | None = None
    """the bot's capital: its budget x equity (None: the whole account, as without budgets)"""

    @classmethod
    def build(cls, bot: str, now_ns: int, equity: Decimal, cash: Decimal, positions: Mapping[str, Decimal],
              open_orders: list[Order] | tuple[Order, ...], instruments: Mapping[str, Instrument],
              marks: Mapping[str, float], intent_ids: Mapping[str, str] | None = None,
              chains: Callable[[str], Any] | None = None, capital: Decimal | None = None) -> Ctx:
        """Freeze copies of the given state."""
        return cls(bot, now_ns, equity, cash, MappingProxyType(dict(positions)), tuple(open_orders),
                   MappingProxyType(dict(instruments)), MappingProxyType(dict(marks)),
                   MappingProxyType(dict(intent_ids or {})), chains, capital)

    def chain(self, underlying: str) -> Any:
        """The option chain on ``underlying`` now (model-priced in replay: its ``provenance``
        says so), or None when the run has no option market."""
        return self.chains(underlying) if self.chains is not None else None

    @property
    def now(self) -> datetime:
        from tradefleet.orchestrator.clock import ns_to_dt

        return ns_to_dt(self.now_ns)

    def position(self, instrument: str) -> Decimal:
        """The bot's signed quantity in ``instrument`` (0 if none)."""
        return self.positions.get(instrument, ZERO)

    def pending(self, instrument: str) -> Decimal:
        """Signed quantity of the bot's open orders in ``instrument`` not yet filled."""
        return sum((o.quantity * (1 if o.side is Side.BUY else -1) for o in self.open_orders
                    if o.instrument == instrument), ZERO)

    def working(self, instrument: str, side: Side | None = None) -> list[tuple[str, Order]]:
        """The bot's working non-contingent orders on ``instrument`` (optionally one side),
        each with the id of the intent that sent it (``""`` if unknown)."""
        return [(self.intent_ids.get(o.client_order_id, ""), o) for o in self.open_orders
                if o.instrument == instrument and not o.is_contingent and (side is None or o.side is side)]

    def spec(self, instrument: str) -> Instrument | None:
        """Tick, lot, multiplier and expiry of ``instrument`` (None if unknown)."""
        return self.instruments.get(instrument)

    def notional(self, instrument: str) -> float:
        """The position's signed value at the last mark: quantity x mark x the contract
        multiplier (0 without a mark)."""
        spec = self.instruments.get(instrument)
        mult = float(spec.multiplier) if spec is not None else 1.0
        return float(self.position(instrument)) * self.marks.get(instrument, 0.0) * mult

    def weight(self, instrument: str) -> float:
        """The position's signed share of the bot's capital at the last mark (0 without one):
        the weight a :meth:`Target.weights <tradefleet.orchestrator.intents.Target.weights>`
        holding it now would name (multiplier included, as targets are sized)."""
        base = self.capital if self.capital is not None else self.equity
        if base <= 0:
            return 0.0
        return self.notional(instrument) / float(base)
