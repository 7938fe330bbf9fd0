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
from orchestrator.errors import AuthError, OrderRejected, OrderStateUnknown, PluginError
from orchestrator.execution.broker import Broker, VenueOrder

if TYPE_CHECKING:
    from orchestrator.store import Store


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
                 on_fill: Callable[[Order, Fill], None] | None = None) -> None:
        self._store = store
        self._brokers = dict(brokers)
        self._clock = clock
        self._bus = bus
        self._on_fill = on_fill
        self._orders: dict[str, Order] = {}
        self._filled: dict[str, Decimal] = {}

    def broker(self, account: str) -> Broker:
        try:
            return self._brokers[account]
        except KeyError:
            raise PluginError(f"no broker for account {account!r} (have: {', '.join(sorted(self._brokers))})") from None

    def submit(self, order: Order) -> VenueOrder | None:
        """Store the intent, send once, record the venue's answer; return the ack."""
        broker = self.broker(order.account)
        self._store.record_order_intent(order)  # committed before the first send
        self._orders[order.client_order_id] = order
        self._bus.publish(Topic.ORDERS, order)
        now = self._clock.now_ns()
        try:
            ack = broker.submit(order)
        except OrderRejected as exc:
            self._store.update_order(order.client_order_id, OrderStatus.REJECTED, reason=str(exc), ts_ns=now)
            self._alert("order_rejected", str(exc), order.account)
            return None
        except (OrderStateUnknown, TimeoutError, ConnectionError) as exc:
            self._store.update_order(order.client_order_id, OrderStatus.UNKNOWN, reason=str(exc), ts_ns=now)
            self._alert("order_unknown", f"{order.client_order_id}: {exc}", order.account)
            return None
        except AuthError as exc:
            self._store.update_order(order.client_order_id, OrderStatus.UNKNOWN, reason=str(exc), ts_ns=now)
            self._alert("auth_failed", str(exc), order.account)
            raise
        self._store.update_order(order.client_order_id, ack.status, venue_order_id=ack.venue_order_id, ts_ns=now)
        self.collect_fills(order.account)
        return ack

    def collect_fills(self, account: str | None = None) -> list[Fill]:
        """Poll fills, drop duplicates and overfills, store the rest; return the new ones."""
        accounts = [account] if account is not None else list(self._brokers)
        new: list[Fill] = []
        for acct in accounts:
            for fill in self._brokers[acct].poll_fills():
                order = self._orders.get(fill.client_order_id) or self._load(fill.client_order_id)
                if order is None:
                    self._alert("fill_unknown_order", f"fill {fill.trade_id} for unknown order {fill.client_order_id}", acct)
                    continue
                done = self._filled.get(order.client_order_id, Decimal(0))
                if done + fill.quantity > order.quantity:
                    self._alert("overfill", f"{order.client_order_id}: fill {fill.trade_id} of {fill.quantity} "
                                f"exceeds order {order.quantity} (filled {done})", acct)
                    continue
                if not self._store.record_fill(fill):
                    continue
                self._filled[order.client_order_id] = done = done + fill.quantity
                status = OrderStatus.FILLED if done == order.quantity else OrderStatus.PARTIALLY_FILLED
                self._store.update_order(order.client_order_id, status, filled_quantity=done, ts_ns=fill.ts_init)
                if self._on_fill is not None:
                    self._on_fill(order, fill)
                self._bus.publish(Topic.FILLS, fill)
                new.append(fill)
        return new

    def _load(self, client_order_id: str) -> Order | None:
        record = self._store.order(client_order_id)
        if record is None:
            return None
        self._orders[client_order_id] = record.order
        self._filled[client_order_id] = record.filled_quantity
        return record.order

    def _alert(self, kind: str, message: str, account: str) -> None:
        self._bus.publish(Topic.ALERTS, Alert(kind, message, self._clock.now_ns(), account))
