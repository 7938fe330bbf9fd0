"""The leader lease and the fenced order path on the local PostgreSQL; migration 0004."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import inspect, select

from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.orchestrator.distributed.lease import FENCED, FencedBroker, FencedOut, LeaderLease, LeaseLost, lease_status
from tradefleet.orchestrator.domain import Order, OrderStatus, Side
from tradefleet.orchestrator.execution.broker import VenueOrder
from tradefleet.orchestrator.store import HEAD_REVISION, Store
from tradefleet.orchestrator.store.migrate import current_revision, downgrade, upgrade


class RecordingVenue:
    """A venue that accepts every order and remembers every send."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def submit(self, order: Order) -> VenueOrder:
        self.sent.append(order.client_order_id)
        return VenueOrder(order.client_order_id, f"v{len(self.sent)}", order.instrument, order.side, order.quantity,
                          Decimal(0), OrderStatus.ACCEPTED)


def _order(i: int) -> Order:
    return Order(f"tf-{i}", "b", "SPX", Side.BUY, Decimal(1), i)


def test_migrations_up_and_down_on_postgres(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        eng = store.engine
        assert {"leases", "fenced_sends"} <= set(inspect(eng).get_table_names())
        downgrade(eng, "0003")
        assert not {"leases", "fenced_sends"} & set(inspect(eng).get_table_names())
        with eng.connect() as conn:
            assert current_revision(conn) == "0003"
        downgrade(eng, "base")
        assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
        upgrade(eng, "head")
        with eng.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
        assert {"leases", "fenced_sends", "orders"} <= set(inspect(eng).get_table_names())


def test_lease_acquire_renew_expire_and_takeover(pg_url: str) -> None:
    clock = SimClock(1_000 * NS)
    with Store.open(pg_url) as store:
        a = LeaderLease(store.engine, "leader:paper", "a", clock, ttl_seconds=10)
        b = LeaderLease(store.engine, "leader:paper", "b", clock, ttl_seconds=10)
        assert a.acquire() and a.token == 1
        assert not b.acquire() and b.token is None  # held and live
        clock.advance(8)
        assert a.renew() and a.check() == 1
        clock.advance(8)  # renewed at +8: still live at +16
        assert not b.acquire()
        clock.advance(3)  # a stopped renewing: expired at +18
        with pytest.raises(LeaseLost, match="expired"):
            a.check()
        assert b.acquire() and b.token == 2
        assert not a.renew() and not a.held
        with pytest.raises(LeaseLost, match="not held"):
            a.check()
        assert a.acquire(force=True) and a.token == 3  # an operator deposes b
        with pytest.raises(LeaseLost, match="superseded"):
            b.check()
        a.release()
        assert b.acquire() and b.token == 4
        [state] = lease_status(store.engine)
        assert (state.holder, state.token) == ("b", 4)


def test_deposed_leader_cannot_send_and_no_order_is_sent_twice(pg_url: str) -> None:
    clock = SimClock(1_000 * NS)
    venue = RecordingVenue()
    with Store.open(pg_url) as store:
        a = LeaderLease(store.engine, "leader:paper", "a", clock, ttl_seconds=10)
        b = LeaderLease(store.engine, "leader:paper", "b", clock, ttl_seconds=10)
        fa, fb = FencedBroker(venue, a), FencedBroker(venue, b)
        assert a.acquire()
        fa.submit(_order(1))
        assert b.acquire(force=True)
        with pytest.raises(FencedOut, match="superseded"):
            fa.submit(_order(2))  # the deposed leader still believes it leads
        fb.submit(_order(2))
        with pytest.raises(FencedOut, match="already sent"):
            fb.submit(_order(1))  # sent by the previous leader: never again
        assert venue.sent == ["tf-1", "tf-2"]
        with store.engine.connect() as conn:
            rows = conn.execute(select(FENCED.c.client_order_id, FENCED.c.token).order_by(FENCED.c.ts_ns,
                                                                                          FENCED.c.token)).all()
        assert [tuple(r) for r in rows] == [("tf-1", 1), ("tf-2", 2)]
        assert fa.refused == 1 and fb.refused == 1
