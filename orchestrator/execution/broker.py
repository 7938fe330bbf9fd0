"""The broker contract every venue adapter (and the paper broker) implements.

Methods are synchronous because the venues' official clients are; the engine calls them
from its executor when live. Errors follow the tree in :mod:`tradefleet.orchestrator.errors`:
``OrderRejected`` is final, ``OrderStateUnknown`` is settled by :meth:`Broker.query_order`
(never by resending), ``TransientBrokerError`` may be retried for reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Protocol, runtime_checkable

from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, Side


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """An order as the venue reports it."""

    client_order_id: str
    venue_order_id: str
    instrument: str
    side: Side
    quantity: Decimal
    filled_quantity: Decimal
    status: OrderStatus
    avg_price: Decimal | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """Cash and equity as the venue reports them."""

    venue: str
    currency: str
    cash: Decimal
    equity: Decimal
    buying_power: Decimal | None = None


@runtime_checkable
class Broker(Protocol):
    """One venue account."""

    name: ClassVar[str]

    def submit(self, order: Order) -> VenueOrder:
        """Send ``order`` (its ``client_order_id`` reaches the venue) and return the ack."""
        ...

    def cancel(self, client_order_id: str) -> VenueOrder:
        """Cancel an open order; already-filled parts stay filled."""
        ...

    def query_order(self, client_order_id: str) -> VenueOrder | None:
        """Look an order up by client id; ``None`` if the venue never saw it."""
        ...

    def open_orders(self) -> list[VenueOrder]: ...

    def positions(self) -> dict[str, Decimal]:
        """Net quantity per instrument symbol."""
        ...

    def account(self) -> AccountSnapshot: ...

    def poll_fills(self) -> list[Fill]:
        """Return fills not returned before (the engine de-duplicates again by id)."""
        ...
