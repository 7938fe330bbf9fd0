"""The order manager: intent log, send, settle, and fill intake.

Every order is stored as INTENT (and committed) before the first send, so a crash
between the two leaves a record that reconciliation settles by querying the venue with
the same client order id; a resend never happens blindly. Fills are de-duplicated by
(venue, venue order id, trade id) in the store itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from orchestrator.bus import Bus, Topic
from orchestrator.clock import Clock
from orchestrator.domain import Fill, Order, OrderStatus
from orchestrator.errors import (AuthError, BrokerError, OrderRejected, OrderStateUnknown, PluginError,
                                 TransientBrokerError)
from orchestrator.execution.broker import Broker, VenueOrder
from orchestrator.execution.secrets import redact

if TYPE_CHECKING:
    from orchestrator.store import Store
    from orchestrator.store.records import OrderRecord


@dataclass(frozen=True)
class Alert:
    """Something an operator must see."""

    kind: str
    message: str
    ts_ns: int
    account: str = ""


class OrderManager:
    """Submits approved orders through the broker of their account."""

    def __init__(self, store: Store, brokers: Mapping[str, Broker], clock: Clock, bus: Bus,
                 on_fill: Callable[[Order, Fill], None] | None = None,
                 in_process_accounts: frozenset[str] = frozenset()) -> None:
        self._store = store
        # Venues that live in this process (the paper broker) vanish with it, so no venue
        # order can outlive an uncommitted intent: their intents ride the current batch.
        self._in_process = in_process_accounts
        self._brokers = dict(brokers)
        self._clock = clock
        self._bus = bus
        self._on_fill = on_fill
        self._orders: dict[str, Order] = {}
        self._filled: dict[str, Decimal] = {}
        self._notional: dict[str, Decimal] = {}
        self._by_venue: dict[tuple[str, str], str] = {}  # (account, venue order id) -> client id
        self._seen: set[tuple[str, str, str]] = set()  # (venue, venue order id, trade id)
        self.halted: dict[str, str] = {}  # account -> reason; nothing is sent there

    def accounts(self) -> list[str]:
        """The accounts this order manager sends to."""
        return list(self._brokers)

    def broker(self, account: str) -> Broker:
        try:
            return self._brokers[account]
        except KeyError:
            raise PluginError(f"no broker for account {account!r} (have: {', '.join(sorted(self._brokers))})") from None

    def submit(self, order: Order) -> VenueOrder | None:
        """Store the intent, send once, record the venue's answer; return the ack.

        An order id that is already stored is never sent again (a restart or a replayed
        decision); a halted account sends nothing; a write that may have reached the venue
        leaves the order UNKNOWN until :mod:`orchestrator.execution.reconcile` settles it."""
        broker = self.broker(order.account)
        if order.account in self.halted:
            self._alert("order_blocked", f"{order.client_order_id}: account {order.account} is halted: "
                        f"{self.halted[order.account]}", order.account)
            return None
        durable = order.account not in self._in_process
        if not self._store.record_order_intent(order, commit=durable):  # committed before the first send
            self._alert("duplicate_intent", f"{order.client_order_id} is already stored; not sent again",
                        order.account)
            return None
        self._orders[order.client_order_id] = order
        self._bus.publish(Topic.ORDERS, order)
        now = self._clock.now_ns()
        prepare = getattr(broker, "prepare", None)
        if prepare is not None:  # venues without client ids: store the venue id before sending
            venue_id = prepare(order)
            self._store.update_order(order.client_order_id, OrderStatus.INTENT, venue_order_id=venue_id, ts_ns=now)
            self._by_venue[(order.account, venue_id)] = order.client_order_id
        try:
            ack = broker.submit(order)
        except OrderRejected as exc:
            self._store.update_order(order.client_order_id, OrderStatus.REJECTED, reason=redact(exc), ts_ns=now)
            self._alert("order_rejected", redact(exc), order.account)
            return None
        except (OrderStateUnknown, TransientBrokerError, TimeoutError, ConnectionError) as exc:
            self._store.update_order(order.client_order_id, OrderStatus.UNKNOWN, reason=redact(exc), ts_ns=now)
            self._alert("order_unknown", f"{order.client_order_id}: {redact(exc)}", order.account)
            return None
        except AuthError as exc:
            self._store.update_order(order.client_order_id, OrderStatus.UNKNOWN, reason=redact(exc), ts_ns=now)
            self.halt(order.account, f"auth failed: {redact(exc)}")
            raise
        self._by_venue[(order.account, ack.venue_order_id)] = order.client_order_id
        self._store.update_order(order.client_order_id, ack.status, venue_order_id=ack.venue_order_id, ts_ns=now)
        self.collect_fills(order.account)
        return ack

    def cancel(self, client_order_id: str) -> bool:
        """Ask the venue to cancel a working order; store CANCELED once it confirms.

        A fill that raced the cancel is collected first (it stays booked). False if the
        order is unknown, no longer open, or the venue did not confirm (it is alerted)."""
        rec = self._store.order(client_order_id)
        if rec is None or not rec.status.is_open:
            return False
        try:
            vo = self.broker(rec.account).cancel(client_order_id)
        except BrokerError as exc:
            self._alert("cancel_failed", f"{client_order_id}: {redact(exc)}", rec.account)
            return False
        self.collect_fills(rec.account)
        if vo.status is not OrderStatus.CANCELED:
            return False
        self._store.update_order(client_order_id, OrderStatus.CANCELED, ts_ns=self._clock.now_ns())
        return True

    def halt(self, account: str, reason: str, actor: str = "oms") -> None:
        """Halt ``account``: stored (scope ``account:<name>``), alerted, and nothing more is sent."""
        reason = redact(reason)
        self.halted[account] = reason
        self._store.set_control(f"account:{account}", halted=True, reason=reason, actor=actor,
                                ts_ns=self._clock.now_ns())
        self._alert("account_halted", f"account {account} halted: {reason}", account)

    def load_halts(self) -> None:
        """Pick up account halts stored by an earlier run or by an operator."""
        for account in self._brokers:
            state = self._store.control(f"account:{account}")
            if state is not None and state.halted:
                self.halted[account] = state.reason
            else:
                self.halted.pop(account, None)

    def register(self, record_order: Order, venue_order_id: str | None, filled: Decimal,
                 notional: Decimal) -> None:
        """Teach the in-memory indexes about a stored order (restart, reconciliation)."""
        cid = record_order.client_order_id
        self._orders[cid] = record_order
        self._filled[cid] = filled
        self._notional[cid] = notional
        if venue_order_id:
            self._by_venue[(record_order.account, venue_order_id)] = cid

    def restore(self, records: list[OrderRecord], fills: list[Fill]) -> None:
        """Warm start: index every stored order (open and UNKNOWN ones included) and every
        stored fill, so fills for known client ids land on their orders and re-served old
        fills are recognised."""
        for rec in records:
            self.register(rec.order, rec.venue_order_id, rec.filled_quantity,
                          rec.filled_quantity * (rec.avg_price or Decimal(0)))
        for fill in fills:
            self._seen.add((fill.venue, fill.venue_order_id, fill.trade_id))

    def collect_fills(self, account: str | None = None) -> list[Fill]:
        """Poll fills, drop duplicates and overfills, store the rest; return the new ones.

        Duplicates are dropped first (by (venue, venue order id, trade id), in memory and in
        the store), so a replayed fill is never mistaken for an overfill; a fill that would
        take an order past its quantity is not stored and is alerted. A fill for an order
        tradefleet never placed is stored against an EXTERNAL order and alerted."""
        accounts = [account] if account is not None else list(self._brokers)
        new: list[Fill] = []
        for acct in accounts:
            try:
                fills = self._brokers[acct].poll_fills()
            except BrokerError as exc:  # auth-halted or unreachable: report, keep the engine running
                self._alert("fills_unavailable", f"account {acct}: {redact(exc)}", acct)
                continue
            for fill in fills:
                key = (fill.venue, fill.venue_order_id, fill.trade_id)
                if key in self._seen:
                    continue
                order = self._resolve(acct, fill)
                if order is None:
                    order = self._adopt_external(acct, fill)
                if fill.client_order_id != order.client_order_id:
                    fill = _with_cid(fill, order.client_order_id)
                done = self._filled.get(order.client_order_id, Decimal(0))
                if done + fill.quantity > order.quantity:
                    if self._store_has(fill):
                        self._seen.add(key)
                        continue
                    self._alert("overfill", f"{order.client_order_id}: fill {fill.trade_id} of {fill.quantity} "
                                f"exceeds order {order.quantity} (filled {done}); not booked", acct)
                    self._seen.add(key)
                    continue
                self._seen.add(key)
                if not self._store.record_fill(fill):
                    continue
                self._filled[order.client_order_id] = done = done + fill.quantity
                notional = self._notional.get(order.client_order_id, Decimal(0)) + fill.quantity * fill.price
                self._notional[order.client_order_id] = notional
                status = OrderStatus.FILLED if done == order.quantity else OrderStatus.PARTIALLY_FILLED
                if status is OrderStatus.PARTIALLY_FILLED or order.bot == "external":
                    record = self._store.order(order.client_order_id)  # not on the full-fill hot path
                    if record is not None and record.status in (OrderStatus.CANCELED, OrderStatus.EXTERNAL):
                        status = record.status  # a late fill of a canceled order keeps it canceled
                self._store.update_order(order.client_order_id, status, filled_quantity=done,
                                         avg_price=notional / done, ts_ns=fill.ts_init)
                if self._on_fill is not None and status is not OrderStatus.EXTERNAL:
                    self._on_fill(order, fill)
                self._bus.publish(Topic.FILLS, fill)
                new.append(fill)
        return new

    def _resolve(self, account: str, fill: Fill) -> Order | None:
        cid = fill.client_order_id or self._by_venue.get((account, fill.venue_order_id), "")
        if not cid:
            for rec in self._store.orders():
                if rec.account == account and rec.venue_order_id == fill.venue_order_id:
                    cid = rec.client_order_id
                    break
        if not cid:
            return None
        return self._orders.get(cid) or self._load(cid)

    def _store_has(self, fill: Fill) -> bool:
        return any(f.venue == fill.venue and f.venue_order_id == fill.venue_order_id and f.trade_id == fill.trade_id
                   for f in self._store.fills(fill.client_order_id))

    def _adopt_external(self, account: str, fill: Fill) -> Order:
        """Store an order tradefleet did not place, so its fills can be booked and shown."""
        cid = f"ext-{fill.venue}-{fill.venue_order_id}"
        order = Order(cid, "external", fill.instrument, fill.side, fill.quantity, fill.ts_init, account=account)
        self.adopt(order, fill.venue_order_id, OrderStatus.EXTERNAL)
        self._alert("external_fill", f"fill {fill.trade_id} for order {fill.venue_order_id} not placed by "
                    f"tradefleet; adopted as {cid}", account)
        return order

    def adopt(self, order: Order, venue_order_id: str, status: OrderStatus = OrderStatus.EXTERNAL,
              filled: Decimal = Decimal(0), avg_price: Decimal | None = None) -> None:
        """Store an order found at the venue (EXTERNAL) and index it."""
        if self._store.order(order.client_order_id) is None:
            self._store.record_order_intent(order)
        self._store.update_order(order.client_order_id, status, venue_order_id=venue_order_id,
                                 reason="adopted from the venue", ts_ns=self._clock.now_ns())
        self.register(order, venue_order_id, Decimal(0), Decimal(0))

    def _load(self, client_order_id: str) -> Order | None:
        record = self._store.order(client_order_id)
        if record is None:
            return None
        self._orders[client_order_id] = record.order
        self._filled[client_order_id] = record.filled_quantity
        self._notional[client_order_id] = record.filled_quantity * (record.avg_price or Decimal(0))
        if record.venue_order_id:
            self._by_venue[(record.account, record.venue_order_id)] = client_order_id
        return record.order

    def _alert(self, kind: str, message: str, account: str) -> None:
        self._bus.publish(Topic.ALERTS, Alert(kind, redact(message), self._clock.now_ns(), account))


def _with_cid(fill: Fill, client_order_id: str) -> Fill:
    from dataclasses import replace

    return replace(fill, client_order_id=client_order_id)
