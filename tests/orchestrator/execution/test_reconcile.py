"""Reconciliation step by step, against an in-process fake venue (no network, no sleeps).

The fake venue keeps its own orders, fills and positions, as a venue does, so each test sets
up the disagreement it names between the real store and the venue, runs the real
:class:`Reconciler` over a real :class:`OrderManager`, and checks what was settled, adopted,
booked or halted, in the store, the report and the alerts."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.errors import BrokerError
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.conflicts import ConflictBook
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import ReconcileReport, Reconciler, stored_positions

D = Decimal
T0 = 1_795_305_600 * 10**9
_OPEN = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)


class FakeVenue:
    """A venue account held in memory: orders by client id, fills to poll, positions."""

    name = "fakevenue"

    def __init__(self) -> None:
        self.orders: dict[str, VenueOrder] = {}
        self.foreign: list[VenueOrder] = []  # open orders listed that the venue did not get from us
        self.held: dict[str, Decimal] = {}
        self.fills: list[Fill] = []
        self.down = False
        self._n = 0

    def _check(self) -> None:
        if self.down:
            raise BrokerError("venue unreachable: GET /v2/account?token=sk-live-abcdef1234567890")

    def submit(self, order: Order) -> VenueOrder:
        self._check()
        self._n += 1
        vo = VenueOrder(order.client_order_id, f"V{self._n}", order.instrument, order.side, order.quantity, D(0),
                        OrderStatus.ACCEPTED)
        self.orders[order.client_order_id] = vo
        return vo

    def execute(self, cid: str, qty: Decimal, price: Decimal, trade: str, ts: int = T0) -> Fill:
        """The venue fills ``qty`` of ``cid``: its order, its position and a fill to poll."""
        vo = self.orders[cid]
        done = vo.filled_quantity + qty
        status = OrderStatus.FILLED if done >= vo.quantity else OrderStatus.PARTIALLY_FILLED
        self.orders[cid] = VenueOrder(cid, vo.venue_order_id, vo.instrument, vo.side, vo.quantity, done, status, price)
        sign = 1 if vo.side is Side.BUY else -1
        self.held[vo.instrument] = self.held.get(vo.instrument, D(0)) + sign * qty
        fill = Fill(cid, self.name, vo.venue_order_id, trade, vo.instrument, vo.side, qty, price, D(0), ts, ts)
        self.fills.append(fill)
        return fill

    def cancel(self, client_order_id: str) -> VenueOrder:
        vo = self.orders[client_order_id]
        self.orders[client_order_id] = VenueOrder(vo.client_order_id, vo.venue_order_id, vo.instrument, vo.side,
                                                  vo.quantity, vo.filled_quantity, OrderStatus.CANCELED)
        return self.orders[client_order_id]

    def query_order(self, client_order_id: str) -> VenueOrder | None:
        self._check()
        return self.orders.get(client_order_id)

    def open_orders(self) -> list[VenueOrder]:
        self._check()
        return [vo for vo in self.orders.values() if vo.status in _OPEN] + self.foreign

    def positions(self) -> dict[str, Decimal]:
        self._check()
        return {s: q for s, q in self.held.items() if q}

    def account(self) -> AccountSnapshot:
        return AccountSnapshot(self.name, "USD", D(0), D(0))

    def poll_fills(self) -> list[Fill]:
        self._check()
        out, self.fills = self.fills, []
        return out


class IdVenue(FakeVenue):
    """A venue that does not keep our client ids: the adapter is handed the stored venue ids."""

    def __init__(self) -> None:
        super().__init__()
        self.registered: list[dict[str, str]] = []

    def register_ids(self, ids: dict[str, str]) -> None:
        self.registered.append(dict(ids))


class SpellingVenue(FakeVenue):
    """A venue with its own instrument spellings: the adapter learns the stored instruments."""

    def __init__(self) -> None:
        super().__init__()
        self.learned: list[list[str]] = []

    def learn_instruments(self, instruments: list[str]) -> None:
        self.learned.append(instruments)


class SigningVenue(FakeVenue):
    """A venue whose adapter derives the venue order id from the client id (signed orders)."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared: list[str] = []

    def prepare(self, order: Order) -> str:
        self.prepared.append(order.client_order_id)
        return f"sig-{order.client_order_id}"


class ReconnectingVenue(FakeVenue):
    def __init__(self) -> None:
        super().__init__()
        self.reconnected = False

    def take_reconnected(self) -> bool:
        was, self.reconnected = self.reconnected, False
        return was


