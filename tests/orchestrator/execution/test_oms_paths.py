"""The order manager's less travelled paths against the in-process fake venues of test_oms_core.py.

Rejected and lost native brackets, combos and OCO pairs; emulated stops held and canceled here; a
venue that cannot hold an OCO pair; cancel failures; several accounts where one venue misbehaves;
orders the venue ends by itself (``poll_updates``); a fill another manager on the same store booked.
Every id and price below is generated for the test."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tradefleet.orchestrator.domain import Bar, Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.errors import AuthError, OrderRejected, OrderStateUnknown, TransientBrokerError
from tradefleet.orchestrator.execution.broker import VenueOrder
from tradefleet.orchestrator.execution.oms import OrderManager

from tests.orchestrator.execution.test_oms_core import (ACCT, T0, FakeVenue, Kit, LinkingVenue, bracket,  # noqa: F401
                                                       kit, lkit, order)

MIN = 60 * 10**9


def _no_stops(k: Kit) -> Kit:
    k.venue.native_types = frozenset({OrderType.MARKET, OrderType.LIMIT})  # type: ignore[attr-defined]
    k.oms = k.fresh()
    return k


def _stop(cid: str, stop: str = "95", *, side: Side = Side.SELL) -> Order:
    return Order(cid, "bot-a", "AAPL", side, Decimal(10), T0, OrderType.STOP, account=ACCT, stop_price=Decimal(stop))


def _bar(k: Kit, oms: OrderManager, minutes: int, low: float = 94.0) -> None:
    ts = T0 + minutes * MIN
    k.clock.set_ns(ts)
    oms.on_bar(Bar("AAPL", ts, 99.0, 99.5, low, max(low, 94.5), 1000.0))


def _oco_kit(store: Any) -> Kit:
    """A venue holding OCO pairs but no brackets: a filled entry's exits go out as one pair."""
    k = Kit(store)
    k.venue = LinkingVenue()
    k.venue.native_brackets = False  # type: ignore[misc]
    k.oms = k.fresh()
    return k


# -- native brackets and combos the venue refuses -------------------------------------------------

def test_a_native_bracket_the_venue_refuses_leaves_every_leg_rejected_and_nothing_resent(lkit: Kit) -> None:
    def refuse(group: Any) -> list[VenueOrder]:
        lkit.venue.requests.append([o.client_order_id for o in group.orders])
        raise OrderRejected("generated refusal")

    lkit.venue.submit_linked = refuse  # type: ignore[method-assign]
    assert lkit.oms.submit_linked(bracket("j")) == [None, None, None]
    for cid in ("j-e", "j-tp", "j-sl"):
        rec = lkit.store.order(cid)
        assert rec.status is OrderStatus.REJECTED and rec.reason == "native bracket at fakevenue: generated refusal"
    assert lkit.kinds() == ["order_rejected"] and lkit.alerts[0].account == ACCT
    assert lkit.oms.submit_linked(bracket("j")) == [None, None, None]
    assert lkit.venue.requests == [["j-e", "j-tp", "j-sl"]]


def test_an_auth_failure_on_a_native_bracket_halts_the_account_and_leaves_the_legs_unknown(lkit: Kit) -> None:
    def auth(group: Any) -> list[VenueOrder]:
        raise AuthError("generated: key revoked")

    lkit.venue.submit_linked = auth  # type: ignore[method-assign]
    with pytest.raises(AuthError):
        lkit.oms.submit_linked(bracket("au"))
    assert [lkit.store.order(c).status for c in ("au-e", "au-tp", "au-sl")] == [OrderStatus.UNKNOWN] * 3
    assert lkit.oms.halted == {ACCT: "auth failed: generated: key revoked"}
    assert lkit.store.control(f"account:{ACCT}").halted


def test_a_combo_the_venue_refuses_leaves_every_leg_rejected(lkit: Kit) -> None:
    def refuse(orders: list[Order], units: Decimal, net_limit: Decimal | None) -> list[VenueOrder]:
        raise OrderRejected("generated: no such spread")

    lkit.venue.submit_combo = refuse  # type: ignore[method-assign]
    legs = [order("kr1", "1"), order("kr2", "1", instrument="MSFT", side=Side.SELL)]
    assert lkit.oms.submit_combo(legs, Decimal(1), Decimal("1.5")) == [None, None]
    for cid in ("kr1", "kr2"):
        rec = lkit.store.order(cid)
        assert rec.status is OrderStatus.REJECTED and rec.reason == "generated: no such spread"
    assert lkit.kinds() == ["order_rejected"]


# -- a stop the venue cannot hold ------------------------------------------------------------------

