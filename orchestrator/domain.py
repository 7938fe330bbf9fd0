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
    """How an order prices: at the market, at a limit, or armed by a stop trigger."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    """A stop-market order: becomes a market order once the trigger trades."""
    STOP_LIMIT = "stop_limit"
    """Becomes a limit order at ``limit_price`` once ``stop_price`` trades."""
    TRAILING_STOP = "trailing_stop"
    """A stop whose trigger follows the best price by ``trail_amount`` or ``trail_percent``."""

    @property
    def has_trigger(self) -> bool:
        return self in (OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP)


class TimeInForce(StrEnum):
    """How long an order may rest."""

    DAY = "day"
    """Until the end of the instrument's UTC trading day (the bar that closes the day)."""
    GTC = "gtc"
    IOC = "ioc"
    """Immediate or cancel: what the first bar it meets does not fill is canceled."""
    FOK = "fok"
    """Fill or kill: all of it on the first bar it meets, or nothing."""
    GTD = "gtd"
    """Good till ``expire_ns``."""


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
    multiplier: Decimal = Decimal("1")
    """Contract multiplier: notional = quantity x price x multiplier (100 for a US equity option)."""
    expiry_ns: int | None = None
    """When the instrument expires (options, futures, prediction contracts); None if never."""
    option: Any = None
    """An option's :class:`~tradefleet.orchestrator.occ.OptionSpec` (underlying, expiry, right,
    strike, style, settlement); None for anything else."""

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
    intent: str = ""
    """Set on a leg of a Strategy API v2 intent (:mod:`tradefleet.orchestrator.intents`): the intent id
    and leg, so two legs or two intents at one time never share a signal id."""
    _id: str = field(default="", init=False, repr=False, compare=False, hash=False)
    """The signal id, computed on first use (``dataclasses.replace`` makes a new signal
    without it, so a changed field never keeps a stale id)."""

    @property
    def signal_id(self) -> str:
        """A deterministic id: the same intent at the same time in the same account always
        has the same id (so its order id is the same on a retry or a restart), and two
        accounts (two replay runs in one store) never share one. Computed once per signal."""
        sid = self._id
        if sid:
            return sid
        raw = f"{self.bot}|{self.instrument}|{self.direction.value}|{self.ts_event}"
        if self.intent:
            raw = f"{raw}|{self.intent}"
        if self.account:
            raw = f"{self.account}|{raw}"
        sid = hashlib.sha1(raw.encode()).hexdigest()[:24]
        object.__setattr__(self, "_id", sid)
        return sid


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
    stop_price: Decimal | None = None
    """The trigger of a stop or stop-limit (for a trailing stop: its initial trigger, if any)."""
    trail_amount: Decimal | None = None
    """A trailing stop's distance from the best price, in price units."""
    trail_percent: Decimal | None = None
    """A trailing stop's distance from the best price, in percent (``1.5`` is 1.5 %)."""
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_ns: int | None = None
    """When a GTD order expires (int ns UTC)."""
    post_only: bool = False
    """A limit that must rest: refused rather than filled on arrival as a taker."""
    parent_id: str | None = None
    """Armed only once this order (a bracket's entry) has filled; canceled if it is canceled."""
    oco_id: str | None = None
    """Orders sharing this id are one-cancels-other: the first fill cancels the rest."""

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise ValueError(f"order {self.client_order_id}: {problem}")

    def problem(self) -> str:
        """What makes this order malformed ("" if nothing): missing prices, a GTD without
        an expiry, post-only on an order that cannot rest."""
        t = self.order_type
        if t in (OrderType.LIMIT, OrderType.STOP_LIMIT) and self.limit_price is None:
            return f"a {t.value} order needs a limit price"
        if t in (OrderType.STOP, OrderType.STOP_LIMIT) and self.stop_price is None:
            return f"a {t.value} order needs a stop price"
        if t is OrderType.TRAILING_STOP and (self.trail_amount is None) == (self.trail_percent is None):
            return "a trailing stop needs exactly one of trail_amount and trail_percent"
        for name in ("limit_price", "stop_price", "trail_amount", "trail_percent"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                return f"{name} must be positive, got {v}"
        if self.time_in_force is TimeInForce.GTD and self.expire_ns is None:
            return "a GTD order needs expire_ns"
        if self.post_only and t is not OrderType.LIMIT:
            return "post-only applies to limit orders only"
        return ""

    @property
    def is_contingent(self) -> bool:
        """Linked to other orders (a bracket child or an OCO member)."""
        return self.parent_id is not None or self.oco_id is not None

    @staticmethod
    def make_id(signal_id: str, seq: int = 0) -> str:
        """Derive the client order id from the signal id and a sequence number."""
        return "tf-" + hashlib.sha1(f"{signal_id}:{seq}".encode()).hexdigest()[:20]

    @staticmethod
    def child_id(parent_id: str, role: str) -> str:
        """A deterministic id for an order derived from another (a bracket's ``"stop"`` or
        ``"target"``, a replacement ``"replace-2"``): the same parent and role always give
        the same id, so a restart re-arms the same child instead of a second one."""
        return "tf-" + hashlib.sha1(f"{parent_id}/{role}".encode()).hexdigest()[:20]


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
    model: str = ""
    """The fill-model configuration a simulated fill was priced with (the paper broker's
    calibration version, when one set its slippage); '' for a venue's fill."""

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
