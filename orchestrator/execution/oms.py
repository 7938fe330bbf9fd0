"""The order manager: intent log, send, settle, and fill intake.

Every order is stored as INTENT (and committed) before the first send, so a crash
between the two leaves a record that reconciliation settles by querying the venue with
the same client order id; a resend never happens blindly. Fills are de-duplicated by
(venue, venue order id, trade id) in the store itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from tradefleet.orchestrator.bus import Bus, Topic
from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.domain import Bar, Fill, Order, OrderStatus, OrderType, TimeInForce
from tradefleet.orchestrator.errors import (AuthError, BrokerError, OrderRejected, OrderStateUnknown, PluginError,
                                 TransientBrokerError)
from tradefleet.orchestrator.execution.broker import Broker, VenueOrder
from tradefleet.orchestrator.execution.emulator import OrderEmulator
from tradefleet.orchestrator.execution.secrets import redact

if TYPE_CHECKING:
    from tradefleet.orchestrator.execution.conflicts import ConflictBook
    from tradefleet.orchestrator.store import Store
    from tradefleet.orchestrator.store.records import OrderRecord

_log = logging.getLogger("tradefleet.execution")
NATIVE_REASON = "native"  # the reason stored with the orders of a bracket/OCO the venue holds


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
        self._known: dict[tuple[str, str, str], Fill] | None = None  # (venue, venue order id, trade id) -> fill
        self._conflicted: set[tuple[object, ...]] = set()
        self._conflicts: ConflictBook | None = None
        #: (account, instrument) -> why entries there are held (an overfill awaiting reconciliation)
        self.holds: dict[tuple[str, str], str] = {}
        self.halted: dict[str, str] = {}  # account -> reason; nothing is sent there
        self.emulator = OrderEmulator()  # contingent orders the venues cannot hold
        self._not_native: dict[str, str] = {}  # client id -> why its venue cannot hold its links

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
        leaves the order UNKNOWN until :mod:`tradefleet.orchestrator.execution.reconcile` settles it."""
        broker = self.broker(order.account)
        if order.account in self.halted:
            self._alert("order_blocked", f"{order.client_order_id}: account {order.account} is halted: "
                        f"{self.halted[order.account]}", order.account)
            return None
        if self._known is None:
            self._load_known(self._store.fills())  # stored holds and fill keys, once
        held = self.holds.get((order.account, order.instrument)) if not order.reduce_only else None
        if held is not None:
            self._alert("entry_held", f"{order.client_order_id}: entries in {order.instrument} on account "
                        f"{order.account} are held: {held}", order.account)
            return None
        durable = order.account not in self._in_process
        if not self._store.record_order_intent(order, commit=durable):  # committed before the first send
            self._alert("duplicate_intent", f"{order.client_order_id} is already stored; not sent again",
                        order.account)
            return None
        self._orders[order.client_order_id] = order
        self._bus.publish(Topic.ORDERS, order)
        return self._dispatch(broker, order)

    def submit_linked(self, orders: list[Order]) -> list[VenueOrder | None]:
        """Send a bracket (its entry, then the entry's exits) or an OCO exit pair.

        Where the venue holds this shape natively (:mod:`~tradefleet.orchestrator.execution.linked`)
        it goes out as ONE venue request and every order is stored with the reason
        ``native <kind> at <venue>``; otherwise each order goes through :meth:`submit` and the
        links are emulated here, the reason naming why the venue could not hold them. The
        acks are returned in the order of ``orders``."""
        from tradefleet.orchestrator.execution.linked import native_problem, shape

        account = orders[0].account  # one account: every caller sends one intent's or one combo's orders
        broker = self.broker(account)
        if getattr(broker, "native_links", False):  # the paper venue links orders sent one by one
            return [self.submit(o) for o in orders]
        why = native_problem(broker, orders)
        if why is not None or account in self.halted:
            for o in orders:
                if why is not None and o.is_contingent:
                    self._not_native[o.client_order_id] = why
            entry = orders[0] if not orders[0].is_contingent else None
            if entry is None or account in self.halted:
                return [self.submit(o) for o in orders]
            # the exits wait in the order manager before the entry goes out, so an entry that
            # fills at once releases them (as the venue's own OCO pair where it has one)
            exits = {o.client_order_id: self.submit(o) for o in orders[1:]}
            first = self.submit(entry)
            return [first if o is entry else exits[o.client_order_id] for o in orders]
        group = shape(orders)
        assert not isinstance(group, str)
        if self._known is None:
            self._load_known(self._store.fills())
        entry = group.entry
        held = self.holds.get((entry.account, entry.instrument)) if entry is not None and not entry.reduce_only \
            else None
        if held is not None:
            self._alert("entry_held", f"{entry.client_order_id}: entries in {entry.instrument} on account "  # type: ignore[union-attr]
                        f"{entry.account} are held: {held}", entry.account)  # type: ignore[union-attr]
            return [None] * len(orders)
        if any(self._store.order(o.client_order_id) is not None for o in orders):
            self._alert("duplicate_intent", f"{orders[0].client_order_id}: the {group.kind} is already stored; "
                        "not sent again", account)
            return [None] * len(orders)
        durable = account not in self._in_process
        now = self._clock.now_ns()
        native = f"{NATIVE_REASON} {group.kind} at {broker.name}"
        for o in group.orders:  # every order stored (as native: a restart matches it back) before the one send
            self._store.record_order_intent(o, commit=False)
            self._store.update_order(o.client_order_id, OrderStatus.INTENT, reason=native, ts_ns=now)
            self._orders[o.client_order_id] = o
            self._bus.publish(Topic.ORDERS, o)
        if durable:
            self._store.commit()
        cids = [o.client_order_id for o in group.orders]
        try:
            acks = broker.submit_linked(group)  # type: ignore[attr-defined]
        except OrderRejected as exc:
            for cid in cids:
                self._store.update_order(cid, OrderStatus.REJECTED, reason=f"{native}: {redact(exc)}", ts_ns=now)
            self._alert("order_rejected", redact(exc), account)
            return [None] * len(orders)
        except (OrderStateUnknown, TransientBrokerError, TimeoutError, ConnectionError, AuthError) as exc:
            for cid in cids:
                self._store.update_order(cid, OrderStatus.UNKNOWN, reason=f"{native}: {redact(exc)}", ts_ns=now)
            if isinstance(exc, AuthError):
                self.halt(account, f"auth failed: {redact(exc)}")
                raise
            self._alert("order_unknown", f"{cids[0]} ({group.kind}): {redact(exc)}", account)
            return [None] * len(orders)
        by_cid: dict[str, VenueOrder] = {}
        for o, ack in zip(group.orders, acks, strict=True):
            by_cid[o.client_order_id] = ack
            if ack.venue_order_id:
                self._by_venue[(account, ack.venue_order_id)] = o.client_order_id
            self._store.update_order(o.client_order_id, ack.status, venue_order_id=ack.venue_order_id or None,
                                     reason=f"{NATIVE_REASON} {group.kind} at {broker.name}", ts_ns=now)
        self.collect_fills(account)
        return [by_cid.get(o.client_order_id) for o in orders]

    def submit_combo(self, orders: list[Order], units: Decimal, net_limit: Decimal | None) -> list[VenueOrder | None]:
        """Store every leg, then send them as ONE venue combo order (``broker.submit_combo``:
        the venue fills all legs or none), ``units`` of the structure at ``net_limit`` (per
        unit, positive a debit; None: at the market). Each leg keeps its own client id, venue
        id and fills. Nothing is sent if any leg is already stored or the account is halted."""
        account = orders[0].account
        none: list[VenueOrder | None] = [None] * len(orders)
        broker = self.broker(account)
        if account in self.halted:
            self._alert("order_blocked", f"combo {orders[0].client_order_id}: account {account} is halted: "
                        f"{self.halted[account]}", account)
            return none
        if self._known is None:
            self._load_known(self._store.fills())
        if any(self._store.order(o.client_order_id) is not None for o in orders):
            self._alert("duplicate_intent", f"combo {orders[0].client_order_id} is already stored; not sent again",
                        account)
            return none
        durable = account not in self._in_process
        for o in orders:
            self._store.record_order_intent(o, commit=durable)
            self._orders[o.client_order_id] = o
            self._bus.publish(Topic.ORDERS, o)
        now = self._clock.now_ns()
        try:
            acks = broker.submit_combo(orders, units, net_limit)  # type: ignore[attr-defined]
        except OrderRejected as exc:
            for o in orders:
                self._store.update_order(o.client_order_id, OrderStatus.REJECTED, reason=redact(exc), ts_ns=now)
            self._alert("order_rejected", redact(exc), account)
            return none
        except (OrderStateUnknown, TransientBrokerError, TimeoutError, ConnectionError) as exc:
            for o in orders:
                self._store.update_order(o.client_order_id, OrderStatus.UNKNOWN, reason=redact(exc), ts_ns=now)
            self._alert("order_unknown", f"combo {orders[0].client_order_id}: {redact(exc)}", account)
            return none
        for o, ack in zip(orders, acks, strict=True):
            if ack.venue_order_id:
                self._by_venue[(account, ack.venue_order_id)] = o.client_order_id
            self._store.update_order(o.client_order_id, ack.status, venue_order_id=ack.venue_order_id or None,
                                     reason=ack.reason or None, ts_ns=now)
        self.collect_fills(account)
        return list(acks)

    def _dispatch(self, broker: Broker, order: Order) -> VenueOrder | None:
        """Send a stored order, or hold what the venue cannot hold (:mod:`~tradefleet.orchestrator.execution.emulator`)."""
        now = self._clock.now_ns()
        sent = order
        if order.post_only or order.parent_id or order.oco_id or order.order_type is not OrderType.MARKET \
                or order.time_in_force is not TimeInForce.GTC:
            routed = self._emulate(broker, order, now)
            if not isinstance(routed, Order):
                return routed
            sent = routed
        prepare = getattr(broker, "prepare", None)
        if prepare is not None:  # venues without client ids: store the venue id before sending
            venue_id = prepare(order)
            self._store.update_order(order.client_order_id, OrderStatus.INTENT, venue_order_id=venue_id, ts_ns=now)
            self._by_venue[(order.account, venue_id)] = order.client_order_id
        try:
            ack = broker.submit(sent)
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

    # -- emulated contingent orders ------------------------------------------------------
    def _emulate(self, broker: Broker, order: Order, now: int) -> Order | VenueOrder | None:
        """The order to send for ``order`` (its time in force made GTC when the venue lacks
        it), or the ack of an order held here, or None if it is refused."""
        from tradefleet.orchestrator.execution.emulator import EMULATED, native

        from tradefleet.orchestrator.execution.capability import order_refusal

        cid = order.client_order_id
        refused = order_refusal(broker, order.order_type, order.time_in_force, order.post_only)
        if refused is not None:  # what an order manager cannot honestly emulate is never degraded
            reason = f"{refused} (account {order.account}); not sent"
            self._store.update_order(cid, OrderStatus.REJECTED, reason=reason, ts_ns=now)
            self._alert("order_rejected", f"{cid}: {reason}", order.account)
            return None
        type_ok, tif_ok, links_ok = native(broker, order)
        why = ""
        if order.parent_id and not links_ok and not self._filled.get(order.parent_id):
            self.emulator.wait_for_parent(order)
            if not type_ok:
                self.emulator.hold(order, armed=False, now_ns=now)
            why = f"{EMULATED}: waiting for {order.parent_id} to fill"
        elif not type_ok:
            self.emulator.hold(order, armed=True, now_ns=now)
            why = f"{EMULATED}: {order.order_type.value} held by the order manager"
        if why:
            if cid in self._not_native:
                why += f" ({self._not_native.pop(cid)})"
            self._store.update_order(cid, OrderStatus.ACCEPTED, reason=why, ts_ns=now)
            return VenueOrder(cid, "", order.instrument, order.side, order.quantity, Decimal(0), OrderStatus.ACCEPTED,
                              reason=why)
        if order.oco_id and not links_ok:
            self.emulator.link(order)
            if cid in self._not_native:
                self._store.update_order(cid, OrderStatus.INTENT, ts_ns=now,
                                         reason=f"{EMULATED}: oco link ({self._not_native.pop(cid)})")
        if not tif_ok:
            self.emulator.watch_expiry(order, now)
            return replace(order, time_in_force=TimeInForce.GTC, expire_ns=None)
        return order

    def on_bar(self, bar: Bar) -> None:
        """Release held orders this bar triggers; cancel orders whose emulated DAY/GTD ended."""
        from tradefleet.orchestrator.execution.emulator import release_of

        for cid in self.emulator.expired(bar):
            self.cancel(cid)
        for order in self.emulator.triggered(bar):
            now = self._clock.now_ns()
            release = release_of(order, now)
            self._store.update_order(order.client_order_id, OrderStatus.CANCELED, ts_ns=now,
                                     reason=f"emulated {order.order_type.value} triggered by the bar closing at "
                                            f"{bar.ts_event}: released as {release.client_order_id}")
            self._cancel_siblings(order)
            self.submit(release)

    def _after_fill(self, order: Order) -> None:
        """A fill: arm the bracket children waiting for it, cancel its OCO siblings."""
        now = self._clock.now_ns()
        kids = self.emulator.children.pop(order.client_order_id, [])
        if len(kids) == 2 and not any(k.client_order_id in self.emulator.held for k in kids) \
                and self._send_oco(kids):
            return
        for child in kids:
            if child.client_order_id in self.emulator.held:
                self.emulator.arm(child.client_order_id, now)
            else:
                self._dispatch(self.broker(child.account), child)
        self._cancel_siblings(order)

    def _send_oco(self, exits: list[Order]) -> bool:
        """Send the two exits of a filled entry as the venue's own OCO pair, if it holds one
        (an entry the venue could not bracket, e.g. a stop entry at Alpaca). True if sent."""
        from tradefleet.orchestrator.execution.linked import native_problem, shape

        account = exits[0].account  # one account (``shape`` refuses a pair across accounts)
        broker = self.broker(account)
        pair = [replace(o, parent_id=None) for o in exits]
        group = shape(pair)
        if isinstance(group, str) or native_problem(broker, pair) is not None:
            return False
        self.emulator.oco.pop(exits[0].oco_id or "", None)
        now = self._clock.now_ns()
        try:
            acks = broker.submit_linked(group)  # type: ignore[attr-defined]
        except OrderRejected as exc:
            for o in exits:
                self._store.update_order(o.client_order_id, OrderStatus.REJECTED, reason=redact(exc), ts_ns=now)
            self._alert("order_rejected", redact(exc), account)
            return True
        except (OrderStateUnknown, TransientBrokerError, TimeoutError, ConnectionError) as exc:
            for o in exits:
                self._store.update_order(o.client_order_id, OrderStatus.UNKNOWN, reason=redact(exc), ts_ns=now)
            self._alert("order_unknown", f"oco {exits[0].client_order_id}: {redact(exc)}", account)
            return True
        for o, ack in zip(group.orders, acks, strict=True):
            if ack.venue_order_id:
                self._by_venue[(account, ack.venue_order_id)] = o.client_order_id
            self._store.update_order(o.client_order_id, ack.status, venue_order_id=ack.venue_order_id or None,
                                     reason=f"{NATIVE_REASON} oco at {broker.name}", ts_ns=now)
        return True

    def _cancel_siblings(self, order: Order) -> None:
        for sib in self.emulator.siblings(order):
            if sib in self.emulator.held or any(sib == c.client_order_id for k in self.emulator.children.values()
                                                for c in k):
                self.emulator.drop(sib)
                self._store.update_order(sib, OrderStatus.CANCELED, reason=f"oco: {order.client_order_id} filled",
                                         ts_ns=self._clock.now_ns())
            else:
                self.cancel(sib)

    def cancel(self, client_order_id: str) -> bool:
        """Ask the venue to cancel a working order; store CANCELED once it confirms.

        A fill that raced the cancel is collected first (it stays booked). False if the
        order is unknown, no longer open, or the venue did not confirm (it is alerted).
        An order held by the emulator is canceled here."""
        rec = self._store.order(client_order_id)
        if rec is None or not rec.status.is_open:
            return False
        if self.emulator and not rec.venue_order_id and (rec.reason or "").startswith("emulated"):
            self.emulator.drop(client_order_id)
            self._store.update_order(client_order_id, OrderStatus.CANCELED, ts_ns=self._clock.now_ns())
            return True
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

    def restore(self, records: list[OrderRecord], fills: list[Fill],
                venue_ids: list[tuple[str, str, str]] | None = None) -> None:
        """Warm start: index the stored open (and UNKNOWN) orders, every stored venue order id
        (``(account, venue id, client id)``) and every stored fill, so fills for known client
        ids land on their orders and re-served old fills are recognised."""
        for account, venue_id, cid in venue_ids or ():
            self._by_venue[(account, venue_id)] = cid
        for rec in records:
            self.register(rec.order, rec.venue_order_id, rec.filled_quantity,
                          rec.filled_quantity * (rec.avg_price or Decimal(0)))
        self._load_known(fills)
        self._relink(records)
        self._rearm(records)

    def _relink(self, records: list[OrderRecord]) -> None:
        """Hand each venue the native brackets/OCO pairs still open in the store (a restart),
        so their legs are found again and a fill of one checks the others; nothing is resent."""
        from tradefleet.orchestrator.execution.linked import Linked

        groups: dict[tuple[str, str], list[Order]] = {}
        for rec in records:
            o = rec.order
            if o.is_contingent and (rec.reason or "").startswith(NATIVE_REASON) and rec.account in self._brokers:
                groups.setdefault((rec.account, o.parent_id or o.oco_id or ""), []).append(o)
        for (account, key), exits in groups.items():
            link = getattr(self._brokers[account], "link", None)
            if link is None:
                continue
            parent = self._store.order(exits[0].parent_id) if exits[0].parent_id else None
            tp = next((o for o in exits if o.order_type is OrderType.LIMIT), None)
            sl = next((o for o in exits if o.order_type is not OrderType.LIMIT), None)
            link(Linked(parent.order if parent is not None else None, tp, sl))

    def _rearm(self, records: list[OrderRecord]) -> None:
        """Re-arm the emulated orders (and expiry watches) a restart found open in the store."""
        from tradefleet.orchestrator.execution.emulator import native

        now = self._clock.now_ns()
        for rec in records:
            if not rec.status.is_open or rec.account not in self._brokers:
                continue
            order = rec.order
            broker = self._brokers[rec.account]
            type_ok, tif_ok, links_ok = native(broker, order)
            if not rec.venue_order_id and (rec.reason or "").startswith("emulated"):
                parent = self._store.order(order.parent_id) if order.parent_id else None
                if parent is not None and not parent.filled_quantity and not parent.status.is_open:
                    self._store.update_order(rec.client_order_id, OrderStatus.CANCELED, ts_ns=now,
                                             reason=f"parent {parent.client_order_id} {parent.status.value} unfilled")
                    continue
                waiting = parent is not None and not parent.filled_quantity
                if waiting:
                    self.emulator.wait_for_parent(order)
                if not type_ok:
                    self.emulator.hold(order, armed=not waiting, now_ns=min(now, rec.ts_updated))
                elif not waiting:
                    self._dispatch(broker, order)  # its parent filled while we were down
                continue
            if order.oco_id and not links_ok:
                self.emulator.link(order)
            if rec.venue_order_id and not tif_ok:
                self.emulator.watch_expiry(order, rec.ts_init)

    def collect_fills(self, account: str | None = None) -> list[Fill]:
        """Poll fills and book the new ones; return them.

        Each report is checked first (:meth:`_intake`): an exact repeat is dropped, the same
        fill id with other contents is a conflict (the first is kept), a fill for an order
        whose reply was lost is matched by client order id, and a fill that would take its
        order past the order's quantity or the venue's cumulative filled quantity is a
        conflict that holds entries in the instrument until reconciliation. A fill for an
        order tradefleet never placed is stored against an EXTERNAL order and alerted."""
        accounts = [account] if account is not None else list(self._brokers)
        new: list[Fill] = []
        if self._known is None:
            self._load_known(self._store.fills())
        for acct in accounts:
            try:
                fills = self._brokers[acct].poll_fills()
            except BrokerError as exc:  # auth-halted or unreachable: report, keep the engine running
                self._alert("fills_unavailable", f"account {acct}: {redact(exc)}", acct)
                continue
            for fill in fills:
                checked = self._intake(acct, fill)
                if checked is not None and self._book(*checked):
                    new.append(checked[1])
            self._venue_updates(acct)
        return new

    def _venue_updates(self, account: str) -> None:
        """Store what the venue ended by itself (an OCO sibling canceled by a fill, bracket
        children of a canceled entry, an expiry): the broker's ``poll_updates``, after the
        fills of the same poll, so a fill that raced the cancel is booked first."""
        poll = getattr(self._brokers[account], "poll_updates", None)
        if poll is None:
            return
        try:
            updates = poll()
        except BrokerError as exc:
            self._alert("updates_unavailable", f"account {account}: {redact(exc)}", account)
            return
        for vo in updates:
            if vo.status not in (OrderStatus.CANCELED, OrderStatus.REJECTED):
                continue
            rec = self._store.order(vo.client_order_id)
            if rec is None or not rec.status.is_open:
                continue
            self.emulator.drop(vo.client_order_id)
            self._store.update_order(vo.client_order_id, vo.status, ts_ns=self._clock.now_ns(),
                                     reason=redact(vo.reason) if vo.reason else f"{vo.status.value} by the venue")

    # -- fill intake -----------------------------------------------------------------------
    def _load_known(self, fills: list[Fill]) -> None:
        from tradefleet.orchestrator.execution.conflicts import ConflictBook

        self._known = {_key(f): f for f in fills}
        self._conflicts = ConflictBook(self._store)
        for c in self._conflicts.conflicts():
            self._conflicted.add(_signature(c.fill))
            if c.holds and c.resolved_ns is None:
                self.holds[(c.account, c.fill.instrument)] = c.reason

    def _intake(self, account: str, fill: Fill) -> tuple[Order, Fill] | None:
        """The order a new fill books to, or None (a repeat, or a conflict: stored and alerted)."""
        assert self._known is not None
        first = self._known.get(_key(fill))
        if first is not None:
            if _signature(first)[1:] != _signature(fill)[1:]:
                self._conflict(account, fill, f"fill id {fill.trade_id} seen before with other contents "
                               f"({first.side.value} {first.quantity} @ {first.price}, kept)", holds=False)
            return None
        order = self._resolve(account, fill) or self._adopt_external(account, fill)
        if fill.client_order_id != order.client_order_id:
            fill = _with_cid(fill, order.client_order_id)
        why = self._overfill(account, order, fill)
        if why is not None:
            self._conflict(account, fill, why, holds=True)
            return None
        return order, fill

    def _overfill(self, account: str, order: Order, fill: Fill) -> str | None:
        """Why ``fill`` would overfill ``order`` (its quantity, the venue's cumulative), or None."""
        if order.bot == "external":
            return None  # its true size is the venue's: nothing to check against
        done = self._filled.get(order.client_order_id, Decimal(0))
        if done + fill.quantity > order.quantity:
            return (f"fill {fill.trade_id} of {fill.quantity} would take order {order.client_order_id} past its "
                    f"quantity {order.quantity} (filled {done})")
        if account in self._in_process:
            return None
        try:
            venue = self._brokers[account].query_order(order.client_order_id)
        except BrokerError as exc:  # cannot check: the venue reported the fill, book it
            _log.warning("fill %s: venue cumulative filled unavailable (%s); booked", fill.trade_id, redact(exc))
            return None
        if venue is not None and done + fill.quantity > venue.filled_quantity:
            return (f"fill {fill.trade_id} of {fill.quantity} would take order {order.client_order_id} past the "
                    f"venue's cumulative filled {venue.filled_quantity} (booked {done})")
        return None

    def _conflict(self, account: str, fill: Fill, reason: str, holds: bool) -> None:
        """Store and alert a conflicting fill report once; an overfill holds the instrument."""
        signature = _signature(fill)
        if signature in self._conflicted:
            return
        self._conflicted.add(signature)
        assert self._conflicts is not None
        self._conflicts.record(account, fill, redact(reason), holds, self._clock.now_ns())
        if holds:
            self.holds[(account, fill.instrument)] = reason
        _log.warning("fill conflict on account %s: %s%s", account, reason,
                     f"; entries in {fill.instrument} held until reconciliation" if holds else "")
        self._alert("fill_conflict", f"{reason}; not booked" + (f", entries in {fill.instrument} held until "
                    "reconciliation" if holds else ""), account)

    def release_hold(self, account: str, instrument: str) -> None:
        """Reconciliation decided the instrument: entries may open again."""
        self.holds.pop((account, instrument), None)

    def book_adjustment(self, order: Order, fill: Fill) -> None:
        """Book a fill reconciliation decided on (past the order's quantity if the venue says so)."""
        if self._known is None:
            self._load_known(self._store.fills())
        self._register_filled(order.client_order_id)
        self._book(order, fill)

    def _register_filled(self, cid: str) -> None:
        if cid not in self._filled:
            self._load(cid)

    def _book(self, order: Order, fill: Fill) -> bool:
        """Store ``fill`` and update its order, the book (``on_fill``) and the bus."""
        assert self._known is not None
        self._known[_key(fill)] = fill
        if not self._store.record_fill(fill):
            return False
        cid = order.client_order_id
        self._filled[cid] = done = self._filled.get(cid, Decimal(0)) + fill.quantity
        notional = self._notional.get(cid, Decimal(0)) + fill.quantity * fill.price
        self._notional[cid] = notional
        status = OrderStatus.FILLED if done >= order.quantity else OrderStatus.PARTIALLY_FILLED
        if status is OrderStatus.PARTIALLY_FILLED or order.bot == "external":
            record = self._store.order(cid)  # not on the full-fill hot path
            if record is not None and record.status in (OrderStatus.CANCELED, OrderStatus.EXTERNAL):
                status = record.status  # a late fill of a canceled order keeps it canceled
        self._store.update_order(cid, status, filled_quantity=done, avg_price=notional / done, ts_ns=fill.ts_init)
        if self._on_fill is not None and status is not OrderStatus.EXTERNAL:
            self._on_fill(order, fill)
        self._bus.publish(Topic.FILLS, fill)
        if self.emulator:
            self._after_fill(order)
        return True

    def _resolve(self, account: str, fill: Fill) -> Order | None:
        """Our order behind ``fill``: by client id, venue id, stored venue id, then by
        matching an order whose reply was lost (:mod:`~tradefleet.orchestrator.execution.matching`)."""
        cid = fill.client_order_id or self._by_venue.get((account, fill.venue_order_id), "")
        if not cid:
            for rec in self._store.orders():
                if rec.account == account and rec.venue_order_id == fill.venue_order_id:
                    cid = rec.client_order_id
                    break
        if not cid and account not in self._in_process:
            from tradefleet.orchestrator.execution.matching import match_venue_order

            cid = match_venue_order(self._store, self._brokers[account], account, fill.venue_order_id,
                                    fill.instrument, self._clock.now_ns()) or ""
            if cid:
                self._load(cid)
                self._by_venue[(account, fill.venue_order_id)] = cid
        if not cid:
            return None
        return self._orders.get(cid) or self._load(cid)

    def _adopt_external(self, account: str, fill: Fill) -> Order:
        """Store an order tradefleet did not place, so its fills can be booked and shown."""
        cid = f"ext-{fill.venue}-{fill.venue_order_id}"
        order = Order(cid, "external", fill.instrument, fill.side, fill.quantity, fill.ts_init, account=account)
        self.adopt(order, fill.venue_order_id, OrderStatus.EXTERNAL)
        self._alert("external_fill", f"fill {fill.trade_id} for order {fill.venue_order_id} not placed by "
                    f"tradefleet; adopted as {cid}", account)
        return order

    def adopt(self, order: Order, venue_order_id: str, status: OrderStatus = OrderStatus.EXTERNAL) -> None:
        """Store an order found at the venue (EXTERNAL) and index it (its fills are booked as they are collected)."""
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


def _key(fill: Fill) -> tuple[str, str, str]:
    return (fill.venue, fill.venue_order_id, fill.trade_id)


def _signature(fill: Fill) -> tuple[object, ...]:
    return (_key(fill), fill.side, fill.quantity, fill.price, fill.instrument)


def _with_cid(fill: Fill, client_order_id: str) -> Fill:
    from dataclasses import replace

    return replace(fill, client_order_id=client_order_id)
