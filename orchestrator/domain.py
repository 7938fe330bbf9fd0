"""Frozen domain types shared by every component.

Timestamps are int nanoseconds since the Unix epoch, UTC: ``ts_event`` is when the thing
happened, ``ts_init`` when tradefleet learned of it. Money and quantities are ``Decimal``
at the order boundary (orders, fills, positions); research code uses float arrays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any

ZERO = Decimal(0)


class AssetClass(StrEnum):
    EQUITY = "equity"
    CRYPTO = "crypto"
    FX = "fx"
    PREDICTION = "prediction"
    OPTION = "option"
    INDEX = "index"


class Side(StrEnum):
    """The side of an order or a fill."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class Direction(StrEnum):
    """The exposure a signal asks for: the bot's target, not an order."""

    LONG = "long"
    SHORT = "short"
    FLAT = "flat"

    @property
    def sign(self) -> int:
        return {"long": 1, "short": -1, "flat": 0}[self.value]

    @classmethod
    def from_sign(cls, value: float) -> Direction:
        return cls.LONG if value > 0 else cls.SHORT if value < 0 else cls.FLAT


class Verdict(StrEnum):
    """What a gate decided about a signal."""

    PASS = "pass"
    RESIZE = "resize"
    REJECT = "reject"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class OrderStatus(StrEnum):
    """Order life cycle. INTENT is stored before the first send; UNKNOWN means a write
    may or may not have reached the venue and must be settled by query."""

    INTENT = "intent"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    EXTERNAL = "external"

    @property
    def is_open(self) -> bool:
        return self in _OPEN_STATUSES


_OPEN_STATUSES = frozenset(
    {OrderStatus.INTENT, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED,
     OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN}
)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable thing on one venue. ``symbol`` is tradefleet's id for it."""

    symbol: str
    asset_class: AssetClass
    venue: str = "paper"
    currency: str = "USD"
    tick_size: Decimal = Decimal("0.01")
    lot_size: Decimal = Decimal("1")
    venue_symbol: str | None = None

    def round_price(self, price: Decimal | float) -> Decimal:
        """Round a price to the instrument's tick."""
        p = price if isinstance(price, Decimal) else Decimal(repr(float(price)))
        return (p / self.tick_size).quantize(Decimal(1), ROUND_HALF_EVEN) * self.tick_size

    def round_qty(self, qty: Decimal | float) -> Decimal:
        """Round a quantity down to a whole number of lots (never up: never oversize)."""
        q = qty if isinstance(qty, Decimal) else Decimal(repr(float(qty)))
        return (q / self.lot_size).quantize(Decimal(1), ROUND_DOWN) * self.lot_size


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar; ``ts_event`` is the bar's close time."""

    symbol: str
    ts_event: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    ts_init: int = 0


@dataclass(frozen=True, slots=True)
class Signal:
    """A bot's intent: the direction it wants on an instrument, and why."""

    bot: str
    instrument: str
    direction: Direction
    confidence: float
    entry: float
    ts_event: int
    ts_init: int
    stop: float | None = None
    target: float | None = None
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    account: str = ""

    @property
    def signal_id(self) -> str:
        """A deterministic id: the same intent at the same time in the same account always
        has the same id (so its order id is the same on a retry or a restart), and two
        accounts (two replay runs in one store) never share one."""
        raw = f"{self.bot}|{self.instrument}|{self.direction.value}|{self.ts_event}"
        if self.account:
            raw = f"{self.account}|{raw}"
        return hashlib.sha1(raw.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Decision:
    """One gate's verdict on one signal, with a machine-readable reason code.

    ``data`` holds structured evidence (ensemble votes, regime probabilities, limit use)
    stored with the decision as JSON."""

    gate: str
    verdict: Verdict
    reason: str
    detail: str = ""
    scale: float = 1.0
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def passed(cls, gate: str, reason: str = "ok", detail: str = "",
               data: dict[str, Any] | None = None) -> Decision:
        return cls(gate, Verdict.PASS, reason, detail, 1.0, data or {})

    @classmethod
    def resized(cls, gate: str, scale: float, reason: str, detail: str = "",
                data: dict[str, Any] | None = None) -> Decision:
        if not 0.0 <= scale <= 1.0:
            raise ValueError(f"gate {gate}: resize scale must be in [0, 1], got {scale}")
        return cls(gate, Verdict.RESIZE, reason, detail, scale, data or {})

    @classmethod
    def rejected(cls, gate: str, reason: str, detail: str = "",
                 data: dict[str, Any] | None = None) -> Decision:
        return cls(gate, Verdict.REJECT, reason, detail, 0.0, data or {})


@dataclass(frozen=True, slots=True)
class Order:
    """An order as approved by the risk gate. ``client_order_id`` is deterministic, so a
    retry or a restart can never submit the same intent twice."""

    client_order_id: str
    bot: str
    instrument: str
    side: Side
    quantity: Decimal
    ts_init: int
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    signal_id: str | None = None
    account: str = "paper"
    reduce_only: bool = False

    @staticmethod
    def make_id(signal_id: str, seq: int = 0) -> str:
        """Derive the client order id from the signal id and a sequence number."""
        return "tf-" + hashlib.sha1(f"{signal_id}:{seq}".encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. Unique by (venue, venue_order_id, trade_id)."""

    client_order_id: str
    venue: str
    venue_order_id: str
    trade_id: str
    instrument: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts_event: int
    ts_init: int

    @property
    def signed_qty(self) -> Decimal:
        return self.quantity if self.side is Side.BUY else -self.quantity


@dataclass(frozen=True, slots=True)
class Position:
    """A bot's holding in one instrument."""

    bot: str
    instrument: str
    quantity: Decimal
    avg_price: Decimal
    realized_pnl: Decimal = ZERO
    account: str = "paper"

    def unrealized(self, mark: Decimal) -> Decimal:
        return (mark - self.avg_price) * self.quantity
