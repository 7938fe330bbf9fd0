"""Fill conflicts: fill reports the order manager refuses to book as new fills.

Two kinds, both stored here (table ``fill_conflicts``, migration 0007) and alerted:

* **overfill**: the report would take its order past the order's quantity or past the
  venue's reported cumulative filled quantity (a fill replayed under a new id, a buggy
  venue). It is not booked; entries in that instrument are *held* (per account) until the
  next reconciliation compares the store with the venue's position and books the
  difference, if any, so the book ends equal to the venue.
* **changed**: a fill id seen before comes back with other contents. The first one is
  kept; the conflict is alerted and logged (it does not hold entries).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import Connection

from tradefleet.orchestrator.domain import Fill, Side
from tradefleet.orchestrator.store.types import ExactDecimal

FILL_CONFLICTS = Table(
    "fill_conflicts", MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts_ns", BigInteger, nullable=False),
    Column("account", String(128), nullable=False),
    Column("client_order_id", String(128), nullable=False),
    Column("instrument", String(128), nullable=False),
    Column("venue", String(64), nullable=False),
    Column("venue_order_id", String(128), nullable=False),
    Column("trade_id", String(128), nullable=False),
    Column("side", String(8), nullable=False),
    Column("quantity", ExactDecimal(), nullable=False),
    Column("price", ExactDecimal(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("holds", Boolean, nullable=False),
    Column("resolved_ns", BigInteger, nullable=True),
    Column("resolution", Text, nullable=True),
)


@dataclass(frozen=True, slots=True)
class FillConflict:
    """One stored conflict."""

    id: int
    ts_ns: int
    account: str
    fill: Fill
    reason: str
    holds: bool
    resolved_ns: int | None = None
    resolution: str | None = None


class ConflictBook:
    """Reads and writes ``fill_conflicts`` on the kernel store's connections."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _conn(self, what: str, write: bool) -> AbstractContextManager[Connection]:
        return self.store._writing(what) if write else self.store._reading(what)  # type: ignore[no-any-return]

    def record(self, account: str, fill: Fill, reason: str, holds: bool, ts_ns: int) -> int:
        """Store a conflict; return its id."""
        row = {"ts_ns": ts_ns, "account": account, "client_order_id": fill.client_order_id,
               "instrument": fill.instrument, "venue": fill.venue, "venue_order_id": fill.venue_order_id,
               "trade_id": fill.trade_id, "side": fill.side.value, "quantity": fill.quantity, "price": fill.price,
               "reason": reason, "holds": holds, "resolved_ns": None, "resolution": None}
        with self._conn(f"record fill conflict {fill.venue}/{fill.trade_id}", True) as conn:
            pk = conn.execute(FILL_CONFLICTS.insert().values(**row)).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def conflicts(self, account: str | None = None, open_only: bool = False) -> list[FillConflict]:
        """Conflicts oldest first (of one account; only unresolved ones)."""
        c = FILL_CONFLICTS.c
        q = select(FILL_CONFLICTS).order_by(c.id)
        if account is not None:
            q = q.where(c.account == account)
        if open_only:
            q = q.where(c.resolved_ns.is_(None))
        with self._conn("read fill conflicts", False) as conn:
            rows = conn.execute(q).all()
        return list(_records(rows))

    def holds(self, account: str) -> set[str]:
        """Instruments of ``account`` whose entries are held by an unresolved overfill."""
        return {c.fill.instrument for c in self.conflicts(account, open_only=True) if c.holds}

    def resolve(self, conflict_id: int, resolution: str, ts_ns: int) -> None:
        with self._conn(f"resolve fill conflict {conflict_id}", True) as conn:
            conn.execute(update(FILL_CONFLICTS).where(FILL_CONFLICTS.c.id == conflict_id)
                         .values(resolved_ns=ts_ns, resolution=resolution))


def _records(rows: Any) -> Iterator[FillConflict]:
    for r in rows:
        fill = Fill(r.client_order_id, r.venue, r.venue_order_id, r.trade_id, r.instrument, Side(r.side),
                    Decimal(r.quantity), Decimal(r.price), Decimal(0), r.ts_ns, r.ts_ns)
        yield FillConflict(r.id, r.ts_ns, r.account, fill, r.reason, bool(r.holds), r.resolved_ns, r.resolution)
