"""Contingent orders the venue cannot hold, held by the order manager instead.

What a venue adapter does not map natively (its ``native_types``, ``native_tif`` and
``native_links``) is emulated here, as NautilusTrader's order emulator does:

- a **stop**, **stop-limit** or **trailing stop** is held locally and watched bar by bar with
  the fill model's trigger rules (:mod:`tradefleet.orchestrator.execution.fill_model`); when it
  triggers it is released to the venue as a market order (a stop-limit as a limit);
- a **bracket child** (``parent_id``) waits until its entry has filled, then is sent (or
  held, if its type is emulated too); it is canceled with an entry that ends unfilled;
- an **OCO group** (``oco_id``): the first member to fill or trigger cancels the others,
  held or at the venue;
- a time in force the venue lacks (DAY, GTD) is sent as GTC and canceled at its expiry.

Held orders are stored like any order (status ACCEPTED, no venue order id, the reason
``emulated: ...``), so a restart re-arms them from the store (:meth:`OrderEmulator.restore`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tradefleet.orchestrator.domain import Bar, Order, OrderType, TimeInForce
from tradefleet.orchestrator.execution.fill_model import DAY_NS, FillConfig, LimitFill, OrderState, Status, match

EMULATED = "emulated"
_TRIGGER = FillConfig(limit_fill=LimitFill.TOUCH)  # a trigger is a touch; costs are the venue's


def native(broker: Any, order: Order) -> tuple[bool, bool, bool]:
    """(type native, time in force native, links native) for ``order`` at ``broker``."""
    types = getattr(broker, "native_types", frozenset(OrderType))
    tifs = getattr(broker, "native_tif", frozenset(TimeInForce))
    links = bool(getattr(broker, "native_links", False))
    tif_ok = order.order_type is OrderType.MARKET or order.time_in_force in tifs
    return order.order_type in types, tif_ok, links


@dataclass
class Held:
    """One order held by the emulator."""

    order: Order
    state: OrderState
    armed: bool


class OrderEmulator:
    """The order manager's book of emulated orders and expiry watches."""

    def __init__(self) -> None:
        self.held: dict[str, Held] = {}
        self.expiries: dict[str, tuple[str, int | None, TimeInForce]] = {}  # cid -> (instrument, expiry, tif)
        self.children: dict[str, list[Order]] = {}  # parent cid -> bracket children waiting for its fill
        self.oco: dict[str, set[str]] = {}  # oco id -> member cids still live

    def __bool__(self) -> bool:
        return bool(self.held or self.expiries or self.children or self.oco)

    def hold(self, order: Order, armed: bool, now_ns: int) -> None:
        state = replace(OrderState.new(order), status=Status.OPEN if armed else Status.PENDING, arrival_ns=now_ns)
        self.held[order.client_order_id] = Held(order, state, armed)
        self.link(order)

    def link(self, order: Order) -> None:
        if order.oco_id is not None:
            self.oco.setdefault(order.oco_id, set()).add(order.client_order_id)

    def wait_for_parent(self, order: Order) -> None:
        assert order.parent_id is not None
        self.children.setdefault(order.parent_id, []).append(order)
        self.link(order)

    def watch_expiry(self, order: Order, now_ns: int) -> None:
        day = now_ns // DAY_NS if order.time_in_force is TimeInForce.DAY else None
        self.expiries[order.client_order_id] = (order.instrument, order.expire_ns if day is None else day,
                                                order.time_in_force)

    def arm(self, cid: str, now_ns: int) -> None:
        h = self.held.get(cid)
        if h is not None and not h.armed:
            h.armed = True
            h.state = replace(h.state, status=Status.OPEN, arrival_ns=now_ns)

    def triggered(self, bar: Bar) -> list[Order]:
        """Held orders of ``bar.symbol`` that this bar triggers (removed from the book)."""
        out = []
        for cid, h in list(self.held.items()):
            if not h.armed or h.order.instrument != bar.symbol:
                continue
            fills, h.state = match(h.state, bar, _TRIGGER)
            if fills or h.state.status.done:
                del self.held[cid]
                if fills:
                    out.append(h.order)
        return out

    def expired(self, bar: Bar) -> list[str]:
        """Orders sent as GTC whose DAY or GTD life ended before this bar closed."""
        out = []
        for cid, (instrument, when, tif) in list(self.expiries.items()):
            if instrument != bar.symbol or when is None:
                continue
            if (tif is TimeInForce.DAY and bar.ts_event // DAY_NS > when) or (
                    tif is TimeInForce.GTD and bar.ts_event > when):
                del self.expiries[cid]
                out.append(cid)
        return out

    def siblings(self, order: Order) -> list[str]:
        """The other live members of ``order``'s OCO group (and forget the group)."""
        if order.oco_id is None:
            return []
        members = self.oco.pop(order.oco_id, set())
        return sorted(members - {order.client_order_id})

    def drop(self, cid: str) -> None:
        self.held.pop(cid, None)
        self.expiries.pop(cid, None)
        for kids in self.children.values():
            kids[:] = [k for k in kids if k.client_order_id != cid]


def release_of(order: Order, now_ns: int) -> Order:
    """The order sent to the venue when a held order triggers: a market order (a limit for
    a stop-limit), same side, quantity and links' bot and signal, with a derived id."""
    if order.order_type is OrderType.STOP_LIMIT:
        kind, limit = OrderType.LIMIT, order.limit_price
    else:
        kind, limit = OrderType.MARKET, None
    return Order(Order.child_id(order.client_order_id, "release"), order.bot, order.instrument, order.side,
                 order.quantity, now_ns, kind, limit, order.signal_id, order.account, order.reduce_only)
