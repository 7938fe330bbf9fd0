"""Frozen read models returned by the store (never live ORM rows).

Where a domain type exists (Decision, Fill, Position) the store returns it; these small
dataclasses cover what the domain has no type for (an order with its status, a signal
with its outcome, control state, runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradefleet.orchestrator.domain import Direction, Order, OrderStatus, OrderType, Side, Signal, TimeInForce

BOT_STATUSES = frozenset({"ok", "broken", "faulted"})
_SCOPE = re.compile(r"^(fleet|fleet:.+|bot:.+|account:.+|exit:[^:]+:.+)$")
_OUTCOME = re.compile(r"^(ordered|noop|rejected:[^:]+:.+)$")

FLEET = "fleet"


def bot_scope(name: str) -> str:
    """The control scope of one bot."""
    return f"bot:{name}"


def exit_scope(bot: str, instrument: str) -> str:
    """The control scope of an operator's request to close one bot's position (paused = pending)."""
    return f"exit:{bot}:{instrument}"


def account_scope(name: str) -> str:
    """The control scope of one broker account."""
    return f"account:{name}"


def rejected(gate: str, reason: str) -> str:
    """The outcome of a signal that ``gate`` rejected for ``reason``."""
    return f"rejected:{gate}:{reason}"


def valid_scope(scope: str) -> bool:
    """True for ``fleet``, ``fleet:<name>``, ``bot:<name>``, ``account:<name>`` and ``exit:<bot>:<instrument>``."""
    return bool(_SCOPE.match(scope))


def valid_outcome(outcome: str) -> bool:
    """True for ``ordered``, ``noop`` and ``rejected:<gate>:<reason>``."""
    return bool(_OUTCOME.match(outcome))


@dataclass(frozen=True, slots=True)
class BotRecord:
    """A bot as registered in the store, with its health."""

    name: str
    strategy: str
    family: str
    asset_class: str
    status: str
    error: str | None
    updated_ns: int


@dataclass(frozen=True, slots=True)
class SignalRecord:
    """A stored signal and the pipeline's outcome for it."""

    signal_id: str
    bot: str
    instrument: str
    direction: Direction
    confidence: float
    entry: float
    stop: float | None
    target: float | None
    ts_event: int
    ts_init: int
    outcome: str
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_signal(self) -> Signal:
        """Rebuild the domain Signal (its ``signal_id`` equals this record's)."""
        meta = dict(self.meta)
        account = str(meta.pop("account", ""))
        return Signal(self.bot, self.instrument, self.direction, self.confidence, self.entry,
                      self.ts_event, self.ts_init, self.stop, self.target, meta, account)


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as stored: the approved order plus what the venue has done with it."""

    client_order_id: str
    bot: str
    instrument: str
    account: str
    side: Side
    quantity: Decimal
    order_type: OrderType
    limit_price: Decimal | None
    signal_id: str | None
    reduce_only: bool
    status: OrderStatus
    venue_order_id: str | None
    filled_quantity: Decimal
    avg_price: Decimal | None
    reason: str | None
    ts_init: int
    ts_updated: int
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_ns: int | None = None
    post_only: bool = False
    parent_id: str | None = None
    oco_id: str | None = None

    @property
    def order(self) -> Order:
        """The domain Order this record was created from."""
        return Order(self.client_order_id, self.bot, self.instrument, self.side, self.quantity,
                     self.ts_init, self.order_type, self.limit_price, self.signal_id,
                     self.account, self.reduce_only, self.stop_price, self.trail_amount,
                     self.trail_percent, self.time_in_force, self.expire_ns, self.post_only,
                     self.parent_id, self.oco_id)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity


@dataclass(frozen=True, slots=True)
class ControlState:
    """Pause/halt state of one scope (``fleet``, ``bot:<name>``, ``account:<name>``)."""

    scope: str
    paused: bool = False
    halted: bool = False
    reason: str = ""
    actor: str = ""
    ts_ns: int = 0


@dataclass(frozen=True, slots=True)
class ControlEvent:
    """One entry of the control audit trail; None means 'left unchanged'."""

    id: int
    scope: str
    paused: bool | None
    halted: bool | None
    reason: str
    actor: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """One equity snapshot."""

    ts_ns: int
    cash: Decimal
    positions_value: Decimal
    equity: Decimal
    account: str = "paper"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One ``tradefleet run``."""

    id: int
    mode: str
    started_ns: int
    ended_ns: int | None
    status: str
    summary: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
