"""What a bot may ask for (Strategy API v2): targets, orders, quotes and cancels.

Bots say what they want; the risk gate decides how much; the fill model decides what
filled. Every intent is a frozen, typed value a bot returns from ``decide(panel, ctx)``
(or an event bot from ``on_tick``); none of them holds a broker handle.

==============  =========================================================================
``Target``      a wanted holding per instrument, as portfolio weights (fractions of
                equity, signed), quantities (units, signed) or conviction (signed scores
                in [-1, 1], sized by the risk gate); netted against position plus pending
                orders, deltas under ``tolerance`` or under one lot are dropped
``OrderIntent`` one or more legs with ratios; market, limit, stop, stop-limit or trailing
                stop; time in force; post-only and reduce-only; an attached ``Bracket``
                (take-profit and stop linked OCO); ``atomic`` none, all-or-none or a
                venue combo; ``size`` is a cap (units of the ratio), never a demand;
                ``replaces`` the id of a live intent it supersedes
``Quote``       bid and ask levels with sizes, an inventory bound and a refresh threshold
``Cancel``      withdraw a live order or quote intent by its id
==============  =========================================================================

A target set, a multi-leg order or a quote pair is ONE decision for the risk gate: all of
it is approved (with one scale factor for every leg) or none of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tradefleet.orchestrator.domain import OrderType, Side, TimeInForce
from tradefleet.orchestrator.execution.algos.base import ExecSpec


def _dec(x: Decimal | float | int | str) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(repr(float(x))) if isinstance(x, float) else Decimal(x)


def _opt_dec(x: Decimal | float | int | str | None) -> Decimal | None:
    return None if x is None else _dec(x)


class TargetKind(StrEnum):
    """What the numbers of a :class:`Target` mean."""

    WEIGHTS = "weights"        # signed fraction of the bot's capital per instrument
    QUANTITIES = "quantities"  # signed units per instrument
    CONVICTION = "conviction"  # signed score in [-1, 1]; the risk gate sizes it


class Atomic(StrEnum):
    """How the legs of one order intent must execute together."""

    NONE = "none"                # legs are independent orders (still approved as one decision)
    ALL_OR_NONE = "all_or_none"  # all legs fill or none (emulated: one-leg states must be safe)
    VENUE_COMBO = "venue_combo"  # one native combo order where the venue has one


class LegRisk(StrEnum):
    """What to do when legs that are not atomic at the venue fill one at a time."""

    REFUSE = "refuse"  # refuse the intent if any one-leg-filled state breaches a limit
    HEDGE = "hedge"    # accept; if a leg fills and a sibling dies, unwind the filled legs


def _pairs(values: Mapping[str, float | int | Decimal | str] | Iterable[tuple[str, Any]]) -> tuple[tuple[str, float], ...]:
    items = values.items() if isinstance(values, Mapping) else values
    out = tuple(sorted((str(k), float(v)) for k, v in items))
    names = [k for k, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"target names an instrument twice: {names}")
    return out


@dataclass(frozen=True, slots=True)
class Target:
    """A wanted holding per instrument; instruments not named are left alone.

    ``tolerance`` drops small deltas: for weights a fraction of the bot's capital, for quantities
    units, for conviction a score. Deltas smaller than one lot are always dropped.
    ``execution`` (an :class:`ExecSpec` or ``{"algo": ..., "params": {...}}``) works every
    increase as a parent order through the execution layer; reductions go at once.
    """

    values: tuple[tuple[str, float], ...]
    kind: TargetKind = TargetKind.WEIGHTS
    tolerance: float = 0.0
    tag: str = ""
    # out of the repr: an intent without a spec keeps the id it had before specs existed
    execution: ExecSpec | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.execution is not None:
            object.__setattr__(self, "execution", ExecSpec.parse(self.execution))
        if self.tolerance < 0:
            raise ValueError(f"target tolerance must be >= 0, got {self.tolerance}")
        for sym, v in self.values:
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(f"target for {sym} is not a finite number: {v}")
            if self.kind is TargetKind.CONVICTION and not -1.0 <= v <= 1.0:
                raise ValueError(f"conviction for {sym} must be in [-1, 1], got {v}")

    @classmethod
    def weights(cls, values: Mapping[str, float], tolerance: float = 0.0, tag: str = "",
                execution: ExecSpec | Mapping[str, Any] | None = None) -> Target:
        """Signed fractions of the bot's capital (0.25 = a quarter of it long, -0.1 = 10% short).
        The bot's capital is its budget x account equity (the whole account when no budgets
        apply; :meth:`tradefleet.risk.engine.PortfolioRiskGate.capital_fraction`), so weights
        summing to 1 fully invest it, as in a backtest of the bot alone. The risk gate's limits
        may scale the whole set down (one factor, never up)."""
        return cls(_pairs(values), TargetKind.WEIGHTS, tolerance, tag, execution)  # type: ignore[arg-type]

    @classmethod
    def quantities(cls, values: Mapping[str, float | Decimal], tolerance: float = 0.0, tag: str = "",
                   execution: ExecSpec | Mapping[str, Any] | None = None) -> Target:
        """Signed units per instrument."""
        return cls(_pairs(values), TargetKind.QUANTITIES, tolerance, tag, execution)  # type: ignore[arg-type]

    @classmethod
    def conviction(cls, values: Mapping[str, float], tolerance: float = 0.0, tag: str = "",
                   execution: ExecSpec | Mapping[str, Any] | None = None) -> Target:
        """Signed scores in [-1, 1]; the risk gate turns them into sizes."""
        return cls(_pairs(values), TargetKind.CONVICTION, tolerance, tag, execution)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, float]:
        return dict(self.values)

    @property
    def instruments(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.values)


@dataclass(frozen=True, slots=True)
class Leg:
    """One leg of an order intent: ``ratio`` units per unit of the intent, signed
    (positive buys, negative sells)."""

    instrument: str
    ratio: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.ratio, Decimal):
            object.__setattr__(self, "ratio", _dec(self.ratio))
        if self.ratio == 0:
            raise ValueError(f"leg {self.instrument}: ratio must not be 0")

    @property
    def side(self) -> Side:
        return Side.BUY if self.ratio > 0 else Side.SELL


@dataclass(frozen=True, slots=True)
class Bracket:
    """Take-profit and stop-loss attached to an entry, linked OCO: when one fills the
    other is canceled. Either may be omitted."""

    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "take_profit", _opt_dec(self.take_profit))
        object.__setattr__(self, "stop_loss", _opt_dec(self.stop_loss))
        if self.take_profit is None and self.stop_loss is None:
            raise ValueError("a bracket needs a take-profit, a stop-loss or both")


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order a bot wants: one leg (the common case) or several with ratios.

    Prices are per unit of the (first) leg's instrument for one-leg orders; for a
    multi-leg ``LIMIT`` the limit is the net price per unit of the intent (sum of
    ratio x leg price), as venues quote combos. ``size`` caps the units of the intent;
    the risk gate may shrink it (one factor for every leg), never grow it.
    ``execution`` (an :class:`ExecSpec` or ``{"algo": ..., "params": {...}}``) works a
    one-leg market order as a parent through the execution layer (TWAP over 30 minutes:
    ``{"algo": "twap", "params": {"horizon_min": 30}}``; a price cap is ``params.limit``).
    """

    legs: tuple[Leg, ...]
    order_type: OrderType = OrderType.MARKET
    limit: Decimal | None = None
    stop: Decimal | None = None
    trail: Decimal | None = None  # trailing stop: the distance in price units
    trail_percent: Decimal | None = None  # or in percent of the best price (1.5 = 1.5 %)
    tif: TimeInForce = TimeInForce.GTC
    expire_ns: int | None = None  # GTD expiry
    post_only: bool = False
    reduce_only: bool = False
    bracket: Bracket | None = None
    atomic: Atomic = Atomic.NONE
    size: Decimal | None = None
    leg_risk: LegRisk = LegRisk.REFUSE
    id: str = ""
    replaces: str | None = None
    tag: str = ""
    execution: ExecSpec | None = field(default=None, repr=False)  # out of the repr: see Target
    #: the profit the bot expects per unit of the intent, net of the touch and the venues'
    #: fees (an arbitrage's locked edge); the pre-trade cost check weighs each leg against its
    #: share instead of a default edge. Out of the repr, so ids stay as they were.
    edge: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.execution is not None:
            object.__setattr__(self, "execution", ExecSpec.parse(self.execution))
            algo = self.execution.algorithm  # type: ignore[union-attr]
            if len(self.legs) != 1:
                raise ValueError(f"execution spec {algo}: works one-leg orders only (legs of a multi-leg order "
                                 "trade together)")
            if self.order_type is not OrderType.MARKET:
                raise ValueError(f"execution spec {algo}: works market orders only, got {self.order_type.value} "
                                 "(cap the children's price with params.limit)")
            if self.bracket is not None or self.reduce_only:
                raise ValueError(f"execution spec {algo}: not on a {'bracket' if self.bracket else 'reduce-only'} "
                                 "order (it is sent as one order)")
        for name in ("limit", "stop", "trail", "trail_percent", "size"):
            object.__setattr__(self, name, _opt_dec(getattr(self, name)))
        if not self.legs:
            raise ValueError("an order intent needs at least one leg")
        names = [leg.instrument for leg in self.legs]
        if len(set(names)) != len(names):
            raise ValueError(f"an order intent names an instrument twice: {names}")
        t, kind = self.order_type, self.order_type.value
        if t in (OrderType.LIMIT, OrderType.STOP_LIMIT) and self.limit is None:
            raise ValueError(f"a {kind} order needs a limit price")
        if t in (OrderType.STOP, OrderType.STOP_LIMIT) and self.stop is None:
            raise ValueError(f"a {kind} order needs a stop price")
        if t is OrderType.TRAILING_STOP and (self.trail is None) == (self.trail_percent is None):
            raise ValueError("a trailing_stop order needs exactly one of trail and trail_percent")
        for name in ("limit", "stop", "trail", "trail_percent"):
            v = getattr(self, name)
            if v is not None and not v > 0 and not (name == "limit" and len(self.legs) > 1):
                # a combo's net limit may be a credit (<= 0); a one-leg price may not
                raise ValueError(f"{name} must be positive, got {v}")
        if self.tif is TimeInForce.GTD and self.expire_ns is None:
            raise ValueError("a GTD order needs expire_ns")
        if self.size is not None and self.size <= 0:
            raise ValueError(f"order size is a cap and must be > 0, got {self.size}")
        if self.post_only and t is not OrderType.LIMIT:
            raise ValueError("post_only applies to limit orders only")
        if self.bracket is not None and len(self.legs) != 1:
            raise ValueError("a bracket attaches to a one-leg order")
        if self.bracket is not None and self.reduce_only:
            raise ValueError("a reduce-only order cannot carry a bracket")

    @classmethod
    def single(cls, instrument: str, side: Side | str, *, size: Decimal | float | None = None,
               **kwargs: Any) -> OrderIntent:
        """A one-leg order: ``side`` buy or sell, ``size`` its cap in units (None: the
        risk gate sizes it)."""
        sign = Side(side).sign
        return cls((Leg(instrument, Decimal(sign)),), size=_opt_dec(size), **kwargs)

    @classmethod
    def combo(cls, legs: Mapping[str, float | Decimal], *, atomic: Atomic = Atomic.ALL_OR_NONE,
              size: Decimal | float | None = None, **kwargs: Any) -> OrderIntent:
        """A multi-leg order from ``{instrument: signed ratio}``."""
        return cls(tuple(Leg(k, _dec(v)) for k, v in legs.items()), atomic=atomic, size=_opt_dec(size),
                   **kwargs)

    @property
    def is_multi_leg(self) -> bool:
        return len(self.legs) > 1

    @property
    def instruments(self) -> tuple[str, ...]:
        return tuple(leg.instrument for leg in self.legs)


