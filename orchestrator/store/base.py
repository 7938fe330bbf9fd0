"""Connection handling shared by the store's reads and writes.

Outside a batch every write is its own committed transaction and every read ends its
transaction at once (so a long-running engine sees a CLI ``pause`` written by another
process). Inside :meth:`StoreBase.batch` writes share one transaction, committed when the
block ends or at :meth:`StoreBase.commit`.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Executable

from tradefleet.orchestrator.errors import StoreError
from tradefleet.orchestrator.store import sql
from tradefleet.orchestrator.store.fast import DIALECTS, RawSql, RawStatement


_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _drop_pools_in_child() -> None:
    # SQLAlchemy's advice for forked children (process-pool workers): never use or close
    # the parent's pooled connections; closing a PostgreSQL one ends the parent's session.
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_drop_pools_in_child)


class StoreBase:
    """Engine, batch transaction and error translation; see :class:`~tradefleet.orchestrator.store.Store`."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where
        self._dialect = engine.dialect.name
        # Batches are per thread: the replay's batch never captures a dashboard thread's
        # reads or writes, and no lock is held while a connection waits on the database.
        self._local = threading.local()
        _engines.add(engine)
        self._stmts: dict[str, Any] = {}
        self._raw = RawSql(self._dialect) if self._dialect in DIALECTS else None
        dbapi = engine.dialect.loaded_dbapi
        # Raw-cursor writes raise the driver's own errors; translate those too.
        self._db_errors: tuple[type[BaseException], ...] = (SQLAlchemyError, dbapi.Error)
        self._integrity_errors: tuple[type[BaseException], ...] = (
            sa_exc.IntegrityError, dbapi.IntegrityError)
        # Order records read inside a batch, by client order id (None: not stored). This
        # store is the engine's only writer of orders: every write of an order forgets its
        # entry and moves the version (a read that raced a write is not kept), and the
        # cache ends with the batch. Dispatch asks for each working order on every fire.
        self._orders_read: dict[str, Any] = {}
        self._orders_version = 0

    @property
    def where(self) -> str:
        """The store's URL (password hidden), as used in messages."""
        return self._where

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def _batch_conn(self) -> Connection | None:
        """This thread's batch connection, if it is inside :meth:`batch`."""
        return getattr(self._local, "conn", None)

    @property
    def in_batch(self) -> bool:
        """True inside :meth:`batch` on the calling thread."""
        return self._batch_conn is not None

    def _fail(self, what: str, exc: BaseException) -> StoreError:
        orig = getattr(exc, "orig", None) or exc
        msg = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return StoreError(f"store {self._where}: {what} failed: {msg}")

    @contextmanager
    def _writing(self, what: str) -> Iterator[Connection]:
        """A connection for a write: the batch's, or a fresh committed transaction."""
        try:
            batch = self._batch_conn
            if batch is not None:
                if not batch.in_transaction():
                    # Raw-cursor writes bypass SQLAlchemy's autobegin; without an explicit
                    # begin, Connection.commit() would not commit them.
                    batch.begin()
                yield batch
            else:
                with self._engine.begin() as conn:
                    yield conn
        except StoreError:
            raise
        except self._db_errors as exc:
            raise self._fail(what, exc) from exc

    @contextmanager
    def _reading(self, what: str) -> Iterator[Connection]:
        """A connection for a read; outside a batch its transaction ends right after."""
        try:
            batch = self._batch_conn
            if batch is not None:
                yield batch
            else:
                with self._engine.connect() as conn:
                    yield conn
                    conn.rollback()
        except StoreError:
            raise
        except self._db_errors as exc:
            raise self._fail(what, exc) from exc

    @contextmanager
    def batch(self) -> Iterator[StoreBase]:
        """Group this thread's writes into one transaction, committed when the block ends.

        Nested batches join the outer one. An exception rolls back everything written
        since the last commit and propagates. Use :meth:`commit` to make the writes so far
        durable without leaving the block (e.g. an order intent before it is sent). Other
        threads are not part of the batch: they read committed data and write on their
        own connections (waiting up to the busy timeout for the batch's write lock on
        SQLite, so commit at least every few seconds). After a StoreError inside a batch,
        leave the block: PostgreSQL aborts the whole transaction on a failed statement.
        """
        if self._batch_conn is not None:
            yield self
            return
        try:
            conn = self._engine.connect()
        except self._db_errors as exc:
            raise self._fail("begin batch", exc) from exc
        self._local.conn = conn
        self._local.deferred = {}
        try:
            yield self
            self._flush_deferred()
            conn.commit()
        except StoreError:
            self._rollback_quietly(conn)
            raise
        except self._db_errors as exc:
            self._rollback_quietly(conn)
            raise self._fail("batch", exc) from exc
        except BaseException:
            self._rollback_quietly(conn)
            raise
        finally:
            self._local.conn = None
            self._local.deferred = {}
            self._orders_read.clear()
            conn.close()

    def deferred(self, name: str, flush: Callable[[Connection, dict[Any, Any]], None]) -> dict[Any, Any] | None:
        """This thread's batch's pending writes of kind ``name``: a dict the caller fills
        (key -> what to write), written by ``flush(conn, pending)`` in the batch's
        transaction just before each commit (:meth:`commit` or the end of the block), then
        emptied. None outside a batch: the caller writes at once.

        A component that rewrites the same row many times per commit (the risk engine's
        state documents) writes it once per commit this way; a rollback drops the pending
        writes with the rest of the batch."""
        pending = getattr(self._local, "deferred", None)
        if pending is None or self._batch_conn is None:
            return None
        hit = pending.get(name)
        if hit is None:
            hit = pending[name] = (flush, {})
        return hit[1]

    def _flush_deferred(self) -> None:
        """Write every pending deferred write into the batch's transaction."""
        pending = getattr(self._local, "deferred", None)
        if not pending:
            return
        for name, (flush, rows) in pending.items():
            if rows:
                with self._writing(f"write {name}") as conn:
                    flush(conn, rows)
                rows.clear()

    @contextmanager
    def _order_written(self, client_order_id: str) -> Iterator[None]:
        """Around a write of one order: its cached record is forgotten once the write is
        done, and a read in flight meanwhile (another thread's) is not kept."""
        try:
            yield
        finally:
            self._orders_version += 1
            self._orders_read.pop(client_order_id, None)

    def _rollback_quietly(self, conn: Connection) -> None:
        try:
            conn.rollback()
        except self._db_errors:
            pass  # the original error matters more; the connection is discarded anyway

    def commit(self) -> None:
        """Commit the current batch's writes so far (no-op outside a batch)."""
        batch = self._batch_conn
        if batch is None:
            return
        self._flush_deferred()
        try:
            batch.commit()
        except self._db_errors as exc:
            raise self._fail("commit", exc) from exc

    # -- statement helpers -------------------------------------------------------------

    def _insert_ignore(self, conn: Connection, table: Table, keys: Sequence[str],
                       values: dict[str, Any]) -> bool:
        """Insert ``values`` unless a row with the same ``keys`` exists; True if inserted."""
        if self._raw is not None:
            raw = self._raw.insert_ignore(table, tuple(values), keys)
            return self._raw_exec(conn, raw, values) == 1
        name = f"ignore:{table.name}:{','.join(keys)}"
        stmt = self._stmts.get(name)
        if stmt is None:
            built = sql.insert_ignore(self._dialect, table, keys)
            stmt = self._stmts[name] = False if built is None else built
        if stmt is False:
            where = [table.c[k] == values[k] for k in keys]
            if conn.execute(select(1).select_from(table).where(*where)).first() is not None:
                return False
            conn.execute(sql.plain_insert(table), values)
            return True
        return conn.execute(stmt, values).first() is not None

    def _upsert(self, conn: Connection, table: Table, keys: Sequence[str],
                values: dict[str, Any]) -> None:
        """Insert ``values`` or overwrite the row with the same ``keys``."""
        if self._raw is not None:
            self._raw_exec(conn, self._raw.upsert(table, tuple(values), keys), values)
            return
        update = [c for c in values if c not in keys]
        name = f"upsert:{table.name}:{','.join(keys)}:{','.join(update)}"
        stmt = self._stmts.get(name)
        if stmt is None:
            built = sql.upsert(self._dialect, table, keys, update)
            stmt = self._stmts[name] = False if built is None else built
        if stmt is False:
            where = [table.c[k] == values[k] for k in keys]
            done = conn.execute(table.update().where(*where).values(
                {c: values[c] for c in update}))
            if done.rowcount == 0:
                conn.execute(sql.plain_insert(table), values)
            return
        conn.execute(stmt, values)

    def _upsert_many(self, conn: Connection, table: Table, keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
        """:meth:`_upsert` each of ``rows`` (all with the same keys), in order: one executemany
        on the raw path."""
        if not rows:
            return
        if self._raw is None:
            for values in rows:
                self._upsert(conn, table, keys, values)
            return
        raw = self._raw.upsert(table, tuple(rows[0]), keys)
        cur = conn.connection.cursor()
        try:
            cur.executemany(raw.sql, [raw.params(r) for r in rows])
        finally:
            cur.close()

    def _insert_many(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` (all with the same keys)."""
        if not rows:
            return
        if self._raw is None:
            conn.execute(sql.plain_insert(table), rows)
            return
        raw = self._raw.insert(table, tuple(rows[0]))
        cur = conn.connection.cursor()
        try:
            cur.executemany(raw.sql, [raw.params(r) for r in rows])
        finally:
            cur.close()

    @staticmethod
    def _raw_exec(conn: Connection, raw: RawStatement, values: dict[str, Any]) -> int:
        """Execute ``raw`` on the connection's DBAPI cursor: the number of rows it wrote."""
        cur = conn.connection.cursor()
        try:
            cur.execute(raw.sql, raw.params(values))
            return cur.rowcount  # type: ignore[no-any-return]
        finally:
            cur.close()

    def _stmt(self, name: str, build: Any) -> Executable:
        stmt = self._stmts.get(name)
        if stmt is None:
            stmt = self._stmts[name] = build()
        return stmt  # type: ignore[no-any-return]