def test_a_stop_the_venue_lacks_is_held_armed_here_and_fires_on_the_first_bar_through_it(kit: Kit) -> None:
    _no_stops(kit)
    ack = kit.oms.submit(_stop("st1"))
    assert ack is not None and ack.venue_order_id == "" and ack.status is OrderStatus.ACCEPTED
    assert kit.venue.sent == []
    assert kit.store.order("st1").reason == "emulated: stop held by the order manager"
    assert kit.oms.emulator.held["st1"].armed
    _bar(kit, kit.oms, 1, low=96.0)                        # above the stop: nothing
    assert kit.venue.sent == []
    _bar(kit, kit.oms, 2)                                  # through it
    release = kit.venue.sent[-1]
    assert release.order_type is OrderType.MARKET and release.side is Side.SELL and release.quantity == 10
    assert kit.store.order("st1").status is OrderStatus.CANCELED


def test_canceling_a_held_stop_cancels_it_here_without_asking_the_venue(kit: Kit) -> None:
    _no_stops(kit)
    kit.oms.submit(_stop("st2"))
    asked: list[str] = []
    kit.venue.cancel = lambda cid: asked.append(cid)  # type: ignore[assignment,method-assign,return-value]
    assert kit.oms.cancel("st2") is True
    assert asked == [] and kit.store.order("st2").status is OrderStatus.CANCELED
    assert "st2" not in kit.oms.emulator.held
    _bar(kit, kit.oms, 1)
    assert kit.venue.sent == []                             # a canceled stop never fires


def test_a_cancel_the_venue_fails_is_alerted_and_leaves_the_order_open(kit: Kit) -> None:
    kit.oms.submit(order("cf1", "10"))

    def down(cid: str) -> VenueOrder:
        raise TransientBrokerError("generated: 503")

    kit.venue.cancel = down  # type: ignore[method-assign]
    assert kit.oms.cancel("cf1") is False
    assert kit.store.order("cf1").status is OrderStatus.ACCEPTED
    assert kit.kinds() == ["cancel_failed"] and kit.alerts[0].message == "cf1: generated: 503"


# -- a filled entry's exits when the venue cannot hold them as a pair -----------------------------

def test_without_venue_oco_a_filled_entrys_exits_go_out_one_by_one_and_a_fill_cancels_the_other(kit: Kit) -> None:
    kit.oms.submit_linked(bracket("f"))                     # the fake venue holds every type, no links
    assert [o.client_order_id for o in kit.venue.sent] == ["f-e"]
    kit.fill("f-e", "t1", "10", "100")
    kit.oms.collect_fills()
    assert [o.client_order_id for o in kit.venue.sent] == ["f-e", "f-tp", "f-sl"]
    kit.fill("f-tp", "t2", "10", "110", side=Side.SELL)
    kit.oms.collect_fills()
    assert kit.store.order("f-tp").status is OrderStatus.FILLED
    assert kit.store.order("f-sl").status is OrderStatus.CANCELED  # canceled at the venue by the manager


def test_an_oco_pair_the_venue_refuses_after_the_entry_fill_leaves_both_exits_rejected_not_sent(store: Any) -> None:
    k = _oco_kit(store)

    def refuse(group: Any) -> list[VenueOrder]:
        k.venue.requests.append([o.client_order_id for o in group.orders])
        raise OrderRejected("generated: oco refused")

    k.venue.submit_linked = refuse  # type: ignore[method-assign]
    k.oms.submit_linked(bracket("pr"))
    k.fill("pr-e", "t1", "10", "100")
    k.oms.collect_fills()
    assert k.venue.requests == [["pr-tp", "pr-sl"]]
    assert [o.client_order_id for o in k.venue.sent] == ["pr-e"]    # not sent one by one instead
    for cid in ("pr-tp", "pr-sl"):
        rec = k.store.order(cid)
        assert rec.status is OrderStatus.REJECTED and rec.reason == "generated: oco refused"
    assert k.kinds() == ["order_rejected"]


@pytest.mark.parametrize("exc", [OrderStateUnknown("generated: lost"), TransientBrokerError("generated: lost"),
                                 TimeoutError("generated: lost"), ConnectionError("generated: lost")],
                         ids=["unknown", "transient", "timeout", "connection"])
