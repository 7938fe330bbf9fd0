"""The leader lease: one writer of risk and execution per account, with a fencing token.

A lease is a row of the ``leases`` table (migration 0004): holder, fencing token and
expiry. :meth:`LeaderLease.acquire` takes a free or expired lease (or, with ``force``, any
lease: an operator deposing a leader) and bumps the token; the holder renews it before
it expires. Time comes from the injected clock, never from the database or the OS.

The token is checked on the order path by :class:`FencedBroker`: in one transaction it
locks the lease row for share, checks that this holder's token is still the current one
and unexpired, records the send in ``fenced_sends`` (primary key: the client order id)
and only then calls the venue. A deposed leader therefore cannot send (its token is
stale), a takeover waits for a send in progress to finish (it needs the row for update),
and no client order id can be sent twice by any number of leaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.errors import OrderRejected, TradefleetError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from tradefleet.orchestrator.domain import Order
    from tradefleet.orchestrator.execution.broker import Broker, VenueOrder

_meta = MetaData()
LEASES = Table(
    "leases", _meta,
    Column("name", String(128), primary_key=True), Column("holder", String(256), nullable=False),
    Column("token", BigInteger, nullable=False), Column("expires_ns", BigInteger, nullable=False),
    Column("acquired_ns", BigInteger, nullable=False), Column("renewed_ns", BigInteger, nullable=False),
)
FENCED = Table(
    "fenced_sends", _meta,
    Column("client_order_id", String(128), primary_key=True), Column("lease", String(128), nullable=False),
    Column("token", BigInteger, nullable=False), Column("holder", String(256), nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
)


class LeaseLost(TradefleetError):
    """This process does not (or no longer) hold the lease."""

    defer_entry = True  # a bus entry whose handler raised this stays pending for the new leader


class FencedOut(OrderRejected):
    """An order was refused before it reached the venue: the sender's lease token is stale."""


@dataclass(frozen=True, slots=True)
class LeaseState:
    """A lease as stored."""

    name: str
    holder: str
    token: int
    expires_ns: int
    acquired_ns: int
    renewed_ns: int

    def live(self, now_ns: int) -> bool:
        return self.expires_ns > now_ns


def read_lease(conn: Connection, name: str, *, lock: str = "") -> LeaseState | None:
    """The stored lease ``name`` (``lock`` = "share" or "update" locks the row on PostgreSQL)."""
    stmt = select(LEASES).where(LEASES.c.name == name)
    if lock:
        stmt = stmt.with_for_update(read=lock == "share")
    row = conn.execute(stmt).mappings().first()
    return LeaseState(**row) if row is not None else None


def lease_status(engine: Engine, name: str | None = None) -> list[LeaseState]:
    """Every stored lease (or just ``name``)."""
    with engine.connect() as conn:
        stmt = select(LEASES).order_by(LEASES.c.name)
        if name is not None:
            stmt = stmt.where(LEASES.c.name == name)
        return [LeaseState(**r) for r in conn.execute(stmt).mappings()]


