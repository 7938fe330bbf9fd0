"""The order manager's core rules against an in-process fake venue and the real store (fast: no HTTP).

At-most-once client order ids, fill de-duplication, overfill holds and the order statuses a fill
leaves behind. The fake venue is a few lines: it records every send and serves the fills a test
hands it, as many times as it is polled (a venue re-serving old fills is the normal case)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, Side
from tradefleet.orchestrator.errors import OrderRejected, OrderStateUnknown
from tradefleet.orchestrator.execution.broker import VenueOrder
from tradefleet.orchestrator.execution.oms import OrderManager

T0 = 1_795_305_600 * 10**9
ACCT = "acct"


class FakeVenue:
    """An in-process venue: accepts every order, serves the fills it is given on every poll."""

    name: ClassVar[str] = "fakevenue"

    def __init__(self) -> None:
        self.sent: list[Order] = []
        self.fills: list[Fill] = []
        self.cumulative: dict[str, Decimal] = {}  # client id -> what the venue says is filled
        self.fail: Exception | None = None

    def submit(self, order: Order) -> VenueOrder:
        self.sent.append(order)
        if self.fail is not None:
            raise self.fail
        return VenueOrder(order.client_order_id, f"v-{order.client_order_id}", order.instrument, order.side,
                          order.quantity, Decimal(0), OrderStatus.ACCEPTED)

    def query_order(self, client_order_id: str) -> VenueOrder | None:
        sent = next((o for o in self.sent if o.client_order_id == client_order_id), None)
        if sent is None:
            return None
        done = self.cumulative.get(client_order_id, sent.quantity)
        return VenueOrder(client_order_id, f"v-{client_order_id}", sent.instrument, sent.side, sent.quantity, done,
                          OrderStatus.FILLED if done >= sent.quantity else OrderStatus.PARTIALLY_FILLED)

    def cancel(self, client_order_id: str) -> VenueOrder:
        sent = next(o for o in self.sent if o.client_order_id == client_order_id)
        done = self.cumulative.get(client_order_id, Decimal(0))
        status = OrderStatus.FILLED if done >= sent.quantity else OrderStatus.CANCELED
        return VenueOrder(client_order_id, f"v-{client_order_id}", sent.instrument, sent.side, sent.quantity, done, status)

    def open_orders(self) -> list[VenueOrder]:
        return []  # every order here is accepted, then filled only by the fills a test hands over

    def poll_fills(self) -> list[Fill]:
        return list(self.fills)


class Kit:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.venue = FakeVenue()
        self.clock = SimClock(T0)
        self.bus = InProcessBus()
        self.alerts: list[Any] = []
        self.booked: list[tuple[str, str]] = []  # (client id, trade id) handed to on_fill
        self.bus.subscribe(Topic.ALERTS, lambda _t, a: self.alerts.append(a))
        self.oms = self.fresh()

    def fresh(self) -> OrderManager:
        """An order manager with empty memory on the same store (a restart)."""
        return OrderManager(self.store, {ACCT: self.venue}, self.clock, self.bus,
                            on_fill=lambda o, f: self.booked.append((o.client_order_id, f.trade_id)))

    def kinds(self) -> list[str]:
        return [a.kind for a in self.alerts]

    def fill(self, cid: str, trade: str, qty: str, price: str, *, side: Side = Side.BUY, instrument: str = "AAPL",
             venue_cid: str | None = None) -> Fill:
        f = Fill(cid if venue_cid is None else venue_cid, FakeVenue.name, f"v-{cid}", trade, instrument, side,
                 Decimal(qty), Decimal(price), Decimal(0), self.clock.now_ns(), self.clock.now_ns())
        self.venue.fills.append(f)
        return f


def order(cid: str, qty: str = "10", *, instrument: str = "AAPL", reduce_only: bool = False,
          side: Side = Side.BUY, bot: str = "bot-a") -> Order:
    return Order(cid, bot, instrument, side, Decimal(qty), T0, account=ACCT, reduce_only=reduce_only)


@pytest.fixture
def kit(store: Any) -> Kit:
    return Kit(store)


# -- at most once ------------------------------------------------------------------------------

def test_a_client_order_id_is_sent_once_even_by_a_restarted_order_manager(kit: Kit) -> None:
    o = order("c1")
    ack = kit.oms.submit(o)
    assert ack is not None and ack.venue_order_id == "v-c1"
    rec = kit.store.order("c1")
    assert rec.status is OrderStatus.ACCEPTED and rec.venue_order_id == "v-c1"
    assert kit.oms.submit(o) is None                 # the same manager asked again
    assert kit.fresh().submit(o) is None             # a restart asked again
    assert [s.client_order_id for s in kit.venue.sent] == ["c1"]
    assert kit.kinds() == ["duplicate_intent", "duplicate_intent"]
    assert kit.store.order("c1").status is OrderStatus.ACCEPTED  # the duplicate changes nothing stored


def test_a_halted_account_sends_nothing_and_says_why(kit: Kit) -> None:
    kit.oms.halt(ACCT, "operator stop")
    assert kit.oms.submit(order("h1")) is None
    assert kit.venue.sent == [] and kit.store.order("h1") is None
    assert kit.kinds() == ["account_halted", "order_blocked"] and "operator stop" in kit.alerts[1].message
    assert kit.store.control(f"account:{ACCT}").halted


def test_a_rejected_order_is_stored_rejected_and_an_unknown_write_unknown(kit: Kit) -> None:
    kit.venue.fail = OrderRejected("insufficient buying power")
    assert kit.oms.submit(order("r1")) is None
    rec = kit.store.order("r1")
    assert rec.status is OrderStatus.REJECTED and "insufficient buying power" in (rec.reason or "")
    kit.venue.fail = OrderStateUnknown("reply lost")
    assert kit.oms.submit(order("u1")) is None
    assert kit.store.order("u1").status is OrderStatus.UNKNOWN
    assert kit.kinds() == ["order_rejected", "order_unknown"]
    assert kit.oms.submit(order("u1")) is None  # an UNKNOWN order is never resent blindly
    assert [s.client_order_id for s in kit.venue.sent] == ["r1", "u1"]


# -- fill de-duplication -------------------------------------------------------------------------

def test_a_fill_served_again_is_booked_once_also_after_a_restart(kit: Kit) -> None:
    kit.oms.submit(order("d1", "10"))
    kit.fill("d1", "t1", "4", "100")
    assert [f.trade_id for f in kit.oms.collect_fills()] == ["t1"]
    assert kit.oms.collect_fills() == []             # served again: nothing new
    assert kit.fresh().collect_fills() == []         # and again after a restart (known from the store)
    assert len(kit.store.fills("d1")) == 1
    rec = kit.store.order("d1")
    assert rec.filled_quantity == Decimal(4) and rec.status is OrderStatus.PARTIALLY_FILLED
    assert kit.booked == [("d1", "t1")]
    assert "fill_conflict" not in kit.kinds()


def test_a_fill_id_seen_with_other_contents_is_a_conflict_and_the_first_is_kept(kit: Kit) -> None:
    kit.oms.submit(order("d2", "10"))
    kit.fill("d2", "t1", "4", "100")
    kit.oms.collect_fills()
    kit.venue.fills = []
    kit.fill("d2", "t1", "5", "100")                  # same (venue, venue id, trade id), other quantity
    assert kit.oms.collect_fills() == []
    assert kit.oms.collect_fills() == []             # alerted once, not on every poll
    assert kit.kinds() == ["fill_conflict"] and "seen before with other contents" in kit.alerts[0].message
    assert kit.store.order("d2").filled_quantity == Decimal(4)
    assert kit.oms.holds == {}                        # a changed report does not hold entries
    assert kit.oms.submit(order("d3", "1")) is not None


def test_a_fill_id_served_again_with_a_smaller_quantity_or_a_lower_price_is_a_conflict_too(kit: Kit) -> None:
    kit.oms.submit(order("d4", "10"))
    kit.fill("d4", "t1", "5", "100")
    kit.oms.collect_fills()
    kit.venue.fills = []
    kit.fill("d4", "t1", "4", "99")                   # contents that sort before the first: still other contents
    assert kit.oms.collect_fills() == []
    assert kit.kinds() == ["fill_conflict"] and kit.store.order("d4").filled_quantity == Decimal(5)


# -- the status a fill leaves ----------------------------------------------------------------------

def test_fills_move_an_order_partially_filled_then_filled_at_the_average_price(kit: Kit) -> None:
    kit.oms.submit(order("s1", "10"))
    kit.fill("s1", "t1", "4", "100")
    kit.oms.collect_fills()
    rec = kit.store.order("s1")
    assert rec.status is OrderStatus.PARTIALLY_FILLED
    assert rec.filled_quantity == Decimal(4) and rec.avg_price == Decimal(100)
    kit.fill("s1", "t2", "6", "105")                  # exactly the rest: FILLED
    assert [f.trade_id for f in kit.oms.collect_fills()] == ["t2"]
    rec = kit.store.order("s1")
    assert rec.status is OrderStatus.FILLED
    assert rec.filled_quantity == Decimal(10) and rec.avg_price == Decimal(103)
    assert kit.booked == [("s1", "t1"), ("s1", "t2")]


def test_a_restarted_order_manager_continues_the_filled_quantity_and_average(kit: Kit) -> None:
    kit.oms.submit(order("s2", "10"))
    kit.fill("s2", "t1", "4", "100")
    kit.oms.collect_fills()
    again = kit.fresh()
    again.restore(kit.store.orders(), kit.store.fills())
    kit.fill("s2", "t2", "6", "105")
    assert [f.trade_id for f in again.collect_fills()] == ["t2"]
    rec = kit.store.order("s2")
    assert rec.status is OrderStatus.FILLED and rec.avg_price == Decimal(103)


def test_a_late_fill_of_a_canceled_order_keeps_it_canceled(kit: Kit) -> None:
    kit.oms.submit(order("x1", "10"))
    kit.store.update_order("x1", OrderStatus.CANCELED, ts_ns=T0)
    kit.fill("x1", "t1", "3", "50")
    kit.oms.collect_fills()
    rec = kit.store.order("x1")
    assert rec.status is OrderStatus.CANCELED and rec.filled_quantity == Decimal(3)


def test_cancel_stores_canceled_only_when_the_venue_confirms(kit: Kit) -> None:
    kit.oms.submit(order("n1", "10"))
    assert kit.oms.cancel("n1") is True
    assert kit.store.order("n1").status is OrderStatus.CANCELED
    assert kit.oms.cancel("n1") is False              # no longer open
    assert kit.oms.cancel("never-placed") is False
    kit.oms.submit(order("n2", "10"))
    kit.venue.cumulative["n2"] = Decimal(10)          # it filled at the venue before the cancel arrived
    assert kit.oms.cancel("n2") is False
    assert kit.store.order("n2").status is OrderStatus.ACCEPTED


# -- overfills hold entries ------------------------------------------------------------------------

def test_a_fill_past_the_orders_quantity_holds_entries_until_released(kit: Kit) -> None:
    kit.oms.submit(order("o1", "10", bot="trend"))     # a bot name that sorts after "external"
    kit.fill("o1", "t1", "10", "100")
    kit.fill("o1", "t2", "1", "100")                  # one more than was ordered
    assert [f.trade_id for f in kit.oms.collect_fills()] == ["t1"]
    assert kit.store.order("o1").filled_quantity == Decimal(10)
    assert kit.kinds() == ["fill_conflict"] and "past its quantity" in kit.alerts[0].message
    assert (ACCT, "AAPL") in kit.oms.holds
    assert kit.oms.submit(order("o2", "1")) is None   # an entry in the held instrument
    assert kit.kinds()[-1] == "entry_held"
    assert kit.oms.submit(order("o3", "1", instrument="MSFT")) is not None  # another instrument is free
    assert kit.oms.submit(order("o4", "1", reduce_only=True, side=Side.SELL)) is not None  # exits still go
    assert kit.fresh().submit(order("o5", "1")) is None  # the hold is stored: a restart keeps it
    kit.oms.release_hold(ACCT, "AAPL")
    assert kit.oms.submit(order("o6", "1")) is not None
    assert [s.client_order_id for s in kit.venue.sent] == ["o1", "o3", "o4", "o6"]


def test_a_fill_past_the_venues_cumulative_filled_is_a_conflict(kit: Kit) -> None:
    kit.oms.submit(order("v1", "10"))
    kit.venue.cumulative["v1"] = Decimal(4)           # the venue says only 4 are filled
    kit.fill("v1", "t1", "4", "100")
    kit.fill("v1", "t2", "2", "100")
    assert [f.trade_id for f in kit.oms.collect_fills()] == ["t1"]
    assert "venue's cumulative filled 4" in kit.alerts[-1].message
    assert kit.store.order("v1").filled_quantity == Decimal(4)


# -- fills of orders we did not place, and lost replies -------------------------------------------

def test_a_fill_of_an_order_never_placed_is_adopted_as_external_and_not_handed_to_the_book(kit: Kit) -> None:
    kit.venue.fills.append(Fill("", FakeVenue.name, "v-manual", "t1", "AAPL", Side.BUY, Decimal(3), Decimal(20),
                               Decimal(0), T0, T0))
    assert len(kit.oms.collect_fills()) == 1
    rec = kit.store.order("ext-fakevenue-v-manual")
    assert rec.status is OrderStatus.EXTERNAL and rec.filled_quantity == Decimal(3)
    assert kit.booked == []
    assert "external_fill" in kit.kinds()


def test_a_fill_without_a_client_id_books_to_our_order_by_its_venue_id(kit: Kit) -> None:
    kit.oms.submit(order("b1", "5"))
    kit.fill("b1", "t1", "5", "10", venue_cid="")
    assert len(kit.oms.collect_fills()) == 1
    rec = kit.store.order("b1")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == Decimal(5)
    assert [f.client_order_id for f in kit.store.fills("b1")] == ["b1"]
    assert kit.booked == [("b1", "t1")]
    kit.oms.submit(order("b2", "5"))
    kit.fill("b2", "t2", "5", "10", venue_cid="")
    assert len(kit.fresh().collect_fills()) == 1      # a restarted manager finds it by the stored venue id
    assert kit.store.order("b2").status is OrderStatus.FILLED


def test_a_fresh_order_manager_loads_the_stored_order_behind_a_fill_with_its_average(kit: Kit) -> None:
    kit.oms.submit(order("s3", "10"))
    kit.fill("s3", "t1", "4", "100")
    kit.oms.collect_fills()
    again = kit.fresh()                               # no restore: the order is read from the store on demand
    kit.fill("s3", "t2", "6", "105")
    assert [f.trade_id for f in again.collect_fills()] == ["t2"]
    rec = kit.store.order("s3")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == Decimal(10) and rec.avg_price == Decimal(103)


# -- brackets and combos: one venue request, at most once -----------------------------------------

class LinkingVenue(FakeVenue):
    """The fake venue holding brackets natively and taking combo orders (each one request)."""

    native_brackets = True
    native_oco = True

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[list[str]] = []  # the client ids of each linked/combo request
        self.linked: list[list[str]] = []

    def _acks(self, orders: list[Order]) -> list[VenueOrder]:
        self.requests.append([o.client_order_id for o in orders])
        return [VenueOrder(o.client_order_id, f"v-{o.client_order_id}", o.instrument, o.side, o.quantity, Decimal(0),
                           OrderStatus.ACCEPTED) for o in orders]

    def submit_linked(self, group: Any) -> list[VenueOrder]:
        return self._acks(group.orders)

    def submit_combo(self, orders: list[Order], units: Decimal, net_limit: Decimal | None) -> list[VenueOrder]:
        return self._acks(orders)

    def link(self, group: Any) -> None:  # a restart hands back the native groups still open
        self.linked.append([o.client_order_id for o in group.orders])


def bracket(prefix: str) -> list[Order]:
    from tradefleet.orchestrator.domain import OrderType

    entry = order(f"{prefix}-e", "10")
    tp = Order(f"{prefix}-tp", "bot-a", "AAPL", Side.SELL, Decimal(10), T0, OrderType.LIMIT, Decimal(110),
               account=ACCT, reduce_only=True, parent_id=entry.client_order_id, oco_id=f"{prefix}-g")
    sl = Order(f"{prefix}-sl", "bot-a", "AAPL", Side.SELL, Decimal(10), T0, OrderType.STOP, account=ACCT,
               reduce_only=True, stop_price=Decimal(95), parent_id=entry.client_order_id, oco_id=f"{prefix}-g")
    return [entry, tp, sl]


@pytest.fixture
def lkit(store: Any) -> Kit:
    k = Kit(store)
    k.venue = LinkingVenue()
    k.oms = k.fresh()
    return k


def test_a_native_bracket_is_one_request_stored_as_native_and_never_sent_again(lkit: Kit) -> None:
    legs = bracket("b")
    acks = lkit.oms.submit_linked(legs)
    assert [a.venue_order_id for a in acks if a is not None] == ["v-b-e", "v-b-tp", "v-b-sl"]
    assert lkit.venue.requests == [["b-e", "b-tp", "b-sl"]]
    for cid in ("b-e", "b-tp", "b-sl"):
        rec = lkit.store.order(cid)
        assert rec.status is OrderStatus.ACCEPTED and rec.reason == "native bracket at fakevenue"
        assert rec.venue_order_id == f"v-{cid}"
    assert lkit.oms.submit_linked(legs) == [None, None, None]
    assert lkit.fresh().submit_linked(legs) == [None, None, None]
    assert lkit.venue.requests == [["b-e", "b-tp", "b-sl"]] and lkit.venue.sent == []
    assert lkit.kinds() == ["duplicate_intent", "duplicate_intent"]
    again = lkit.fresh()
    again.restore(lkit.store.orders(), lkit.store.fills())
    assert lkit.venue.linked == [["b-e", "b-tp", "b-sl"]]  # the venue knows the legs again; nothing resent
    assert lkit.venue.requests == [["b-e", "b-tp", "b-sl"]]


def test_a_combo_is_one_request_and_never_sent_again_nor_to_a_halted_account(lkit: Kit) -> None:
    legs = [order("k1", "1"), order("k2", "1", instrument="MSFT", side=Side.SELL)]
    acks = lkit.oms.submit_combo(legs, Decimal(1), Decimal("2.5"))
    assert [a.venue_order_id for a in acks if a is not None] == ["v-k1", "v-k2"]
    assert [lkit.store.order(c).status for c in ("k1", "k2")] == [OrderStatus.ACCEPTED, OrderStatus.ACCEPTED]
    assert lkit.oms.submit_combo(legs, Decimal(1), Decimal("2.5")) == [None, None]
    assert lkit.kinds() == ["duplicate_intent"] and lkit.alerts[0].message.startswith("combo k1 ")
    lkit.oms.halt(ACCT, "operator stop")
    assert lkit.oms.submit_combo([order("k3", "1"), order("k4", "1")], Decimal(1), None) == [None, None]
    assert lkit.store.order("k3") is None and lkit.kinds()[-1] == "order_blocked"
    assert lkit.venue.requests == [["k1", "k2"]]


def test_an_emulated_brackets_exits_wait_for_the_entry_fill_then_go_out_or_arm(store: Any) -> None:
    from tradefleet.orchestrator.domain import OrderType

    k = Kit(store)
    k.venue.native_types = frozenset({OrderType.MARKET, OrderType.LIMIT})  # type: ignore[attr-defined]  # no stops
    k.oms = k.fresh()
    stored_at_entry_send: list[bool] = []
    real_submit = k.venue.submit

    def witnessed(o: Order) -> VenueOrder:
        if o.client_order_id == "m-e":  # a crash here must leave the exits stored, to protect the entry's fill
            stored_at_entry_send.extend(k.store.order(c) is not None for c in ("m-tp", "m-sl"))
        return real_submit(o)

    k.venue.submit = witnessed  # type: ignore[method-assign]
    acks = k.oms.submit_linked(bracket("m"))
    assert all(a is not None for a in acks)
    assert stored_at_entry_send == [True, True]
    held_ack = acks[2]
    assert held_ack is not None and held_ack.venue_order_id == "" and held_ack.filled_quantity == 0
    assert [o.client_order_id for o in k.venue.sent] == ["m-e"]  # the exits wait for the entry's fill
    assert k.store.order("m-tp").reason.startswith("emulated: waiting for m-e to fill")
    assert not k.oms.emulator.held["m-sl"].armed
    k.fill("m-e", "t1", "10", "100")
    k.oms.collect_fills()
    assert [o.client_order_id for o in k.venue.sent] == ["m-e", "m-tp"]  # the limit take-profit goes to the venue
    assert k.oms.emulator.held["m-sl"].armed                            # the stop the venue lacks is armed here
    assert k.store.order("m-e").status is OrderStatus.FILLED
    again = k.fresh()                                                  # a restart re-arms the held stop
    again.restore(k.store.orders(), k.store.fills())
    assert set(again.emulator.held) == {"m-sl"} and again.emulator.held["m-sl"].armed
    assert "m-tp" in again.emulator.oco.get("m-g", set())            # the venue-held exit is linked again
    assert [o.client_order_id for o in k.venue.sent] == ["m-e", "m-tp"]  # nothing resent
    from tradefleet.orchestrator.domain import Bar

    k.clock.set_ns(T0 + 60 * 10**9)
    k.oms.on_bar(Bar("AAPL", T0 + 60 * 10**9, 99.0, 99.5, 94.0, 94.5, 1000.0))  # trades through the stop at 95
    release = k.venue.sent[-1]
    assert release.client_order_id != "m-sl" and release.quantity == 10 and release.side is Side.SELL
    assert release.order_type is OrderType.MARKET and release.reduce_only
    assert k.store.order("m-sl").status is OrderStatus.CANCELED and "triggered" in k.store.order("m-sl").reason
    assert k.store.order("m-tp").status is OrderStatus.CANCELED  # its OCO sibling, held at the venue


# -- the intent is durable before the send ---------------------------------------------------------

def test_inside_a_batch_the_intent_is_committed_before_the_venue_sees_the_order(store: Any, tmp_path: Any) -> None:
    from tradefleet.orchestrator.store import Store

    k = Kit(store)
    seen: list[object] = []
    other = Store.open(f"sqlite:///{tmp_path / 'tf.db'}")  # another process's view: committed rows only
    real_submit = k.venue.submit

    def witnessed(o: Order) -> VenueOrder:
        rec = other.order(o.client_order_id)
        seen.append(rec.status if rec is not None else None)
        return real_submit(o)

    k.venue.submit = witnessed  # type: ignore[method-assign]
    try:
        with store.batch():
            assert k.oms.submit(order("w1")) is not None
        assert seen == [OrderStatus.INTENT]
    finally:
        other.close()


def test_a_fill_without_a_client_id_never_books_to_another_accounts_order_with_that_venue_id(kit: Kit) -> None:
    other = Order("y1", "bot-a", "AAPL", Side.BUY, Decimal(3), T0, account="zz")  # an account sorting after ours
    kit.store.record_order_intent(other)
    kit.store.update_order("y1", OrderStatus.ACCEPTED, venue_order_id="v-shared", ts_ns=T0)
    kit.venue.fills.append(Fill("", FakeVenue.name, "v-shared", "t1", "AAPL", Side.BUY, Decimal(3), Decimal(20),
                                Decimal(0), T0, T0))
    kit.oms.collect_fills()
    assert kit.store.order("y1").filled_quantity == 0
    assert kit.store.order("ext-fakevenue-v-shared").status is OrderStatus.EXTERNAL


def test_a_day_order_at_a_venue_without_day_orders_goes_out_gtc_and_its_expiry_is_watched_across_a_restart(
        kit: Kit) -> None:
    from tradefleet.orchestrator.domain import OrderType, TimeInForce

    kit.venue.native_tif = frozenset({TimeInForce.GTC})  # type: ignore[attr-defined]
    kit.oms = kit.fresh()
    day = Order("dy1", "bot-a", "AAPL", Side.BUY, Decimal(5), T0, OrderType.LIMIT, Decimal(90), account=ACCT,
                time_in_force=TimeInForce.DAY)
    assert kit.oms.submit(day) is not None
    assert kit.venue.sent[-1].time_in_force is TimeInForce.GTC
    assert "dy1" in kit.oms.emulator.expiries
    again = kit.fresh()
    again.restore(kit.store.orders(), kit.store.fills())
    assert set(again.emulator.expiries) == {"dy1"}


def test_a_native_brackets_lost_reply_leaves_every_leg_unknown_and_nothing_resent(lkit: Kit) -> None:
    def lost(group: Any) -> list[VenueOrder]:
        lkit.venue.requests.append([o.client_order_id for o in group.orders])
        raise ConnectionError("connection reset")

    lkit.venue.submit_linked = lost  # type: ignore[method-assign]
    assert lkit.oms.submit_linked(bracket("u")) == [None, None, None]
    assert [lkit.store.order(c).status for c in ("u-e", "u-tp", "u-sl")] == [OrderStatus.UNKNOWN] * 3
    assert lkit.kinds() == ["order_unknown"]
    assert lkit.oms.submit_linked(bracket("u")) == [None, None, None]
    assert lkit.venue.requests == [["u-e", "u-tp", "u-sl"]]


def test_a_filled_entrys_exits_go_out_once_as_the_venues_own_oco_pair(store: Any) -> None:
    k = Kit(store)
    k.venue = LinkingVenue()
    k.venue.native_brackets = False  # type: ignore[misc]  # OCO pairs, but no brackets
    k.oms = k.fresh()
    k.oms.submit_linked(bracket("p"))
    assert [o.client_order_id for o in k.venue.sent] == ["p-e"] and k.venue.requests == []
    k.fill("p-e", "t1", "10", "100")
    k.oms.collect_fills()
    assert k.venue.requests == [["p-tp", "p-sl"]]      # one request, the pair
    assert [o.client_order_id for o in k.venue.sent] == ["p-e"]  # and neither exit sent on its own as well
    assert k.store.order("p-sl").reason == "native oco at fakevenue"


def test_an_order_for_an_account_without_a_broker_is_refused_by_name_and_not_stored(kit: Kit) -> None:
    from tradefleet.orchestrator.errors import PluginError

    stray = Order("a1", "bot-a", "AAPL", Side.BUY, Decimal(1), T0, account="nowhere")
    with pytest.raises(PluginError, match="no broker for account 'nowhere' \\(have: acct\\)"):
        kit.oms.submit(stray)
    assert kit.store.order("a1") is None and kit.venue.sent == []


def test_a_stored_halt_is_picked_up_by_a_restarted_manager_and_a_stored_resume_lifts_it(kit: Kit) -> None:
    kit.oms.halt(ACCT, "auth failed")
    again = kit.fresh()
    again.load_halts()
    assert again.halted == {ACCT: "auth failed"}
    assert again.submit(order("lh1")) is None and kit.venue.sent == []
    kit.store.set_control(f"account:{ACCT}", halted=False, reason="operator resumed", actor="op", ts_ns=T0)
    again.load_halts()
    assert again.halted == {}
    assert again.submit(order("lh2")) is not None


def test_a_native_bracket_into_a_held_instrument_is_not_stored_or_sent(lkit: Kit) -> None:
    lkit.oms.submit(order("hb0", "1"))
    lkit.fill("hb0", "t1", "1", "100")
    lkit.fill("hb0", "t2", "1", "100")               # an overfill: entries in AAPL held
    lkit.oms.collect_fills()
    assert lkit.oms.submit_linked(bracket("hb")) == [None, None, None]
    assert lkit.kinds()[-1] == "entry_held" and lkit.venue.requests == []
    assert lkit.store.order("hb-e") is None


def test_a_combos_timed_out_reply_leaves_every_leg_unknown_and_nothing_resent(lkit: Kit) -> None:
    def timed_out(orders: list[Order], units: Decimal, net_limit: Decimal | None) -> list[VenueOrder]:
        lkit.venue.requests.append([o.client_order_id for o in orders])
        raise TimeoutError("read timed out")  # the venue may or may not hold the combo

    lkit.venue.submit_combo = timed_out  # type: ignore[method-assign]
    legs = [order("q1", "1"), order("q2", "1", instrument="MSFT", side=Side.SELL)]
    assert lkit.oms.submit_combo(legs, Decimal(1), None) == [None, None]
    assert [lkit.store.order(c).status for c in ("q1", "q2")] == [OrderStatus.UNKNOWN] * 2
    assert lkit.kinds() == ["order_unknown"] and lkit.alerts[0].message.startswith("combo q1: ")
    assert lkit.fresh().submit_combo(legs, Decimal(1), None) == [None, None]  # reconciliation settles it, not a resend
    assert lkit.venue.requests == [["q1", "q2"]]


def _emulated_stop_kit(store: Any) -> Kit:
    from tradefleet.orchestrator.domain import OrderType

    k = Kit(store)
    k.venue.native_types = frozenset({OrderType.MARKET, OrderType.LIMIT})  # type: ignore[attr-defined]  # no stops
    k.oms = k.fresh()
    k.oms.submit_linked(bracket("r"))
    return k


def _bar_through_the_stop(k: Kit, oms: OrderManager, minutes: int) -> None:
    from tradefleet.orchestrator.domain import Bar

    ts = T0 + minutes * 60 * 10**9
    k.clock.set_ns(ts)
    oms.on_bar(Bar("AAPL", ts, 99.0, 99.5, 94.0, 94.5, 1000.0))  # trades through the stop at 95


def test_a_restarted_manager_fires_the_re_armed_stop_of_a_filled_entry(store: Any) -> None:
    k = _emulated_stop_kit(store)
    k.fill("r-e", "t1", "10", "100")
    k.oms.collect_fills()
    again = k.fresh()
    again.restore(k.store.orders(), k.store.fills())
    sent = len(k.venue.sent)
    _bar_through_the_stop(k, again, 1)  # the restarted manager, not the old one, watches the stop
    assert len(k.venue.sent) == sent + 1
    release = k.venue.sent[-1]
    assert release.side is Side.SELL and release.quantity == 10 and release.reduce_only
    assert k.store.order("r-sl").status is OrderStatus.CANCELED


def test_a_restarted_manager_keeps_the_stop_of_an_unfilled_entry_waiting_then_arms_it_on_the_fill(
        store: Any) -> None:
    k = _emulated_stop_kit(store)
    again = k.fresh()
    again.restore(k.store.orders(), k.store.fills())
    _bar_through_the_stop(k, again, 1)  # nothing is held yet: the stop must not fire
    assert [o.client_order_id for o in k.venue.sent] == ["r-e"]
    assert k.store.order("r-sl").status.is_open
    k.fill("r-e", "t1", "10", "100")  # the entry fills after the restart
    again.collect_fills()
    assert [o.client_order_id for o in k.venue.sent] == ["r-e", "r-tp"]
    _bar_through_the_stop(k, again, 2)  # now the stop protects the position
    release = k.venue.sent[-1]
    assert release.client_order_id not in ("r-e", "r-tp") and release.side is Side.SELL and release.reduce_only
    assert k.store.order("r-sl").status is OrderStatus.CANCELED


def test_a_triggered_stop_is_not_re_armed_by_a_restart(store: Any) -> None:
    k = _emulated_stop_kit(store)
    k.fill("r-e", "t1", "10", "100")
    k.oms.collect_fills()
    _bar_through_the_stop(k, k.oms, 1)
    sent = len(k.venue.sent)
    again = k.fresh()
    again.restore(k.store.orders(), k.store.fills())
    assert "r-sl" not in again.emulator.held
    _bar_through_the_stop(k, again, 2)
    assert len(k.venue.sent) == sent  # the position is not sold a second time