def test_an_oco_pairs_lost_reply_leaves_both_exits_unknown_and_neither_resent(store: Any, exc: Exception) -> None:
    k = _oco_kit(store)

    def lost(group: Any) -> list[VenueOrder]:
        k.venue.requests.append([o.client_order_id for o in group.orders])
        raise exc

    k.venue.submit_linked = lost  # type: ignore[method-assign]
    k.oms.submit_linked(bracket("pl"))
    k.fill("pl-e", "t1", "10", "100")
    k.oms.collect_fills()
    assert k.venue.requests == [["pl-tp", "pl-sl"]]
    assert [o.client_order_id for o in k.venue.sent] == ["pl-e"]
    for cid in ("pl-tp", "pl-sl"):
        rec = k.store.order(cid)
        assert rec.status is OrderStatus.UNKNOWN and rec.reason == "generated: lost"
    assert k.kinds() == ["order_unknown"] and k.alerts[0].message == "oco pl-tp: generated: lost"


# -- several accounts: one venue's trouble does not stop the others --------------------------------

def _two_accounts(k: Kit, first: Any, second: Any) -> OrderManager:
    k.venue = second
    return OrderManager(k.store, {"a-first": first, ACCT: second}, k.clock, k.bus)  # "a-first" polled first


def test_collect_fills_goes_on_to_the_next_account_when_one_venue_cannot_be_polled(kit: Kit) -> None:
    broken = FakeVenue()

    def down() -> list[Any]:
        raise TransientBrokerError("generated: down")

    broken.poll_fills = down  # type: ignore[method-assign]
    oms = _two_accounts(kit, broken, FakeVenue())
    oms.submit(order("ma1", "5"))
    kit.fill("ma1", "t1", "5", "10")
    assert [f.trade_id for f in oms.collect_fills()] == ["t1"]
    assert kit.store.order("ma1").status is OrderStatus.FILLED
    assert kit.kinds() == ["fills_unavailable"] and kit.alerts[0].account == "a-first"


def test_a_restart_hands_native_groups_back_to_every_venue_that_takes_them(store: Any) -> None:
    k = Kit(store)
    nolink = LinkingVenue()
    nolink.link = None  # type: ignore[assignment,method-assign]  # a venue that relinks nothing
    linking = LinkingVenue()
    oms = OrderManager(store, {"a-first": nolink, ACCT: linking}, k.clock, k.bus)
    oms.submit_linked([replace(o, account="a-first") for o in bracket("n1")])
    oms.submit_linked(bracket("n2"))
    again = OrderManager(store, {"a-first": nolink, ACCT: linking}, k.clock, k.bus)
    again.restore(store.orders(), store.fills())
    assert linking.linked == [["n2-e", "n2-tp", "n2-sl"]]


# -- orders the venue ends by itself ---------------------------------------------------------------

class UpdatingVenue(FakeVenue):
    """A venue that reports the orders it ended by itself (an OCO sibling, an expiry)."""

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[VenueOrder] = []

    def poll_updates(self) -> list[VenueOrder]:
        return list(self.updates)


def _vo(cid: str, status: OrderStatus, reason: str = "") -> VenueOrder:
    return VenueOrder(cid, f"v-{cid}", "AAPL", Side.BUY, Decimal(10), Decimal(0), status, reason=reason)


def test_orders_the_venue_ended_by_itself_are_stored_ended_and_the_rest_left_alone(store: Any) -> None:
    k = Kit(store)
    k.venue = UpdatingVenue()
    k.oms = k.fresh()
    for cid in ("pu-done", "pu-live", "pu-c", "pu-r"):
        k.oms.submit(order(cid, "10"))
    k.oms.cancel("pu-done")                                 # closed before the venue's report arrives
    k.venue.updates = [_vo("pu-live", OrderStatus.PARTIALLY_FILLED),   # not an end: ignored
                       _vo("pu-never", OrderStatus.CANCELED),          # not ours: ignored
                       _vo("pu-done", OrderStatus.REJECTED, "generated: late"),  # already closed: kept
                       _vo("pu-c", OrderStatus.CANCELED),
                       _vo("pu-r", OrderStatus.REJECTED, "generated: expired by the venue")]
    k.oms.collect_fills()
    assert k.store.order("pu-live").status is OrderStatus.ACCEPTED
    assert k.store.order("pu-never") is None
    assert k.store.order("pu-done").status is OrderStatus.CANCELED
    c, r = k.store.order("pu-c"), k.store.order("pu-r")
    assert c.status is OrderStatus.CANCELED and c.reason == "canceled by the venue"
    assert r.status is OrderStatus.REJECTED and r.reason == "generated: expired by the venue"