class LeaderLease:
    """One process's claim on the lease ``name``."""

    def __init__(self, engine: Engine, name: str, holder: str, clock: Clock, ttl_seconds: float) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder
        self.clock = clock
        self.ttl_ns = int(ttl_seconds * NS)
        self.token: int | None = None

    @property
    def held(self) -> bool:
        """True if this process believes it holds the lease (see :meth:`check`)."""
        return self.token is not None

    def acquire(self, *, force: bool = False) -> bool:
        """Take the lease if it is free, expired, already ours, or ``force`` is set."""
        now = self.clock.now_ns()
        try:
            with self.engine.begin() as conn:
                cur = read_lease(conn, self.name, lock="update")
                if cur is None:
                    token = 1
                    conn.execute(insert(LEASES).values(name=self.name, holder=self.holder, token=token,
                                                       expires_ns=now + self.ttl_ns, acquired_ns=now, renewed_ns=now))
                elif cur.holder == self.holder and cur.token == self.token and cur.live(now):
                    token = cur.token
                    conn.execute(update(LEASES).where(LEASES.c.name == self.name)
                                 .values(expires_ns=now + self.ttl_ns, renewed_ns=now))
                elif force or not cur.live(now):
                    token = cur.token + 1
                    conn.execute(update(LEASES).where(LEASES.c.name == self.name)
                                 .values(holder=self.holder, token=token, expires_ns=now + self.ttl_ns,
                                         acquired_ns=now, renewed_ns=now))
                else:
                    self.token = None
                    return False
        except IntegrityError:  # another process inserted the first row at the same moment
            self.token = None
            return False
        self.token = token
        return True

    def renew(self) -> bool:
        """Extend the lease; False (and no longer held) if it was taken or has expired."""
        if self.token is None:
            return False
        now = self.clock.now_ns()
        with self.engine.begin() as conn:
            res = conn.execute(update(LEASES).where(
                LEASES.c.name == self.name, LEASES.c.holder == self.holder, LEASES.c.token == self.token,
                LEASES.c.expires_ns > now).values(expires_ns=now + self.ttl_ns, renewed_ns=now))
        if res.rowcount != 1:
            self.token = None
            return False
        return True

    def release(self) -> None:
        """Give the lease up now (it expires at once; the token stays, so it only grows)."""
        if self.token is None:
            return
        with self.engine.begin() as conn:
            conn.execute(update(LEASES).where(LEASES.c.name == self.name, LEASES.c.token == self.token,
                                              LEASES.c.holder == self.holder).values(expires_ns=0))
        self.token = None

    def check(self, conn: Connection | None = None, *, lock: str = "") -> int:
        """Return the token if this process holds the live lease, else raise LeaseLost."""
        if self.token is None:
            raise LeaseLost(f"lease {self.name}: not held by {self.holder}")
        if conn is None:
            with self.engine.connect() as own:
                return self.check(own)
        now = self.clock.now_ns()
        cur = read_lease(conn, self.name, lock=lock)
        if cur is None or cur.token != self.token or cur.holder != self.holder:
            held_by = f"{cur.holder} (token {cur.token})" if cur else "nobody"
            mine, self.token = self.token, None
            raise LeaseLost(f"lease {self.name}: token {mine} of {self.holder} superseded; held by {held_by}")
        if not cur.live(now):
            raise LeaseLost(f"lease {self.name}: token {self.token} of {self.holder} expired; renew or re-acquire")
        return cur.token


class FencedBroker:
    """A broker whose ``submit`` only reaches the venue while the lease is held.

    Every other method (queries, cancels of our own orders, fills) passes through."""

    def __init__(self, inner: Broker, lease: LeaderLease) -> None:
        self.inner = inner
        self.lease = lease
        self.name = inner.name
        self.refused = 0

    def submit(self, order: Order) -> VenueOrder:
        """Check the fencing token and record the send, then send (all in one transaction)."""
        return self._fenced([order], lambda: self.inner.submit(order))

    def submit_linked(self, group: Any) -> list[VenueOrder]:
        """A native bracket/OCO: every order of it fenced, then the one send."""
        return self._fenced(group.orders, lambda: self.inner.submit_linked(group))  # type: ignore[attr-defined]

    def _fenced(self, orders: list[Order], send: Any) -> Any:
        first = orders[0].client_order_id
        with self.lease.engine.connect() as conn:
            conn.begin()
            try:
                token = self.lease.check(conn, lock="share")
                for order in orders:
                    conn.execute(insert(FENCED).values(client_order_id=order.client_order_id, lease=self.lease.name,
                                                       token=token, holder=self.lease.holder,
                                                       ts_ns=self.lease.clock.now_ns()))
            except LeaseLost as exc:
                conn.rollback()
                self.refused += 1
                raise FencedOut(f"order {first} not sent: {exc}") from None
            except IntegrityError:
                conn.rollback()
                self.refused += 1
                raise FencedOut(f"order {first} not sent: already sent under lease "
                                f"{self.lease.name}") from None
            try:
                return send()
            finally:
                conn.commit()  # the send was attempted: keep its record, whatever the venue said

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)
