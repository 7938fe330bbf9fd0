"""What every live adapter shares: error mapping, read retries, the throttle, fill de-dup
and the auth halt.

An adapter implements the venue calls (``_submit``, ``_query`` ...) and ``classify`` (turn a
client exception into a :class:`Failure`); this base turns failures into the error tree:

* on a **write**: a definitive reject -> :class:`OrderRejected` (never retried); 401/bad
  signature -> :class:`AuthError` and the venue halts (no retry storm); anything else (timeout,
  reset, 5xx, 429) -> :class:`OrderStateUnknown` (settled by ``query_order``, never resent).
* on a **read**: transient failures are retried by :class:`RetryPolicy` honouring
  Retry-After; auth failures halt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from tradefleet.orchestrator.clock import Clock, LiveClock
from tradefleet.orchestrator.sections import AccountConfig
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, TimeInForce
from tradefleet.orchestrator.errors import (AuthError, BrokerError, ConfigError, OrderRejected, OrderStateUnknown,
                                 TransientBrokerError)
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.linked import Linked
from tradefleet.orchestrator.execution.retry import RetryPolicy
from tradefleet.orchestrator.execution.secrets import redact
from tradefleet.orchestrator.execution.throttle import TokenBucket, bucket_for

T = TypeVar("T")
_log = logging.getLogger("tradefleet.execution")

#: Default client-side HTTP timeout (seconds) for every adapter.
DEFAULT_TIMEOUT_S = 10.0


class FailureKind(StrEnum):
    REJECT = "reject"        # the venue definitively refused (bad size, funds): final
    AUTH = "auth"            # credentials/signature/clock skew: halt the venue
    TRANSIENT = "transient"  # 429 / 5xx / timeout / reset: maybe retry reads, UNKNOWN for writes
    NOT_FOUND = "not_found"  # the thing asked about does not exist


class VenueNotFound(Exception):
    """Raised inside an adapter when the venue has no such order."""


class VenueRejected(Exception):
    """Raised inside an adapter when the venue answered with a definitive reject."""


@dataclass(frozen=True)
class Failure:
    """A classified client exception."""

    kind: FailureKind
    message: str
    retry_after: float | None = None


@dataclass
class AdapterOptions:
    """Knobs an adapter is built with (tests pass short timeouts and a SimClock)."""

    clock: Clock
    sleep: Callable[[float], None] = time.sleep
    timeout_s: float = DEFAULT_TIMEOUT_S
    throttle: tuple[float, float] | None = None
    retry_attempts: int = 4
    environ: Mapping[str, str] | None = None


class VenueBroker:
    """Base of the live adapters; subclasses set ``name`` and implement the ``_`` calls.

    ``native_types``, ``native_tif`` and ``post_only`` say which order types, times in force
    and flags the adapter maps to the venue's own; the order manager emulates the rest
    (stops and trailing stops held locally and released as market orders, OCO and bracket
    links, DAY/GTD expiry) and refuses what cannot be emulated (post-only)."""

    name: ClassVar[str] = ""
    api_version: ClassVar[int] = 1
    venue: ClassVar[str] = ""
    native_types: ClassVar[frozenset[OrderType]] = frozenset({OrderType.MARKET, OrderType.LIMIT})
    native_tif: ClassVar[frozenset[TimeInForce]] = frozenset({TimeInForce.GTC})
    post_only: ClassVar[bool] = False
    native_brackets: ClassVar[bool] = False  # an entry with take-profit/stop-loss held by the venue
    native_oco: ClassVar[bool] = False       # a take-profit/stop-loss pair held by the venue

    def __init__(self, account: str, cfg: AccountConfig, opts: AdapterOptions) -> None:
        self.account_name = account
        self.cfg = cfg
        self.opts = opts
        self.clock = opts.clock
        self.bucket: TokenBucket = bucket_for(self.rate_key(), opts.clock, opts.sleep, opts.throttle)
        self.retry = RetryPolicy(attempts=opts.retry_attempts, sleep=opts.sleep)
        self.halted_reason: str | None = None
        self._seen_trades: dict[tuple[str, str], set[tuple[object, ...]]] = {}
        self._cids: dict[str, str] = {}
        self._down = False
        self._reconnected = False
        self.calls = 0
        self.groups: dict[str, Linked] = {}  # client id -> the native bracket/OCO it belongs to
        self._touched: set[str] = set()  # group members whose siblings the venue may have ended

    def rate_key(self) -> str:
        """The key of this venue's published rate limit in ``throttle.VENUE_LIMITS``."""
        return getattr(self, "exchange_id", "") or self.venue or self.name

    # -- construction ---------------------------------------------------------------
    @classmethod
    def build(cls, services: Any, account: str | None = None) -> VenueBroker:
        """Build from ``[accounts.<account>]`` (default: the first account of this venue)."""
        accounts: dict[str, AccountConfig] = services.config.accounts
        if account is None:
            account = next((n for n, a in accounts.items() if a.venue == cls.name), None)
            if account is None:
                raise ConfigError(f"broker {cls.name}: no [accounts.*] entry with venue = \"{cls.name}\"")
        cfg = accounts.get(account)
        if cfg is None:
            raise ConfigError(f"broker {cls.name}: no [accounts.{account}] section in the config")
        opts = services.extras.get("adapter_options") or AdapterOptions(clock=services.clock or LiveClock())
        return cls(account, cfg, opts)

    def require(self, value: str | None, key: str) -> str:
        if not value:
            raise ConfigError(f"[accounts.{self.account_name}] {key} is required for venue {self.name}")
        return value

    # -- to implement ---------------------------------------------------------------
    def classify(self, exc: Exception) -> Failure | None:
        """Map a client exception to a Failure (None: not a venue error, re-raise)."""
        raise NotImplementedError

    def _submit(self, order: Order) -> VenueOrder:
        raise NotImplementedError

    def _cancel(self, client_order_id: str) -> VenueOrder:
        raise NotImplementedError

    def _query(self, client_order_id: str) -> VenueOrder | None:
        raise NotImplementedError

    def _open_orders(self) -> list[VenueOrder]:
        raise NotImplementedError

    def _positions(self) -> dict[str, Decimal]:
        raise NotImplementedError

    def _account(self) -> AccountSnapshot:
        raise NotImplementedError

    def _fills(self) -> list[Fill]:
        """Return recent fills as the venue reports them (duplicates allowed)."""
        raise NotImplementedError

    def linked_problem(self, group: Linked) -> str | None:
        """Why the venue cannot hold this bracket/OCO as sent (None: it can)."""
        return None

    def _submit_linked(self, group: Linked) -> list[VenueOrder]:
        """Send a bracket/OCO in one venue request; the acks in ``group.orders`` order."""
        raise NotImplementedError

    # -- native linked orders ---------------------------------------------------------
    def submit_linked(self, group: Linked) -> list[VenueOrder]:
        """Send a bracket or OCO pair the venue holds natively, once (one write)."""
        self.link(group)
        return self._write(f"submit {group.kind} {group.orders[0].client_order_id}",
                           lambda: self._submit_linked(group))

    def link(self, group: Linked) -> None:
        """Remember a native group (sent now, or found in the store after a restart), so its
        legs are found and a fill or cancel of one member checks the others."""
        for o in group.orders:
            self.groups[o.client_order_id] = group

    def touched(self, client_order_id: str) -> None:
        if client_order_id in self.groups:
            self._touched.add(client_order_id)

    def poll_updates(self) -> list[VenueOrder]:
        """Members of native groups the venue ended by itself since the last call (an OCO
        sibling canceled by a fill, the exits of a canceled entry): the other members of
        every group one of whose orders filled or was canceled, as the venue reports them."""
        if not self._touched:
            return []
        out: list[VenueOrder] = []
        seen: set[str] = set()
        for cid in sorted(self._touched):
            for o in self.groups[cid].orders:
                other = o.client_order_id
                if other == cid or other in seen:
                    continue
                seen.add(other)
                vo = self.query_order(other)  # a failure leaves the group touched: checked next poll
                if vo is not None and vo.status in (OrderStatus.CANCELED, OrderStatus.REJECTED):
                    out.append(vo)
            self._touched.discard(cid)
        return out

    # -- Broker protocol ------------------------------------------------------------
    def submit(self, order: Order) -> VenueOrder:
        """Send ``order`` once; a failure that may have reached the venue raises UNKNOWN."""
        return self._write(f"submit {order.client_order_id}", lambda: self._submit(order))

    def cancel(self, client_order_id: str) -> VenueOrder:
        vo = self._write(f"cancel {client_order_id}", lambda: self._cancel(client_order_id))
        self.touched(client_order_id)  # a native bracket's exits go with their entry
        return vo

    def query_order(self, client_order_id: str) -> VenueOrder | None:
        return self._read(f"query {client_order_id}", lambda: self._query(client_order_id))

    def open_orders(self) -> list[VenueOrder]:
        return self._read("open orders", self._open_orders)

    def positions(self) -> dict[str, Decimal]:
        return {k: v for k, v in self._read("positions", self._positions).items() if v != 0}

    def account(self) -> AccountSnapshot:
        return self._read("account", self._account)

    def learn_instruments(self, instruments: Iterable[str]) -> None:
        """Reconciliation teaches the adapter the instruments the store holds for it."""
        symbols = getattr(self, "symbols", None)
        if isinstance(symbols, InstrumentMap):
            symbols.learn(instruments)

    def order_by_venue_id(self, venue_order_id: str) -> VenueOrder | None:
        """The venue's record of one of its orders (with the client id it carries), or None
        where the adapter cannot look orders up by venue id."""
        if type(self)._by_venue_id is VenueBroker._by_venue_id:
            return None
        return self._read(f"order {venue_order_id}", lambda: self._by_venue_id(venue_order_id))

    def _by_venue_id(self, venue_order_id: str) -> VenueOrder | None:
        return None

    def poll_fills(self) -> list[Fill]:
        """Return fills not returned before. An exact repeat of (venue order id, trade id)
        is dropped; the same ids with other contents are passed on (the order manager
        records the conflict and keeps the first)."""
        out = []
        for fill in self._read("fills", self._fills):
            key = (fill.venue_order_id, fill.trade_id)
            seen = self._seen_trades.setdefault(key, set())
            contents = (fill.side, fill.quantity, fill.price, fill.instrument)
            if contents not in seen:
                seen.add(contents)
                out.append(fill)
                if self.groups:
                    self.touched(fill.client_order_id or self.cid_for(fill.venue_order_id))
        return out

    # -- error handling -------------------------------------------------------------
    def _where(self) -> str:
        return f"{self.name} account {self.account_name}"

    def _check_halt(self) -> None:
        if self.halted_reason is not None:
            raise AuthError(f"{self._where()} is halted after an auth failure: {self.halted_reason}")

    def _fail(self, exc: Exception) -> Failure:
        if isinstance(exc, BrokerError):
            raise exc
        if isinstance(exc, VenueNotFound):
            return Failure(FailureKind.NOT_FOUND, redact(exc))
        if isinstance(exc, VenueRejected):
            return Failure(FailureKind.REJECT, redact(exc))
        failure = self.classify(exc)
        if failure is None:
            # not a known client error (e.g. a malformed response failed to parse): the
            # request may have been processed, so a write must be UNKNOWN, never "failed"
            _log.warning("%s: unexpected %s from the client", self._where(), type(exc).__name__, exc_info=True)
            return Failure(FailureKind.TRANSIENT, f"unexpected {type(exc).__name__}: {redact(str(exc)[:200])}")
        return Failure(failure.kind, redact(failure.message), failure.retry_after)

    def _halt(self, failure: Failure) -> AuthError:
        self.halted_reason = failure.message
        return AuthError(f"{self._where()}: credentials refused ({failure.message}); venue halted, "
                         "fix the credentials and restart")

    def take_reconnected(self) -> bool:
        """True once after the venue answered again following a connection failure
        (the order manager then reconciles this account)."""
        seen, self._reconnected = self._reconnected, False
        return seen

    def _ok(self, value: T) -> T:
        if self._down:
            self._down, self._reconnected = False, True
        return value

    def _write(self, what: str, fn: Callable[[], T]) -> T:
        self._check_halt()
        self.bucket.acquire()
        self.calls += 1
        try:
            return self._ok(fn())
        except Exception as exc:
            failure = self._fail(exc)
        if failure.kind is FailureKind.TRANSIENT:
            self._down = True
        if failure.kind is FailureKind.REJECT:
            raise OrderRejected(f"{self._where()}: {what} rejected: {failure.message}")
        if failure.kind is FailureKind.AUTH:
            raise self._halt(failure)
        if failure.kind is FailureKind.NOT_FOUND:
            raise OrderRejected(f"{self._where()}: {what}: not found: {failure.message}")
        raise OrderStateUnknown(f"{self._where()}: {what}: outcome unknown ({failure.message}); "
                                "settle by query_order, do not resend")

    def _read(self, what: str, fn: Callable[[], T]) -> T:
        self._check_halt()

        def once() -> T:
            self.bucket.acquire()
            self.calls += 1
            try:
                return self._ok(fn())
            except Exception as exc:
                failure = self._fail(exc)
            if failure.kind is FailureKind.TRANSIENT:
                self._down = True
            if failure.kind is FailureKind.AUTH:
                raise self._halt(failure)
            if failure.kind is FailureKind.REJECT:
                raise BrokerError(f"{self._where()}: {what} refused: {failure.message}")
            raise TransientBrokerError(f"{self._where()}: {what}: {failure.message}", failure.retry_after)

        return self.retry.call(once, f"{self._where()}: {what}")

    # -- helpers for subclasses -----------------------------------------------------
    def remember(self, venue_order_id: str, client_order_id: str) -> None:
        """Remember which client id a venue order id belongs to (fills often carry only one)."""
        if venue_order_id and client_order_id:
            self._cids[venue_order_id] = client_order_id

    def cid_for(self, venue_order_id: str) -> str:
        return self._cids.get(venue_order_id, "")

    def now_ns(self) -> int:
        return self.clock.now_ns()