def test_a_venue_whose_updates_cannot_be_polled_is_alerted_and_its_fills_still_booked(store: Any) -> None:
    k = Kit(store)
    k.venue = UpdatingVenue()

    def down() -> list[VenueOrder]:
        raise TransientBrokerError("generated: down")

    k.venue.poll_updates = down  # type: ignore[method-assign]
    k.oms = k.fresh()
    k.oms.submit(order("pd1", "5"))
    k.fill("pd1", "t1", "5", "10")
    assert [f.trade_id for f in k.oms.collect_fills()] == ["t1"]
    # alerted on each poll (the submit polled once too), the engine going on
    assert k.kinds() == ["updates_unavailable"] * 2 and k.alerts[-1].message == f"account {ACCT}: generated: down"


# -- a fill another manager on the same store booked ----------------------------------------------

def test_a_fill_another_manager_already_stored_is_not_booked_or_reported_again(kit: Kit) -> None:
    kit.oms.submit(order("sb1", "10"))
    assert kit.oms.collect_fills() == []                    # this manager's fill keys are loaded (none yet)
    kit.fill("sb1", "t1", "4", "100")
    assert [f.trade_id for f in kit.fresh().collect_fills()] == ["t1"]   # another manager books it
    assert kit.oms.collect_fills() == []
    assert kit.booked == [("sb1", "t1")]
    assert kit.store.order("sb1").filled_quantity == Decimal(4)


# -- what a restart does with the emulated exits it finds ------------------------------------------

def test_a_restart_cancels_the_exits_of_an_entry_canceled_unfilled_and_sends_those_of_one_that_filled(
        kit: Kit) -> None:
    kit.oms.submit_linked(bracket("ra"))                    # the fake venue holds no links: exits wait here
    kit.oms.submit_linked(bracket("rb"))
    assert [o.client_order_id for o in kit.venue.sent] == ["ra-e", "rb-e"]
    # while the manager was down: ra's entry canceled unfilled, rb's entry filled
    kit.store.update_order("ra-e", OrderStatus.CANCELED, ts_ns=T0)
    kit.store.update_order("rb-e", OrderStatus.FILLED, filled_quantity=Decimal(10), avg_price=Decimal(100), ts_ns=T0)
    again = kit.fresh()
    again.restore(kit.store.orders(), kit.store.fills())
    for cid in ("ra-tp", "ra-sl"):                          # sorted before rb's: the rest still handled
        rec = kit.store.order(cid)
        assert rec.status is OrderStatus.CANCELED and rec.reason == "parent ra-e canceled unfilled"
    assert [o.client_order_id for o in kit.venue.sent] == ["ra-e", "rb-e", "rb-sl", "rb-tp"]
    assert "ra-sl" not in again.emulator.held and "ra-e" not in again.emulator.children


# -- native OCO pairs, batches, alert texts -------------------------------------------------------

def _pair(prefix: str) -> list[Order]:
    """A position's exit pair (no entry), ids chosen so the take-profit sorts first."""
    tp = Order(f"{prefix}-1tp", "bot-a", "AAPL", Side.SELL, Decimal(10), T0, OrderType.LIMIT, Decimal(110),
               account=ACCT, reduce_only=True, oco_id=f"{prefix}-g")
    sl = Order(f"{prefix}-2sl", "bot-a", "AAPL", Side.SELL, Decimal(10), T0, OrderType.STOP, account=ACCT,
               reduce_only=True, stop_price=Decimal(95), oco_id=f"{prefix}-g")
    return [tp, sl]


def test_native_oco_exit_pairs_are_one_request_each_and_a_restart_hands_every_pair_back(lkit: Kit) -> None:
    acks = lkit.oms.submit_linked(_pair("o1"))
    assert [a.venue_order_id for a in acks if a is not None] == ["v-o1-1tp", "v-o1-2sl"]
    lkit.oms.submit_linked(_pair("o2"))
    assert lkit.venue.requests == [["o1-1tp", "o1-2sl"], ["o2-1tp", "o2-2sl"]]
    assert lkit.store.order("o2-2sl").reason == "native oco at fakevenue"
    again = lkit.fresh()
    again.restore(lkit.store.orders(), lkit.store.fills())
    assert lkit.venue.linked == [["o1-1tp", "o1-2sl"], ["o2-1tp", "o2-2sl"]]   # each pair, in its roles


def test_inside_a_batch_a_native_brackets_legs_are_committed_before_the_one_request(lkit: Kit, tmp_path: Any) -> None:
    from tradefleet.orchestrator.store import Store

    other = Store.open(f"sqlite:///{tmp_path / 'tf.db'}")  # another process's view: committed rows only
    seen: list[object] = []
    real = lkit.venue.submit_linked

    def witnessed(group: Any) -> list[VenueOrder]:
        seen.extend(getattr(other.order(o.client_order_id), "status", None) for o in group.orders)
        return real(group)

    lkit.venue.submit_linked = witnessed  # type: ignore[method-assign]
    try:
        with lkit.store.batch():
            lkit.oms.submit_linked(bracket("cb"))
        assert seen == [OrderStatus.INTENT] * 3
    finally:
        other.close()