@dataclass(frozen=True, slots=True)
class QuoteLevel:
    """One resting level of a quote: a price and a size in units."""

    price: Decimal
    size: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", _dec(self.price))
        object.__setattr__(self, "size", _dec(self.size))
        if self.size <= 0:
            raise ValueError(f"quote level size must be > 0, got {self.size}")


def _levels(levels: Iterable[QuoteLevel | tuple[Any, Any]]) -> tuple[QuoteLevel, ...]:
    return tuple(lv if isinstance(lv, QuoteLevel) else QuoteLevel(*lv) for lv in levels)


@dataclass(frozen=True, slots=True)
class Quote:
    """Two-sided (or one-sided) resting limit levels on one instrument.

    ``max_inventory`` bounds the worst case per side: position plus every resting
    same-side level filled must stay within it (levels beyond are trimmed).
    ``refresh`` is the relative price move (0.001 = 10 bp) below which live levels are
    left alone instead of being replaced. Levels are post-only unless ``post_only`` is off.
    """

    instrument: str
    bids: tuple[QuoteLevel, ...] = ()
    asks: tuple[QuoteLevel, ...] = ()
    max_inventory: Decimal | None = None
    refresh: float = 0.0
    post_only: bool = True
    id: str = ""
    tag: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bids", _levels(self.bids))
        object.__setattr__(self, "asks", _levels(self.asks))
        object.__setattr__(self, "max_inventory", _opt_dec(self.max_inventory))
        if not self.bids and not self.asks:
            raise ValueError(f"quote on {self.instrument}: no levels (use Cancel to withdraw)")
        if self.bids and self.asks and max(b.price for b in self.bids) >= min(a.price for a in self.asks):
            raise ValueError(f"quote on {self.instrument}: a bid is at or above an ask (crossed)")
        if self.max_inventory is not None and self.max_inventory < 0:
            raise ValueError("max_inventory must be >= 0")
        if self.refresh < 0:
            raise ValueError("refresh must be >= 0")


@dataclass(frozen=True, slots=True)
class Cancel:
    """Withdraw the live order or quote intent with this id (its resting orders too)."""

    id: str


Intent = Target | OrderIntent | Quote | Cancel
INTENT_TYPES: tuple[type, ...] = (Target, OrderIntent, Quote, Cancel)


def intent_id(bot: str, ts_ns: int, seq: int, intent: Intent, account: str = "") -> str:
    """A deterministic id for an intent the bot left unnamed: same bot, time, position
    and content give the same id (so a retry or restart never resubmits)."""
    explicit = intent.id if isinstance(intent, OrderIntent | Quote) else ""
    if explicit:
        return str(explicit)
    raw = f"{account}|{bot}|{ts_ns}|{seq}|{type(intent).__name__}|{intent!r}"
    spec = getattr(intent, "execution", None)
    if spec is not None:  # kept out of the repr, so ids of intents without one never changed
        raw += f"|{spec!r}"
    return "in-" + hashlib.sha1(raw.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class IntentEnvelope:
    """An intent stamped with who asked, when, and its id (what the engine dispatches)."""

    bot: str
    intent: Intent
    id: str
    ts_event: int
    ts_init: int
    account: str = ""
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