def http_failure(status: int | None, message: str, retry_after: float | None = None,
                 reject_statuses: tuple[int, ...] = (400, 403, 422),
                 auth_statuses: tuple[int, ...] = (401,)) -> Failure:
    """Classify an HTTP status the usual way."""
    if status in auth_statuses:
        return Failure(FailureKind.AUTH, f"HTTP {status}: {message}")
    if status == 404:
        return Failure(FailureKind.NOT_FOUND, f"HTTP 404: {message}")
    if status in reject_statuses:
        return Failure(FailureKind.REJECT, f"HTTP {status}: {message}")
    return Failure(FailureKind.TRANSIENT, f"HTTP {status}: {message}" if status else message, retry_after)


def dec(value: Any, default: str = "0") -> Decimal:
    """Parse a venue number (str/float/int/None) exactly."""
    if value is None or value == "":
        return Decimal(default)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def status_of(qty: Decimal, filled: Decimal, done: bool, canceled: bool = False,
              rejected: bool = False) -> OrderStatus:
    """Derive a tradefleet order status from quantities and the venue's terminal flags."""
    if rejected:
        return OrderStatus.REJECTED
    if filled >= qty and qty > 0:
        return OrderStatus.FILLED
    if canceled or done:
        return OrderStatus.CANCELED
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED


class InstrumentMap:
    """tradefleet instrument <-> venue symbol, one per adapter, used by orders, fills,
    positions and reconciliation alike.

    ``venue(symbol)`` is what orders carry: an explicit ``[accounts.<name>.extra] symbols``
    entry, else the venue's style (OANDA ``EUR/USD`` -> ``EUR_USD``). ``local(name)`` turns
    any name the venue reports back into the tradefleet instrument: the explicit map, else
    any instrument this account trades (learned from orders and from the store at
    reconciliation) whose name equals it once separators and case are ignored (Alpaca
    reports the crypto pair ``BTC/USD`` as ``BTCUSD`` in positions and fills; ccxt market
    ids ``BTCUSDT`` vs ``BTC/USDT``; OANDA ``EUR_USD``), else the name unchanged (Kalshi
    tickers, Polymarket token ids)."""

    def __init__(self, mapping: Mapping[str, str] | None = None,
                 style: Callable[[str], str] | None = None) -> None:
        self.to: dict[str, str] = dict(mapping or {})
        self.back: dict[str, str] = {v: k for k, v in self.to.items()}
        self._style = style
        self._known: dict[str, str] = {}  # normalised name -> tradefleet instrument
        self.learn(self.to)

    def venue(self, symbol: str) -> str:
        """The venue's symbol of a tradefleet instrument (and remember the instrument)."""
        self._remember(symbol)
        mapped = self.to.get(symbol)
        if mapped is not None:
            return mapped
        return self._style(symbol) if self._style is not None else symbol

    def local(self, venue_symbol: str) -> str:
        """The tradefleet instrument of a name the venue reports."""
        mapped = self.back.get(venue_symbol)
        if mapped is not None:
            return mapped
        return self._known.get(normalise(venue_symbol), venue_symbol)

    def learn(self, instruments: Iterable[str]) -> None:
        """Remember instruments this account trades (so venue spellings map back to them)."""
        for symbol in instruments:
            self._remember(symbol)

    def _remember(self, symbol: str) -> None:
        if symbol:
            self._known.setdefault(normalise(symbol), symbol)


#: The historic name of :class:`InstrumentMap`.
SymbolMap = InstrumentMap


def normalise(symbol: str) -> str:
    """A symbol without separators, upper case: ``BTC/USD``, ``BTCUSD``, ``btc-usd`` -> ``BTCUSD``."""
    return "".join(ch for ch in symbol if ch not in "/_-: .").upper()