def test_the_alerts_of_native_brackets_and_combos_name_the_first_order(lkit: Kit) -> None:
    lkit.oms.submit_linked(bracket("an"))
    lkit.oms.submit_linked(bracket("an"))
    assert lkit.alerts[-1].message == "an-e: the bracket is already stored; not sent again"

    def lost(group: Any) -> list[VenueOrder]:
        raise ConnectionError("generated: reset")

    lkit.venue.submit_linked = lost  # type: ignore[method-assign]
    lkit.oms.submit_linked(bracket("al"))
    assert lkit.alerts[-1].kind == "order_unknown" and lkit.alerts[-1].message == "al-e (bracket): generated: reset"
    lkit.oms.halt(ACCT, "generated stop")
    lkit.oms.submit_combo([order("ah1", "1"), order("ah2", "1")], Decimal(1), None)
    assert lkit.alerts[-1].message == f"combo ah1: account {ACCT} is halted: generated stop"


def test_a_combos_legs_store_the_venues_ids_and_its_reason(lkit: Kit) -> None:
    real = lkit.venue.submit_combo

    def with_reason(orders: list[Order], units: Decimal, net_limit: Decimal | None) -> list[VenueOrder]:
        return [replace(a, reason="generated: leg of combo 7") for a in real(orders, units, net_limit)]

    lkit.venue.submit_combo = with_reason  # type: ignore[method-assign]
    lkit.oms.submit_combo([order("kv1", "1"), order("kv2", "1", instrument="MSFT", side=Side.SELL)], Decimal(1), None)
    for cid in ("kv1", "kv2"):
        rec = lkit.store.order(cid)
        assert rec.venue_order_id == f"v-{cid}" and rec.reason == "generated: leg of combo 7"


# -- what goes through the emulator ----------------------------------------------------------------

def test_a_limit_the_venue_lacks_is_held_here_not_sent(kit: Kit) -> None:
    kit.venue.native_types = frozenset({OrderType.MARKET, OrderType.STOP})  # type: ignore[attr-defined]
    kit.oms = kit.fresh()
    lim = Order("lm1", "bot-a", "AAPL", Side.BUY, Decimal(10), T0, OrderType.LIMIT, Decimal(95), account=ACCT)
    assert kit.oms.submit(lim) is not None
    assert kit.venue.sent == [] and "lm1" in kit.oms.emulator.held
    assert kit.store.order("lm1").reason == "emulated: limit held by the order manager"


def test_a_market_child_with_only_a_parent_waits_for_the_parents_fill(kit: Kit) -> None:
    kit.oms.submit(order("pc-e", "10"))
    child = Order("pc-x", "bot-a", "AAPL", Side.SELL, Decimal(10), T0, account=ACCT, reduce_only=True,
                  parent_id="pc-e")
    kit.oms.submit(child)
    assert [o.client_order_id for o in kit.venue.sent] == ["pc-e"]
    kit.fill("pc-e", "t1", "10", "100")
    kit.oms.collect_fills()
    assert [o.client_order_id for o in kit.venue.sent] == ["pc-e", "pc-x"]


def _record_cancels(k: Kit) -> list[str]:
    asked: list[str] = []
    real = k.venue.cancel

    def cancel(cid: str) -> VenueOrder:
        asked.append(cid)
        return real(cid)

    k.venue.cancel = cancel  # type: ignore[method-assign]
    return asked


def test_at_a_venue_linking_orders_itself_the_manager_keeps_no_oco_of_its_own(kit: Kit) -> None:
    kit.venue.native_links = True  # type: ignore[attr-defined]  # like the paper venue
    kit.oms = kit.fresh()
    asked = _record_cancels(kit)
    kit.oms.submit_linked(bracket("nl"))
    assert [o.client_order_id for o in kit.venue.sent] == ["nl-e", "nl-tp", "nl-sl"]
    assert kit.oms.emulator.oco == {}
    kit.fill("nl-e", "t1", "10", "100")
    kit.fill("nl-tp", "t2", "10", "110", side=Side.SELL)
    kit.oms.collect_fills()
    assert asked == []                                      # the venue cancels its own sibling


def test_a_venue_held_oco_pair_is_forgotten_by_the_emulator(store: Any) -> None:
    k = _oco_kit(store)
    asked = _record_cancels(k)
    k.oms.submit_linked(bracket("fo"))
    k.fill("fo-e", "t1", "10", "100")
    k.oms.collect_fills()
    assert k.venue.requests == [["fo-tp", "fo-sl"]] and k.oms.emulator.oco == {}
    k.fill("fo-tp", "t2", "10", "110", side=Side.SELL)
    k.oms.collect_fills()
    assert asked == []                                      # the venue's OCO cancels the stop, not the manager