class Kit:
    def __init__(self, store: Any, venues: dict[str, FakeVenue]) -> None:
        self.store = store
        self.clock = SimClock(T0)
        self.bus = InProcessBus()
        self.alerts: list[Any] = []
        self.bus.subscribe(Topic.ALERTS, lambda _t, a: self.alerts.append(a))
        self.venues = venues
        self.oms = OrderManager(store, venues, self.clock, self.bus)
        self.rec = Reconciler(self.oms, store, self.clock, self.bus)

    def order(self, cid: str, qty: Decimal = D(10), instrument: str = "AAPL", account: str = "acct",
              side: Side = Side.BUY) -> Order:
        return Order(cid, "bot-a", instrument, side, qty, self.clock.now_ns(), OrderType.LIMIT, D(100),
                     account=account)

    def restart(self) -> None:
        """A new process: a fresh order manager and reconciler on the same store and venues."""
        self.oms = OrderManager(self.store, self.venues, self.clock, self.bus)
        self.rec = Reconciler(self.oms, self.store, self.clock, self.bus)

    def alerts_of(self, kind: str) -> list[Any]:
        return [a for a in self.alerts if a.kind == kind]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from tradefleet.orchestrator.store import Store

    s = Store.open(f"sqlite:///{tmp_path / 'rec.db'}")
    yield s
    s.close()


def kit_with(store: Any, venue: FakeVenue | None = None, **others: FakeVenue) -> Kit:
    return Kit(store, {"acct": venue if venue is not None else FakeVenue(), **others})


# -- the report ---------------------------------------------------------------------------
def test_report_changes_count_settled_adopted_fills_and_a_halt() -> None:
    assert ReconcileReport("a").changes == 0
    report = ReconcileReport("a", settled=[("c1", "intent", "canceled"), ("c2", "unknown", "filled")],
                             adopted=["x1"], fills=2)
    assert report.changes == 5
    report.halted = "positions differ"
    assert report.changes == 6


# -- settling stored open orders ----------------------------------------------------------
def test_an_unknown_order_the_venue_never_saw_is_canceled_and_not_resent(store: Any) -> None:
    k = kit_with(store)
    store.record_order_intent(k.order("tf-u"))
    store.update_order("tf-u", OrderStatus.UNKNOWN, ts_ns=T0)
    k.clock.set_ns(T0 + 5)
    report = k.rec.run("acct")
    assert report.settled == [("tf-u", "unknown", "canceled")]
    rec = store.order("tf-u")
    assert rec.status is OrderStatus.CANCELED and rec.ts_updated == T0 + 5
    assert rec.reason == "never reached the venue (settled by query); not resent"
    assert k.venues["acct"].orders == {} and report.halted is None
    assert k.rec.run("acct").changes == 0


def test_an_accepted_order_the_venue_does_not_know_halts_the_account(store: Any) -> None:
    k = kit_with(store)
    store.record_order_intent(k.order("tf-a"))
    store.update_order("tf-a", OrderStatus.ACCEPTED, venue_order_id="V77", ts_ns=T0)
    report = k.rec.run("acct")
    reason = "order tf-a is accepted in the store but unknown to the venue"
    assert report.halted == reason and report.settled == []
    assert k.oms.halted["acct"] == reason
    state = store.control("account:acct")
    assert state.halted and state.reason == reason and state.actor == "reconcile"
    assert store.order("tf-a").status is OrderStatus.ACCEPTED  # the store is not guessed at
    again = k.rec.run("acct")  # halted for this reason already: nothing changes
    assert again.halted is None and again.changes == 0


def test_the_venue_status_wins_and_its_reason_is_stored(store: Any) -> None:
    k = kit_with(store)
    k.oms.submit(k.order("tf-c"))
    k.venues["acct"].cancel("tf-c")
    venue = k.venues["acct"]
    venue.orders["tf-c"] = VenueOrder("tf-c", "V1", "AAPL", Side.BUY, D(10), D(0), OrderStatus.CANCELED,
                                      reason="expired at the close")
    k.clock.set_ns(T0 + 9)
    report = k.rec.run("acct")
    assert report.settled == [("tf-c", "accepted", "canceled")]
    rec = store.order("tf-c")
    assert rec.status is OrderStatus.CANCELED and rec.reason == "expired at the close" and rec.ts_updated == T0 + 9
    assert k.rec.run("acct").changes == 0


def test_a_venue_answer_without_reason_keeps_the_stored_reason(store: Any) -> None:
    k = kit_with(store)
    k.oms.submit(k.order("tf-r"))
    store.update_order("tf-r", OrderStatus.ACCEPTED, reason="resting at 100", ts_ns=T0)
    k.venues["acct"].cancel("tf-r")
    k.rec.run("acct")
    rec = store.order("tf-r")
    assert rec.status is OrderStatus.CANCELED and rec.reason == "resting at 100"


