"""Regime history in the kernel store's ``regime_history`` table (migration 0005).

Reached through SQLAlchemy Core on the store's own connections (``_writing`` /
``_reading``), as the risk engine does for its table. Inside a store batch (a replay's
simulated day, a live cycle) the rows wait in the batch's deferred writes and go in as one
multi-row INSERT just before its commit, not one statement per bar; a read in the batch sees
them, a rollback drops them. Rows at or before a market's last stored bar are skipped, so
the past is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import BigInteger, Column, Float, MetaData, String, Table, func, select
from sqlalchemy.engine import Connection

from tradefleet.ai.regime.history import RegimeRow

REGIME_HISTORY = Table(
    "regime_history", MetaData(),
    Column("market", String(64), primary_key=True),
    Column("ts_event", BigInteger, primary_key=True),
    Column("regime", String(16), nullable=False),
    Column("p_bull", Float, nullable=False),
    Column("p_bear", Float, nullable=False),
    Column("p_sideways", Float, nullable=False),
    Column("model_version", String(96), nullable=False),
)


class StoreRegimeHistory:
    """A :class:`~tradefleet.ai.regime.history.RegimeHistory` in the kernel store."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._last: dict[str, int] = {}

    def _conn(self, what: str, write: bool) -> AbstractContextManager[Connection]:
        method = getattr(self.store, "_writing" if write else "_reading", None)
        if method is not None:
            return method(what)  # type: ignore[no-any-return]
        return _engine_conn(self.store.engine, write)

    def _last_ts(self, market: str) -> int:
        if market not in self._last:
            with self._conn(f"read regime history of {market}", write=False) as conn:
                last = conn.execute(select(func.max(REGIME_HISTORY.c.ts_event))
                                    .where(REGIME_HISTORY.c.market == market)).scalar()
            self._last[market] = int(last) if last is not None else -1
        return self._last[market]

    def _pending(self) -> dict[tuple[str, int], dict[str, Any]] | None:
        """This thread's batch's rows not yet written, keyed (market, ts_event); None outside one."""
        deferred = getattr(self.store, "deferred", None)
        return deferred(DEFERRED, self._flush) if deferred is not None else None

    def _insert(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        insert_many = getattr(self.store, "_insert_many", None)
        if insert_many is not None:  # the kernel store: one executemany on the DBAPI cursor
            insert_many(conn, REGIME_HISTORY, rows)
        else:
            conn.execute(REGIME_HISTORY.insert(), rows)

    def _flush(self, conn: Connection, pending: dict[tuple[str, int], dict[str, Any]]) -> None:
        """Write a batch's pending rows in one executemany INSERT, in bar order."""
        self._insert(conn, [pending[k] for k in sorted(pending)])

    def append(self, rows: list[RegimeRow]) -> None:
        fresh: list[dict[str, Any]] = []
        for r in rows:
            if r.ts_event > self._last_ts(r.market):
                fresh.append(r.as_dict())
                self._last[r.market] = r.ts_event
        if not fresh:
            return
        pending = self._pending()
        if pending is not None:
            pending.update(((row["market"], row["ts_event"]), row) for row in fresh)
            return
        with self._conn("append regime history", write=True) as conn:
            self._insert(conn, fresh)

    def read(self, market: str) -> list[RegimeRow]:
        with self._conn(f"read regime history of {market}", write=False) as conn:
            rows = [dict(r) for r in conn.execute(select(REGIME_HISTORY).where(REGIME_HISTORY.c.market == market)
                                                  .order_by(REGIME_HISTORY.c.ts_event)).mappings().all()]
        pending = self._pending()
        if pending:
            rows += sorted((row for (m, _), row in pending.items() if m == market), key=lambda row: row["ts_event"])
        return [RegimeRow(**r) for r in rows]


DEFERRED = "regime history"


@contextmanager
def _engine_conn(engine: Any, write: bool) -> Iterator[Connection]:
    if write:
        with engine.begin() as conn:
            yield conn
    else:
        with engine.connect() as conn:
            yield conn