def test_a_take_profit_fill_cancels_the_held_stop_here_saying_why(kit: Kit) -> None:
    _no_stops(kit)
    kit.oms.submit_linked(bracket("hs"))
    kit.fill("hs-e", "t1", "10", "100")
    kit.oms.collect_fills()
    kit.fill("hs-tp", "t2", "10", "110", side=Side.SELL)
    kit.oms.collect_fills()
    rec = kit.store.order("hs-sl")
    assert rec.status is OrderStatus.CANCELED and rec.reason == "oco: hs-tp filled"


@pytest.mark.parametrize("filled", ["zz", "aa"])  # its ids sorting after, then before, those still waiting
def test_a_sibling_at_the_venue_is_canceled_there_while_other_brackets_exits_wait(kit: Kit, filled: str) -> None:
    asked = _record_cancels(kit)
    kit.oms.submit_linked(bracket(filled))                  # its exits go out one by one once its entry fills
    kit.oms.submit_linked(bracket("bb"))                    # its exits keep waiting
    kit.fill(f"{filled}-e", "t1", "10", "100")
    kit.oms.collect_fills()
    kit.fill(f"{filled}-tp", "t2", "10", "110", side=Side.SELL)
    kit.oms.collect_fills()
    assert asked == [f"{filled}-sl"] and kit.store.order(f"{filled}-sl").status is OrderStatus.CANCELED
    assert kit.store.order("bb-sl").status is OrderStatus.ACCEPTED


def test_canceling_an_exit_the_venue_holds_asks_the_venue_even_with_orders_emulated_here(kit: Kit) -> None:
    asked = _record_cancels(kit)
    kit.oms.submit_linked(bracket("ce"))
    kit.fill("ce-e", "t1", "10", "100")
    kit.oms.collect_fills()                                 # both exits sent, their OCO link kept here
    assert kit.oms.emulator and kit.store.order("ce-sl").venue_order_id == "v-ce-sl"
    assert kit.oms.cancel("ce-sl") is True
    assert asked == ["ce-sl"]


def test_a_restart_watches_no_expiry_of_a_day_order_the_venue_holds_itself(kit: Kit) -> None:
    from tradefleet.orchestrator.domain import TimeInForce

    day = Order("dn1", "bot-a", "AAPL", Side.BUY, Decimal(5), T0, OrderType.LIMIT, Decimal(90), account=ACCT,
                time_in_force=TimeInForce.DAY)
    kit.oms.submit(day)
    assert kit.venue.sent[-1].time_in_force is TimeInForce.DAY
    again = kit.fresh()
    again.restore(kit.store.orders(), kit.store.fills())
    assert again.emulator.expiries == {}


# -- fill intake details ---------------------------------------------------------------------------

def test_a_changed_fill_report_holds_nothing_after_a_restart_either(kit: Kit) -> None:
    kit.oms.submit(order("cr1", "10"))
    kit.fill("cr1", "t1", "4", "100")
    kit.oms.collect_fills()
    kit.venue.fills = []
    kit.fill("cr1", "t1", "5", "100")
    kit.oms.collect_fills()
    again = kit.fresh()
    again.collect_fills()
    assert again.holds == {} and again.submit(order("cr2", "1")) is not None


def test_a_fill_carrying_a_client_id_we_never_stored_is_booked_under_the_adopted_external_order(kit: Kit) -> None:
    kit.venue.fills.append(Fill("zz-generated", FakeVenue.name, "v-odd", "t1", "AAPL", Side.BUY, Decimal(2),
                                Decimal(20), Decimal(0), T0, T0))
    kit.oms.collect_fills()
    assert [f.client_order_id for f in kit.store.fills("ext-fakevenue-v-odd")] == ["ext-fakevenue-v-odd"]


def test_an_external_orders_later_fill_after_a_restart_is_booked_without_an_overfill_check(kit: Kit) -> None:
    def ext(trade: str, qty: str) -> None:
        kit.venue.fills.append(Fill("", FakeVenue.name, "v-manual", trade, "AAPL", Side.BUY, Decimal(qty),
                                    Decimal(20), Decimal(0), T0, T0))

    ext("t1", "3")
    kit.oms.collect_fills()
    ext("t2", "2")                                          # more than the adopted size: the venue's is the truth
    assert [f.trade_id for f in kit.fresh().collect_fills()] == ["t2"]
    rec = kit.store.order("ext-fakevenue-v-manual")
    assert rec.status is OrderStatus.EXTERNAL and rec.filled_quantity == Decimal(5) and rec.avg_price == Decimal(20)
    assert kit.booked == [] and "fill_conflict" not in kit.kinds()


