"""Reconciliation: make the store agree with the venue, or halt the account.

Run on start and after every reconnect. For one account it:

1. hands venues without client ids the order hashes the store kept (``register_ids``);
2. settles every stored open order (INTENT, SUBMITTED, ACCEPTED, PARTIALLY_FILLED,
   UNKNOWN) by ``query_order``: the venue's status wins; an INTENT/UNKNOWN the venue never
   saw is closed as CANCELED ("never reached the venue") and **not resent**;
3. books missing fills (de-duplicated by the order manager);
4. adopts open venue orders the store does not know as EXTERNAL, with an alert;
5. compares positions (sum of stored unique fills per instrument vs the venue); any
   difference it cannot explain halts the account (``account:<name>``) with the reason.

A second run right after the first changes nothing (``ReconcileReport.changes == 0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from tradefleet.orchestrator.bus import Bus, Topic
from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.domain import Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.errors import BrokerError
from tradefleet.orchestrator.execution.oms import Alert, OrderManager
from tradefleet.orchestrator.execution.secrets import redact

if TYPE_CHECKING:
    from tradefleet.orchestrator.store import Store

_SETTLE = (OrderStatus.INTENT, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED,
           OrderStatus.UNKNOWN)


@dataclass
class ReconcileReport:
    """What one reconciliation of one account found and did."""

    account: str
    settled: list[tuple[str, str, str]] = field(default_factory=list)  # (cid, old, new)
    adopted: list[str] = field(default_factory=list)
    fills: int = 0
    position_diffs: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # store, venue
    halted: str | None = None

    @property
    def changes(self) -> int:
        return len(self.settled) + len(self.adopted) + self.fills + (1 if self.halted else 0)


class Reconciler:
    """Compares the store with each venue account and settles, adopts or halts."""

    def __init__(self, oms: OrderManager, store: Store, clock: Clock, bus: Bus) -> None:
        self.oms = oms
        self.store = store
        self.clock = clock
        self.bus = bus

    def run(self, account: str) -> ReconcileReport:
        """Reconcile one account; venue errors halt it (it cannot be checked, so it cannot trade)."""
        report = ReconcileReport(account)
        try:
            self._run(account, report)
        except BrokerError as exc:
            reason = f"reconciliation could not reach the venue: {redact(exc)}"
            if account not in self.oms.halted:
                self.oms.halt(account, reason, actor="reconcile")
                report.halted = reason
        return report

    def run_all(self) -> list[ReconcileReport]:
        return [self.run(a) for a in self.oms.accounts()]

    def after_reconnect(self) -> list[ReconcileReport]:
        """Reconcile every account whose adapter reports a reconnect since the last call."""
        out = []
        for account in self.oms.accounts():
            take = getattr(self.oms.broker(account), "take_reconnected", None)
            if take is not None and take():
                out.append(self.run(account))
        return out

    # -- steps --------------------------------------------------------------------------
    def _run(self, account: str, report: ReconcileReport) -> None:
        broker = self.oms.broker(account)
        learn = getattr(broker, "learn_instruments", None)
        register = getattr(broker, "register_ids", None)
        if learn is not None or register is not None:  # a venue adapter (the in-process paper venue needs neither)
            keys = self.store.order_keys(account)  # (cid, bot, account, instrument, status, venue id)
            if learn is not None:  # venue spellings of the instruments the store holds map back to them
                learn(sorted({k[3] for k in keys}))
            if register is not None:
                register({k[0]: k[5] for k in keys if k[5]})
        records = [r for r in self.store.orders(_SETTLE) if r.account == account]
        for rec in records:
            self.oms.register(rec.order, rec.venue_order_id, rec.filled_quantity,
                              rec.filled_quantity * (rec.avg_price or Decimal(0)))
        for rec in records:
            self._settle(account, rec, report)
        report.fills = len(self.oms.collect_fills(account))
        venue_open = broker.open_orders()
        # read after settling (it may store orders), and only when there is anything to match
        keys = self.store.order_keys(account) if venue_open else []
        known = {k[5] or "" for k in keys}
        known_cids = {k[0] for k in keys}
        for vo in venue_open:
            if vo.venue_order_id in known or (vo.client_order_id and vo.client_order_id in known_cids):
                continue
            cid = vo.client_order_id or f"ext-{getattr(broker, 'name', account)}-{vo.venue_order_id}"
            order = Order(cid, "external", vo.instrument, vo.side, vo.quantity, self.clock.now_ns(),
                          OrderType.MARKET, None, None, account)
            self.oms.adopt(order, vo.venue_order_id, OrderStatus.EXTERNAL)
            report.adopted.append(cid)
            self._alert("external_order", f"open order {vo.venue_order_id} ({vo.side.value} {vo.quantity} "
                        f"{vo.instrument}) was not placed by tradefleet; adopted as EXTERNAL", account)
        self._positions(account, broker.positions(), report)

    def _settle(self, account: str, rec: object, report: ReconcileReport) -> None:
        from tradefleet.orchestrator.store.records import OrderRecord

        assert isinstance(rec, OrderRecord)
        broker = self.oms.broker(account)
        now = self.clock.now_ns()
        prepare = getattr(broker, "prepare", None)
        if prepare is not None and not rec.venue_order_id:
            # a crash between the intent and storing the venue id: the adapter signs
            # deterministically from the client id, so it recomputes the same id
            vid = prepare(rec.order)
            self.store.update_order(rec.client_order_id, rec.status, venue_order_id=vid, ts_ns=now)
            self.oms.register(rec.order, vid, rec.filled_quantity, Decimal(0))
        venue = broker.query_order(rec.client_order_id)
        if venue is None:
            if rec.status in (OrderStatus.INTENT, OrderStatus.UNKNOWN):
                self.store.update_order(rec.client_order_id, OrderStatus.CANCELED,
                                        reason="never reached the venue (settled by query); not resent", ts_ns=now)
                report.settled.append((rec.client_order_id, rec.status.value, OrderStatus.CANCELED.value))
            else:
                reason = f"order {rec.client_order_id} is {rec.status.value} in the store but unknown to the venue"
                self._halt(account, reason, report)
            return
        new = venue.status
        if new is OrderStatus.FILLED and rec.filled_quantity < venue.filled_quantity:
            new = OrderStatus.PARTIALLY_FILLED if rec.filled_quantity else OrderStatus.ACCEPTED  # fills book it
        if new != rec.status or (venue.venue_order_id and venue.venue_order_id != rec.venue_order_id):
            self.store.update_order(rec.client_order_id, new, venue_order_id=venue.venue_order_id or None,
                                    reason=redact(venue.reason) if venue.reason else None, ts_ns=now)
            self.oms.register(rec.order, venue.venue_order_id, rec.filled_quantity,
                              rec.filled_quantity * (rec.avg_price or Decimal(0)))
            if new != rec.status:
                report.settled.append((rec.client_order_id, rec.status.value, new.value))

    def _positions(self, account: str, venue: dict[str, Decimal], report: ReconcileReport) -> None:
        mine = stored_positions(self.store, account)
        if self._decide_conflicts(account, venue, mine, report):  # a position booked: sum the fills again
            mine = stored_positions(self.store, account)
        diffs = {s: (mine.get(s, Decimal(0)), venue.get(s, Decimal(0)))
                 for s in set(mine) | set(venue) if mine.get(s, Decimal(0)) != venue.get(s, Decimal(0))}
        report.position_diffs = diffs
        if diffs:
            text = ", ".join(f"{s}: store {a} vs venue {b}" for s, (a, b) in sorted(diffs.items()))
            self._halt(account, f"positions differ from the venue ({text})", report)

    def _decide_conflicts(self, account: str, venue: dict[str, Decimal], mine: dict[str, Decimal],
                          report: ReconcileReport) -> bool:
        """The venue's position decides every open fill conflict: a difference in a conflicted
        instrument is booked to the conflicting order (so the book ends equal to the venue),
        then the conflicts are resolved and the instrument's entries released. Returns
        whether anything was booked."""
        from tradefleet.orchestrator.execution.conflicts import ConflictBook

        book = ConflictBook(self.store)
        open_ = book.conflicts(account, open_only=True)
        now = self.clock.now_ns()
        booked = False
        for instrument in sorted({c.fill.instrument for c in open_}):
            mine_qty, venue_qty = mine.get(instrument, Decimal(0)), venue.get(instrument, Decimal(0))
            diff = venue_qty - mine_qty
            conflicts = [c for c in open_ if c.fill.instrument == instrument]
            if diff:
                last = conflicts[-1]
                rec = self.store.order(last.fill.client_order_id)
                if rec is not None:
                    fill = replace(last.fill, trade_id=f"reconcile-{last.id}", quantity=abs(diff), fee=Decimal(0),
                                   side=Side.BUY if diff > 0 else Side.SELL, ts_event=now, ts_init=now)
                    self.oms.book_adjustment(rec.order, fill)
                    report.fills += 1
                    booked = True
                    resolution = f"booked {fill.side.value} {abs(diff)} to {rec.client_order_id}: the venue holds {venue_qty}"
                else:
                    resolution = f"venue holds {venue_qty}, store {mine_qty}; the order is not stored"
            else:
                resolution = f"the venue agrees with the store ({venue_qty}); not booked"
            for c in conflicts:
                book.resolve(c.id, resolution, now)
            self.oms.release_hold(account, instrument)
            self._alert("fill_conflict_resolved", f"{instrument}: {resolution}", account)
        return booked

    def _halt(self, account: str, reason: str, report: ReconcileReport) -> None:
        if self.oms.halted.get(account) == redact(reason):
            return  # already halted for this reason: a second run changes nothing
        self.oms.halt(account, reason, actor="reconcile")
        report.halted = reason

    def _alert(self, kind: str, message: str, account: str) -> None:
        self.bus.publish(Topic.ALERTS, Alert(kind, redact(message), self.clock.now_ns(), account))


def stored_positions(store: Store, account: str) -> dict[str, Decimal]:
    """Net quantity per instrument of ``account``: the sum of its stored unique fills."""
    return {k: Decimal(v) for k, v in store.net_positions(account).items()}