def test_a_new_venue_order_id_is_stored_without_counting_as_a_settlement(store: Any) -> None:
    k = kit_with(store)
    k.oms.submit(k.order("tf-v"))
    v = k.venues["acct"].orders["tf-v"]
    k.venues["acct"].orders["tf-v"] = VenueOrder("tf-v", "A1-replaced", v.instrument, v.side, v.quantity, D(0),
                                                 OrderStatus.ACCEPTED)
    report = k.rec.run("acct")
    assert report.settled == [] and report.adopted == [] and report.halted is None
    assert store.order("tf-v").venue_order_id == "A1-replaced"
    # a fill the venue reports under the new id alone lands on the order
    k.venues["acct"].execute("tf-v", D(10), D(100), "t1")
    k.venues["acct"].fills[-1] = Fill("", "fakevenue", "A1-replaced", "t1", "AAPL", Side.BUY, D(10), D(100), D(0),
                                      T0, T0)
    assert [f.client_order_id for f in k.oms.collect_fills("acct")] == ["tf-v"]
    assert store.order("tf-v").status is OrderStatus.FILLED


def test_a_filled_unknown_order_is_accepted_then_booked_by_its_fill(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    store.record_order_intent(k.order("tf-f"))  # the send reached the venue, the answer was lost
    store.update_order("tf-f", OrderStatus.UNKNOWN, ts_ns=T0)
    venue.submit(k.order("tf-f"))
    venue.execute("tf-f", D(10), D(101), "t1")
    report = k.rec.run("acct")
    assert report.settled == [("tf-f", "unknown", "accepted")]  # FILLED only once its fill is booked
    assert report.fills == 1 and report.halted is None
    rec = store.order("tf-f")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == D(10) and rec.avg_price == D(101)
    assert rec.venue_order_id == "V1"
    assert k.rec.run("acct").changes == 0


def test_a_partly_booked_order_filled_at_the_venue_books_the_rest_at_the_right_average(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-p"))
    venue.execute("tf-p", D(4), D(100), "t1")
    k.oms.collect_fills("acct")
    assert store.order("tf-p").status is OrderStatus.PARTIALLY_FILLED
    venue.execute("tf-p", D(6), D(105), "t2")  # filled while this process was down
    k.restart()
    report = k.rec.run("acct")
    assert report.settled == [] and report.fills == 1 and report.halted is None
    rec = store.order("tf-p")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == D(10) and rec.avg_price == D(103)


def test_a_partly_booked_order_under_a_new_venue_id_books_the_rest_at_the_right_average(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-p"))
    venue.execute("tf-p", D(4), D(100), "t1")
    k.oms.collect_fills("acct")
    venue.execute("tf-p", D(6), D(105), "t2")
    vo = venue.orders["tf-p"]  # the venue re-identified the order (an amend) while this process was down
    venue.orders["tf-p"] = VenueOrder("tf-p", "V1-amended", vo.instrument, vo.side, vo.quantity, vo.filled_quantity,
                                      vo.status, vo.avg_price)
    k.restart()
    report = k.rec.run("acct")
    assert report.settled == [] and report.fills == 1
    rec = store.order("tf-p")
    assert rec.venue_order_id == "V1-amended"
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == D(10) and rec.avg_price == D(103)


def test_an_order_with_every_fill_booked_takes_the_venues_filled_status(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-b"))
    venue.execute("tf-b", D(10), D(100), "t1")
    venue.fills.clear()
    # the fill was booked, the status write was lost (a crash between the two)
    store.record_fill(Fill("tf-b", "fakevenue", "V1", "t1", "AAPL", Side.BUY, D(10), D(100), D(0), T0, T0))
    store.update_order("tf-b", OrderStatus.ACCEPTED, filled_quantity=D(10), avg_price=D(100), ts_ns=T0)
    report = k.rec.run("acct")
    assert report.settled == [("tf-b", "accepted", "filled")] and report.halted is None
    assert store.order("tf-b").status is OrderStatus.FILLED


def test_only_the_reconciled_accounts_orders_are_settled(store: Any) -> None:
    k = kit_with(store, aaa=FakeVenue(), zzz=FakeVenue())  # names sorting before and after it
    store.record_order_intent(k.order("tf-mine"))
    store.record_order_intent(k.order("tf-before", account="aaa"))
    store.record_order_intent(k.order("tf-after", account="zzz"))
    report = k.rec.run("acct")
    assert report.settled == [("tf-mine", "intent", "canceled")]
    assert store.order("tf-before").status is store.order("tf-after").status is OrderStatus.INTENT
    assert [r.account for r in k.rec.run_all()] == ["acct", "aaa", "zzz"]
    assert store.order("tf-before").status is store.order("tf-after").status is OrderStatus.CANCELED


# -- venue adapters: ids, spellings, signed orders -----------------------------------------
def test_an_adapter_without_client_ids_is_handed_the_stored_venue_ids(store: Any) -> None:
    venue = IdVenue()
    k = kit_with(store, venue)
    k.oms.submit(k.order("tf-1"))
    store.record_order_intent(k.order("tf-2"))  # an intent never sent: no venue id
    k.rec.run("acct")
    assert venue.registered[0] == {"tf-1": "V1"}


def test_an_adapter_with_its_own_spellings_learns_the_stored_instruments(store: Any) -> None:
    venue = SpellingVenue()
    k = kit_with(store, venue)
    k.oms.submit(k.order("tf-1", instrument="MSFT"))
    k.oms.submit(k.order("tf-2", instrument="AAPL"))
    k.oms.submit(k.order("tf-3", instrument="MSFT"))
    k.rec.run("acct")
    assert venue.learned[0] == ["AAPL", "MSFT"]


def test_a_signed_intent_without_venue_id_gets_its_recomputed_id(store: Any) -> None:
    venue = SigningVenue()
    k = kit_with(store, venue)
    k.oms.submit(k.order("tf-sent"))  # stored with its venue id: not signed again
    store.record_order_intent(k.order("tf-lost"))  # crashed before the venue id was stored
    venue.prepared.clear()
    venue.orders["tf-lost"] = VenueOrder("tf-lost", "sig-tf-lost", "AAPL", Side.BUY, D(10), D(0),
                                         OrderStatus.ACCEPTED)
    report = k.rec.run("acct")
    assert venue.prepared == ["tf-lost"]
    rec = store.order("tf-lost")
    assert rec.venue_order_id == "sig-tf-lost" and rec.status is OrderStatus.ACCEPTED
    assert report.settled == [("tf-lost", "intent", "accepted")] and report.adopted == []
    # the venue's fill, reported by venue id only, lands on the order
    venue.execute("tf-lost", D(10), D(99), "t1")
    venue.fills[-1] = Fill("", "fakevenue", "sig-tf-lost", "t1", "AAPL", Side.BUY, D(10), D(99), D(0), T0, T0)
    assert [f.client_order_id for f in k.oms.collect_fills("acct")] == ["tf-lost"]
    assert store.order("tf-lost").avg_price == D(99)


def test_a_signed_order_never_sent_is_canceled_after_its_id_is_stored(store: Any) -> None:
    venue = SigningVenue()
    k = kit_with(store, venue)
    store.record_order_intent(k.order("tf-never"))
    report = k.rec.run("acct")
    assert report.settled == [("tf-never", "intent", "canceled")]
    rec = store.order("tf-never")
    assert rec.status is OrderStatus.CANCELED and rec.venue_order_id == "sig-tf-never"


# -- open venue orders --------------------------------------------------------------------
def test_a_foreign_open_order_is_adopted_as_external_with_an_alert(store: Any) -> None:
    k = kit_with(store)
    k.oms.submit(k.order("tf-own"))  # ours, resting: never adopted
    k.venues["acct"].foreign.append(VenueOrder("manual-7", "V900", "MSFT", Side.SELL, D(3), D(0),
                                               OrderStatus.ACCEPTED))
    k.clock.set_ns(T0 + 42)
    report = k.rec.run("acct")
    assert report.adopted == ["manual-7"] and report.halted is None
    rec = store.order("manual-7")
    assert rec.status is OrderStatus.EXTERNAL and rec.venue_order_id == "V900"
    assert (rec.bot, rec.instrument, rec.side, rec.quantity, rec.account) == ("external", "MSFT", Side.SELL, D(3), "acct")
    assert rec.ts_init == T0 + 42 and rec.order_type is OrderType.MARKET and rec.limit_price is None
    [alert] = k.alerts_of("external_order")
    assert alert.message == "open order V900 (sell 3 MSFT) was not placed by tradefleet; adopted as EXTERNAL"
    assert alert.account == "acct" and alert.ts_ns == T0 + 42
    assert store.order("tf-own").status is OrderStatus.ACCEPTED
    assert store.order("tf-own").ts_updated == T0  # the venue agrees: the record is not rewritten
    assert k.rec.run("acct").changes == 0


def test_a_foreign_order_without_client_id_is_named_after_the_venue_and_its_id(store: Any) -> None:
    k = kit_with(store)
    k.venues["acct"].foreign.append(VenueOrder("", "V901", "AAPL", Side.BUY, D(1), D(0), OrderStatus.ACCEPTED))
    report = k.rec.run("acct")
    assert report.adopted == ["ext-fakevenue-V901"]
    assert store.order("ext-fakevenue-V901").status is OrderStatus.EXTERNAL
    assert k.rec.run("acct").adopted == []


def test_our_orders_listed_by_venue_id_or_by_client_id_alone_are_not_adopted(store: Any) -> None:
    k = kit_with(store)
    k.oms.submit(k.order("tf-1"))
    k.oms.submit(k.order("tf-2"))
    venue = k.venues["acct"]
    # the venue lists tf-1 without our client id, and tf-2 under an id we never stored
    venue.foreign += [VenueOrder("", "V1", "AAPL", Side.BUY, D(10), D(0), OrderStatus.ACCEPTED),
                      VenueOrder("tf-2", "V2-alias", "AAPL", Side.BUY, D(10), D(0), OrderStatus.ACCEPTED)]
    venue.orders.clear()
    venue.orders["tf-1"] = VenueOrder("tf-1", "V1", "AAPL", Side.BUY, D(10), D(0), OrderStatus.ACCEPTED)
    venue.orders["tf-2"] = VenueOrder("tf-2", "V2", "AAPL", Side.BUY, D(10), D(0), OrderStatus.CANCELED)
    report = k.rec.run("acct")
    assert report.adopted == [] and k.alerts_of("external_order") == []


# -- positions ----------------------------------------------------------------------------
def test_positions_that_differ_either_way_halt_with_each_instrument_named(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-a", qty=D(5)))
    venue.execute("tf-a", D(5), D(100), "t1")
    k.oms.submit(k.order("tf-n", qty=D(2), instrument="NVDA"))
    venue.execute("tf-n", D(2), D(100), "t2")
    k.oms.collect_fills("acct")
    venue.held["AAPL"] = D(7)  # more at the venue than the store booked
    del venue.held["NVDA"]  # booked in the store, gone at the venue
    venue.held["MSFT"] = D(-3)  # only at the venue
    report = k.rec.run("acct")
    assert report.position_diffs == {"AAPL": (D(5), D(7)), "MSFT": (D(0), D(-3)), "NVDA": (D(2), D(0))}
    assert report.halted == ("positions differ from the venue (AAPL: store 5 vs venue 7, MSFT: store 0 vs venue -3, "
                             "NVDA: store 2 vs venue 0)")
    assert k.oms.halted["acct"] == report.halted
    assert k.rec.run("acct").changes == 0  # the same difference: halted already


def test_positions_that_agree_do_not_halt(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-a", qty=D(5)))
    k.oms.submit(k.order("tf-s", qty=D(5), side=Side.SELL))
    venue.execute("tf-a", D(5), D(100), "t1")
    venue.execute("tf-s", D(5), D(100), "t2")  # flat again: the venue lists nothing
    report = k.rec.run("acct")
    assert report.fills == 2 and report.position_diffs == {} and report.halted is None
    assert stored_positions(store, "acct") in ({}, {"AAPL": D(0)})
    assert "acct" not in k.oms.halted


def test_stored_positions_are_decimals_per_instrument(store: Any) -> None:
    k = kit_with(store)
    k.oms.submit(k.order("tf-a", qty=D("2.5")))
    k.venues["acct"].execute("tf-a", D("2.5"), D(100), "t1")
    k.oms.collect_fills("acct")
    got = stored_positions(store, "acct")
    assert got == {"AAPL": D("2.5")} and all(type(v) is Decimal for v in got.values())


# -- fill conflicts: the venue's position decides -------------------------------------------
def _overfill(k: Kit, cid: str, instrument: str = "AAPL") -> None:
    """Order ``cid`` (10) fills at the venue, then a second report of 10 under a new fill id."""
    venue = k.venues["acct"]
    k.oms.submit(k.order(cid, instrument=instrument))
    venue.execute(cid, D(10), D(100), f"{cid}-t1")
    k.oms.collect_fills("acct")
    vo = venue.orders[cid]
    venue.fills.append(Fill(cid, "fakevenue", vo.venue_order_id, f"{cid}-t2", instrument, Side.BUY, D(10), D(101),
                            D(0), T0, T0))
    assert k.oms.collect_fills("acct") == []
    assert (("acct", instrument) in k.oms.holds)


def test_an_overfill_the_venue_holds_is_booked_to_the_order_and_releases_the_hold(store: Any) -> None:
    k = kit_with(store)
    _overfill(k, "tf-o")
    k.venues["acct"].held["AAPL"] = D(11)  # the venue did fill one more than the store booked
    [conflict] = ConflictBook(store).conflicts("acct", open_only=True)
    k.clock.set_ns(T0 + 77)
    report = k.rec.run("acct")
    assert report.halted is None and report.position_diffs == {} and report.fills == 1
    assert stored_positions(store, "acct") == {"AAPL": D(11)}
    booked = [f for f in store.fills("tf-o") if f.trade_id == f"reconcile-{conflict.id}"]
    assert len(booked) == 1
    f = booked[0]
    assert (f.side, f.quantity, f.fee, f.ts_event, f.ts_init) == (Side.BUY, D(1), D(0), T0 + 77, T0 + 77)
    assert k.oms.holds == {} and ConflictBook(store).conflicts("acct", open_only=True) == []
    resolution = "booked buy 1 to tf-o: the venue holds 11"
    assert ConflictBook(store).conflicts("acct")[0].resolution == resolution
    assert [a.message for a in k.alerts_of("fill_conflict_resolved")] == [f"AAPL: {resolution}"]
    assert k.rec.run("acct").changes == 0
    # a resolved conflict is decided once: the next run neither re-decides nor re-alerts it
    assert ConflictBook(store).conflicts("acct")[0].resolution == resolution
    assert len(k.alerts_of("fill_conflict_resolved")) == 1


def test_a_venue_holding_less_than_the_store_books_a_sell(store: Any) -> None:
    k = kit_with(store)
    _overfill(k, "tf-o")
    k.venues["acct"].held["AAPL"] = D("9.5")  # the venue holds less than the store booked
    report = k.rec.run("acct")
    assert report.halted is None and report.fills == 1
    assert stored_positions(store, "acct") == {"AAPL": D("9.5")}
    [adj] = [f for f in store.fills("tf-o") if f.trade_id.startswith("reconcile-")]
    assert adj.side is Side.SELL and adj.quantity == D("0.5")


def test_a_venue_holding_nothing_in_a_conflicted_instrument_books_the_whole_position_out(store: Any) -> None:
    k = kit_with(store)
    _overfill(k, "tf-o")
    del k.venues["acct"].held["AAPL"]
    report = k.rec.run("acct")
    assert report.halted is None and report.fills == 1
    assert stored_positions(store, "acct").get("AAPL", D(0)) == 0
    [adj] = [f for f in store.fills("tf-o") if f.trade_id.startswith("reconcile-")]
    assert adj.side is Side.SELL and adj.quantity == D(10)


def test_two_conflicts_in_one_instrument_book_to_the_last_conflicting_order(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    for cid in ("tf-first", "tf-last"):  # both sent before the first conflict holds the instrument
        k.oms.submit(k.order(cid))
        venue.execute(cid, D(10), D(100), f"{cid}-t1")
    k.oms.collect_fills("acct")
    for cid in ("tf-first", "tf-last"):  # each reported again under a new fill id
        vid = venue.orders[cid].venue_order_id
        venue.fills.append(Fill(cid, "fakevenue", vid, f"{cid}-t2", "AAPL", Side.BUY, D(10), D(101), D(0), T0, T0))
    assert k.oms.collect_fills("acct") == [] and len(ConflictBook(store).conflicts("acct", open_only=True)) == 2
    venue.held["AAPL"] = D(25)
    report = k.rec.run("acct")
    assert report.halted is None and report.fills == 1
    assert [f.quantity for f in store.fills("tf-last") if f.trade_id.startswith("reconcile-")] == [D(5)]
    assert [f for f in store.fills("tf-first") if f.trade_id.startswith("reconcile-")] == []
    assert ConflictBook(store).conflicts("acct", open_only=True) == []


def test_an_overfill_the_venue_does_not_hold_is_resolved_without_booking(store: Any) -> None:
    k = kit_with(store)
    _overfill(k, "tf-o")
    k.clock.set_ns(T0 + 3)
    report = k.rec.run("acct")
    assert report.halted is None and report.fills == 0
    assert stored_positions(store, "acct") == {"AAPL": D(10)}
    [c] = ConflictBook(store).conflicts("acct")
    assert c.resolution == "the venue agrees with the store (10); not booked" and c.resolved_ns == T0 + 3
    assert k.oms.holds == {}
    assert [a.message for a in k.alerts_of("fill_conflict_resolved")] == [f"AAPL: {c.resolution}"]
    assert k.oms.submit(k.order("tf-next")) is not None  # entries open again


def test_conflicts_in_two_instruments_are_each_decided(store: Any) -> None:
    k = kit_with(store)
    _overfill(k, "tf-m", instrument="MSFT")
    _overfill(k, "tf-a", instrument="AAPL")
    k.venues["acct"].held["MSFT"] = D(20)
    report = k.rec.run("acct")
    assert report.halted is None and report.fills == 1
    assert stored_positions(store, "acct") == {"AAPL": D(10), "MSFT": D(20)}
    assert [a.message.split(":")[0] for a in k.alerts_of("fill_conflict_resolved")] == ["AAPL", "MSFT"]
    assert k.oms.holds == {}


# -- unreachable venues and reconnects -------------------------------------------------------
def test_an_unreachable_venue_halts_the_account_once_with_the_secret_redacted(store: Any) -> None:
    k = kit_with(store)
    k.venues["acct"].down = True
    report = k.rec.run("acct")
    assert report.halted is not None
    assert report.halted.startswith("reconciliation could not reach the venue: venue unreachable")
    assert "sk-live-abcdef1234567890" not in report.halted
    assert k.oms.halted["acct"] == report.halted
    assert store.control("account:acct").actor == "reconcile"
    again = k.rec.run("acct")  # still unreachable, already halted: nothing new
    assert again.halted is None and again.changes == 0
    assert len(k.alerts_of("account_halted")) == 1


def test_after_a_reconnect_only_the_reconnected_account_is_reconciled(store: Any) -> None:
    flaky = ReconnectingVenue()
    k = kit_with(store, flaky, steady=FakeVenue())
    store.record_order_intent(k.order("tf-x"))
    assert k.rec.after_reconnect() == []
    flaky.reconnected = True
    [report] = k.rec.after_reconnect()
    assert report.account == "acct" and report.settled == [("tf-x", "intent", "canceled")]
    assert k.rec.after_reconnect() == []


@pytest.mark.parametrize("one", [D(1), D(-1)])
def test_a_single_unit_held_on_one_side_only_is_a_difference(store: Any, one: Decimal) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    side = Side.BUY if one > 0 else Side.SELL
    k.oms.submit(k.order("tf-1", qty=D(1), instrument="NVDA", side=side))
    venue.execute("tf-1", D(1), D(100), "t1")
    k.oms.collect_fills("acct")
    del venue.held["NVDA"]  # one unit in the store, none at the venue
    venue.held["MSFT"] = one  # one unit at the venue, none in the store
    report = k.rec.run("acct")
    assert report.position_diffs == {"MSFT": (D(0), one), "NVDA": (one, D(0))}


def test_a_conflict_in_an_instrument_the_store_holds_flat_books_the_venues_whole_position(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-b"))
    k.oms.submit(k.order("tf-s", side=Side.SELL))
    venue.execute("tf-b", D(10), D(100), "t1")
    venue.execute("tf-s", D(10), D(101), "t2")
    k.oms.collect_fills("acct")
    assert stored_positions(store, "acct") == {}  # flat
    venue.fills.append(Fill("tf-s", "fakevenue", venue.orders["tf-s"].venue_order_id, "t3", "AAPL", Side.SELL, D(10),
                            D(101), D(0), T0, T0))  # the sell reported again under a new id: a conflict
    assert k.oms.collect_fills("acct") == []
    venue.held["AAPL"] = D(-10)  # it did sell twice
    report = k.rec.run("acct")
    assert report.halted is None and report.fills == 1
    assert stored_positions(store, "acct") == {"AAPL": D(-10)}


def test_a_partly_filled_order_the_venue_canceled_is_settled_canceled_and_keeps_its_fill(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-pc"))
    venue.execute("tf-pc", D(4), D(100), "t1")  # filled in part, then canceled, while this process was down
    venue.cancel("tf-pc")
    k.restart()
    report = k.rec.run("acct")
    assert report.settled == [("tf-pc", "accepted", "canceled")] and report.fills == 1
    rec = store.order("tf-pc")
    assert (rec.status, rec.filled_quantity, rec.avg_price) == (OrderStatus.CANCELED, D(4), D(100))


def test_a_booked_partial_fill_the_venue_then_canceled_is_settled_canceled(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-pc"))
    venue.execute("tf-pc", D(4), D(100), "t1")
    k.oms.collect_fills("acct")
    venue.cancel("tf-pc")
    report = k.rec.run("acct")
    assert report.settled == [("tf-pc", "partially_filled", "canceled")] and report.fills == 0
    assert store.order("tf-pc").status is OrderStatus.CANCELED


def test_an_accepted_order_partly_filled_at_the_venue_is_settled_partly_filled(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-pp"))
    venue.execute("tf-pp", D(4), D(100), "t1")
    k.restart()
    report = k.rec.run("acct")
    assert report.settled == [("tf-pp", "accepted", "partially_filled")] and report.fills == 1
    assert store.order("tf-pp").status is OrderStatus.PARTIALLY_FILLED


# -- survivors of the 2026-12-06 mutation run (issue #25) ------------------------------------
def test_a_filled_order_the_venue_reports_with_less_cumulative_than_booked_is_settled_filled(store: Any) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-lag"))
    venue.execute("tf-lag", D(10), D(100), "t1")
    k.oms.collect_fills("acct")
    # the fill was booked, the status write was lost; the venue's order answer already says FILLED
    # but its cumulative lags its fills (6 of the 10 it reported): only more than booked reopens it
    store.update_order("tf-lag", OrderStatus.ACCEPTED, ts_ns=T0)
    vo = venue.orders["tf-lag"]
    venue.orders["tf-lag"] = VenueOrder("tf-lag", vo.venue_order_id, vo.instrument, vo.side, vo.quantity, D(6),
                                        OrderStatus.FILLED, D(100))
    report = k.rec.run("acct")
    assert report.settled == [("tf-lag", "accepted", "filled")] and report.fills == 0 and report.halted is None
    rec = store.order("tf-lag")
    assert (rec.status, rec.filled_quantity, rec.avg_price) == (OrderStatus.FILLED, D(10), D(100))
    assert k.rec.run("acct").changes == 0


def test_a_late_fill_of_a_signed_order_settled_canceled_is_booked_at_its_own_price(store: Any) -> None:
    venue = SigningVenue()
    k = kit_with(store, venue)
    store.record_order_intent(k.order("tf-late"))  # crashed before the venue id was stored
    store.update_order("tf-late", OrderStatus.UNKNOWN, ts_ns=T0)
    report = k.rec.run("acct")  # the venue's order lookup does not know it (yet)
    assert report.settled == [("tf-late", "unknown", "canceled")]
    assert store.order("tf-late").venue_order_id == "sig-tf-late"
    # then its matching engine reports a fill of part of it: booked at the fill's own price
    venue.fills.append(Fill("tf-late", "fakevenue", "sig-tf-late", "t1", "AAPL", Side.BUY, D(4), D(99), D(0), T0, T0))
    assert [f.trade_id for f in k.oms.collect_fills("acct")] == ["t1"]
    rec = store.order("tf-late")
    assert (rec.status, rec.filled_quantity, rec.avg_price) == (OrderStatus.CANCELED, D(4), D(99))


@pytest.mark.parametrize("amended", [False, True])
def test_a_zero_priced_partial_fill_keeps_the_average_exact_across_a_restart(store: Any, amended: bool) -> None:
    k = kit_with(store)
    venue = k.venues["acct"]
    k.oms.submit(k.order("tf-z"))
    venue.execute("tf-z", D(4), D(0), "t1")  # generated prices: 4 at 0 (a venue fill without a price reads 0)
    k.oms.collect_fills("acct")
    assert (store.order("tf-z").filled_quantity, store.order("tf-z").avg_price) == (D(4), D(0))
    venue.execute("tf-z", D(6), D(100), "t2")  # the rest at 100, while this process was down
    if amended:  # the venue re-identified the order meanwhile: the record is re-registered under the new id
        vo = venue.orders["tf-z"]
        venue.orders["tf-z"] = VenueOrder("tf-z", "V1-amended", vo.instrument, vo.side, vo.quantity,
                                          vo.filled_quantity, vo.status, vo.avg_price)
    k.restart()
    report = k.rec.run("acct")
    assert report.settled == [] and report.fills == 1 and report.halted is None
    rec = store.order("tf-z")
    assert (rec.status, rec.filled_quantity, rec.avg_price) == (OrderStatus.FILLED, D(10), D(60))  # 600 / 10


def test_differences_in_two_conflicted_instruments_book_each_to_its_own_order(store: Any) -> None:
    k = kit_with(store)
    _overfill(k, "tf-a", instrument="AAPL")  # recorded first: AAPL sorts first too
    _overfill(k, "tf-m", instrument="MSFT")
    k.venues["acct"].held.update({"AAPL": D(11), "MSFT": D(13)})
    report = k.rec.run("acct")
    assert report.halted is None and report.fills == 2 and report.position_diffs == {}
    assert stored_positions(store, "acct") == {"AAPL": D(11), "MSFT": D(13)}
    adjustments = {cid: [(f.instrument, f.side, f.quantity) for f in store.fills(cid) if f.trade_id.startswith("reconcile-")]
                   for cid in ("tf-a", "tf-m")}
    assert adjustments == {"tf-a": [("AAPL", Side.BUY, D(1))], "tf-m": [("MSFT", Side.BUY, D(3))]}
    assert [(c.fill.instrument, c.resolution) for c in ConflictBook(store).conflicts("acct")] == [
        ("AAPL", "booked buy 1 to tf-a: the venue holds 11"), ("MSFT", "booked buy 3 to tf-m: the venue holds 13")]
    assert k.oms.holds == {}