def test_a_single_fill_past_the_orders_quantity_is_a_conflict_with_its_exact_alert(kit: Kit) -> None:
    kit.oms.submit(order("sf1", "10"))
    kit.fill("sf1", "t1", "11", "100")
    assert kit.oms.collect_fills() == []
    assert kit.store.order("sf1").filled_quantity == 0
    assert kit.alerts[-1].message == ("fill t1 of 11 would take order sf1 past its quantity 10 (filled 0); not booked, "
                                      "entries in AAPL held until reconciliation")


def test_a_reconciliation_adjustment_on_a_fresh_manager_adds_to_the_stored_fills(kit: Kit) -> None:
    kit.oms.submit(order("ba1", "10"))
    kit.fill("ba1", "t1", "4", "100")
    kit.oms.collect_fills()
    again = kit.fresh()
    adj = Fill("ba1", FakeVenue.name, "v-ba1", "adj-generated", "AAPL", Side.BUY, Decimal(2), Decimal(106), Decimal(0),
               T0, T0)
    again.book_adjustment(kit.store.order("ba1").order, adj)
    rec = kit.store.order("ba1")
    assert rec.filled_quantity == Decimal(6) and rec.avg_price == Decimal(102)


def test_a_late_fill_of_a_canceled_order_is_still_handed_to_the_book(kit: Kit) -> None:
    kit.oms.submit(order("lc1", "10"))
    kit.store.update_order("lc1", OrderStatus.CANCELED, ts_ns=T0)
    kit.fill("lc1", "t1", "3", "50")
    kit.oms.collect_fills()
    assert kit.store.order("lc1").status is OrderStatus.CANCELED and kit.booked == [("lc1", "t1")]


def test_a_fill_without_a_client_id_never_books_to_an_earlier_sorting_accounts_order(kit: Kit) -> None:
    other = Order("y2", "bot-a", "AAPL", Side.BUY, Decimal(3), T0, account="aa")
    kit.store.record_order_intent(other)
    kit.store.update_order("y2", OrderStatus.ACCEPTED, venue_order_id="v-shared2", ts_ns=T0)
    kit.venue.fills.append(Fill("", FakeVenue.name, "v-shared2", "t1", "AAPL", Side.BUY, Decimal(3), Decimal(20),
                                Decimal(0), T0, T0))
    kit.oms.collect_fills()
    assert kit.store.order("y2").filled_quantity == 0
    assert kit.store.order("ext-fakevenue-v-shared2").avg_price == Decimal(20)


def test_an_alert_cannot_be_changed_by_one_of_its_subscribers(kit: Kit) -> None:
    import dataclasses

    kit.oms.halt(ACCT, "generated")
    with pytest.raises(dataclasses.FrozenInstanceError):
        kit.alerts[0].message = "changed"  # type: ignore[misc]


def test_a_restarted_manager_keeps_native_brackets_out_of_a_held_instrument(lkit: Kit) -> None:
    lkit.oms.submit(order("rh0", "1"))
    lkit.fill("rh0", "t1", "1", "100")
    lkit.fill("rh0", "t2", "1", "100")                     # an overfill: entries in AAPL held, the hold stored
    lkit.oms.collect_fills()
    again = lkit.fresh()                                   # its first call: the bracket
    assert again.submit_linked(bracket("rh")) == [None, None, None]
    assert lkit.kinds()[-1] == "entry_held" and lkit.venue.requests == [] and lkit.store.order("rh-e") is None


def test_a_reconciliation_adjustment_past_the_orders_quantity_leaves_it_filled(kit: Kit) -> None:
    kit.oms.submit(order("bp1", "10"))
    kit.fill("bp1", "t1", "10", "100")
    kit.oms.collect_fills()
    adj = Fill("bp1", FakeVenue.name, "v-bp1", "adj-generated", "AAPL", Side.BUY, Decimal(1), Decimal(100), Decimal(0),
               T0, T0)
    kit.oms.book_adjustment(kit.store.order("bp1").order, adj)   # the venue says 11 filled
    rec = kit.store.order("bp1")
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == Decimal(11)


@pytest.mark.parametrize("bot", ["bot-a", "trend"])  # names sorting before and after "external"
def test_a_late_fill_completing_a_canceled_order_leaves_it_filled(kit: Kit, bot: str) -> None:
    kit.oms.submit(order("lf1", "10", bot=bot))
    kit.store.update_order("lf1", OrderStatus.CANCELED, ts_ns=T0)
    kit.fill("lf1", "t1", "10", "50")
    kit.oms.collect_fills()
    assert kit.store.order("lf1").status is OrderStatus.FILLED


def test_a_cancel_the_venue_has_only_accepted_is_not_stored_canceled(kit: Kit) -> None:
    kit.oms.submit(order("cp1", "10"))
    kit.venue.cancel = lambda cid: _vo(cid, OrderStatus.ACCEPTED)  # type: ignore[method-assign]  # pending cancel
    assert kit.oms.cancel("cp1") is False
    assert kit.store.order("cp1").status is OrderStatus.ACCEPTED


def test_an_emulated_day_order_is_canceled_by_the_first_bar_of_the_next_day(kit: Kit) -> None:
    from tradefleet.orchestrator.domain import TimeInForce

    kit.venue.native_tif = frozenset({TimeInForce.GTC})  # type: ignore[attr-defined]
    kit.oms = kit.fresh()
    asked = _record_cancels(kit)
    day = Order("de1", "bot-a", "AAPL", Side.BUY, Decimal(5), T0, OrderType.LIMIT, Decimal(90), account=ACCT,
                time_in_force=TimeInForce.DAY)
    kit.oms.submit(day)
    _bar(kit, kit.oms, 1, low=96.0)                         # the same day: nothing
    assert asked == []
    _bar(kit, kit.oms, 24 * 60, low=96.0)                   # a day later
    assert asked == ["de1"] and kit.store.order("de1").status is OrderStatus.CANCELED


def test_a_fill_without_a_client_id_books_only_to_the_exact_venue_id(kit: Kit) -> None:
    kit.oms.submit(order("ex1", "5"))                       # venue id v-ex1, sorting after the fill's
    kit.venue.fills.append(Fill("", FakeVenue.name, "v-a-manual", "t1", "AAPL", Side.BUY, Decimal(1), Decimal(20),
                                Decimal(0), T0, T0))
    kit.fresh().collect_fills()                             # no in-memory index: the stored venue ids are searched
    assert kit.store.order("ex1").filled_quantity == 0
    assert kit.store.order("ext-fakevenue-v-a-manual").filled_quantity == Decimal(1)


def test_an_in_process_venues_native_bracket_rides_the_current_batch(store: Any, tmp_path: Any) -> None:
    from tradefleet.orchestrator.store import Store

    k = Kit(store)
    k.venue = LinkingVenue()
    oms = OrderManager(store, {ACCT: k.venue}, k.clock, k.bus, in_process_accounts=frozenset({ACCT}))
    other = Store.open(f"sqlite:///{tmp_path / 'tf.db'}")
    seen: list[object] = []
    real = k.venue.submit_linked

    def witnessed(group: Any) -> list[VenueOrder]:
        seen.extend(other.order(o.client_order_id) for o in group.orders)
        return real(group)

    k.venue.submit_linked = witnessed  # type: ignore[method-assign]
    try:
        with store.batch():
            oms.submit_linked(bracket("ip"))
        assert seen == [None, None, None]                  # nothing committed mid-batch: the venue dies with us
        assert other.order("ip-e") is not None             # the batch commits them
    finally:
        other.close()


def test_a_stop_entry_held_here_carries_no_bracket_reason_of_its_children(kit: Kit) -> None:
    _no_stops(kit)
    legs = bracket("se")
    legs[0] = replace(legs[0], order_type=OrderType.STOP, stop_price=Decimal(105))
    kit.oms.submit_linked(legs)
    assert kit.store.order("se-e").reason == "emulated: stop held by the order manager"
    assert kit.store.order("se-tp").reason == "emulated: waiting for se-e to fill (fakevenue holds no bracket orders)"


def test_an_oco_pair_at_a_venue_without_oco_goes_out_as_two_orders_linked_here(kit: Kit) -> None:
    acks = kit.oms.submit_linked(_pair("op"))
    assert [a.venue_order_id for a in acks if a is not None] == ["v-op-1tp", "v-op-2sl"]
    assert kit.oms.emulator.oco == {"op-g": {"op-1tp", "op-2sl"}}


def test_a_restart_at_a_venue_linking_orders_itself_keeps_no_oco_of_its_own(kit: Kit) -> None:
    kit.venue.native_links = True  # type: ignore[attr-defined]  # like the paper venue
    kit.oms = kit.fresh()
    kit.oms.submit_linked(bracket("rl"))
    again = kit.fresh()
    again.restore(kit.store.orders(), kit.store.fills())
    assert again.emulator.oco == {}
