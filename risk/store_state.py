"""The kernel store's ``risk_state`` table (migration 0003) as a
:class:`~tradefleet.risk.persistence.RiskStateStore`.

The table belongs to the risk engine, so it is reached through SQLAlchemy Core rather
than through the store's repository, but on the store's own connections (its
``_writing`` / ``_reading`` context managers): inside a replay's ``store.batch()`` the
writes join the batch transaction instead of waiting on SQLite's write lock, and errors
become :class:`~tradefleet.orchestrator.errors.StoreError` naming the store.

Inside a batch a save is kept in memory (the store's :meth:`deferred` writes) and
written once per commit as one upsert per key, however often the document changed since
the last commit: the replay rewrites the trade counts, outcomes and trading state on
every approval and would otherwise issue one ``UPDATE`` each. A load sees the pending
document first. Other processes read the committed rows, as before; a save from another
thread (outside the batch) is written at once, and the batch's own pending document for
that key, if any, is written after it at the batch's commit. :meth:`save_lazy`
defers building the document too: the risk report is built only when it is committed or
loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

DEFERRED = "risk state"

RISK_STATE = Table(
    "risk_state", MetaData(),
    Column("key", String(128), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
)


class StoreRiskState:
    """Load and save risk-state documents in the kernel store's database."""

    def __init__(self, store: Any, scope: str = "") -> None:
        self.store = store
        self.scope = scope  # a key prefix: each replay run (its own account) keeps its own state

    @classmethod
    def of(cls, store: Any, scope: str = "") -> StoreRiskState:
        """Wrap a kernel :class:`~tradefleet.orchestrator.store.Store`."""
        return cls(store, scope)

    def _conn(self, what: str, write: bool) -> AbstractContextManager[Connection]:
        method = getattr(self.store, "_writing" if write else "_reading", None)
        if method is not None:
            return method(what)  # type: ignore[no-any-return]
        return _engine_conn(self.store.engine, write)

    def _pending(self) -> dict[str, tuple[Any, int]] | None:
        """The store's pending risk-state writes of this thread's batch (None outside one)."""
        deferred = getattr(self.store, "deferred", None)
        return deferred(DEFERRED, _flush) if deferred is not None else None

    def load_risk_state(self, key: str) -> dict[str, Any] | None:
        """Return the document saved under ``key`` (a pending one first), or None."""
        key = self.scope + key
        pending = self._pending()
        if pending is not None and key in pending:
            value, ts_ns = pending[key]
            if callable(value):  # a lazy document asked for before its commit: build it now
                value = value()
                pending[key] = (value, ts_ns)
            return dict(value)
        with self._conn(f"read risk state {key!r}", write=False) as conn:
            row = conn.execute(select(RISK_STATE.c.value).where(RISK_STATE.c.key == key)).first()
        return dict(row[0]) if row is not None else None

    def save_risk_state(self, key: str, value: dict[str, Any], ts_ns: int) -> None:
        """Insert or replace the document under ``key`` (at the next commit inside a batch)."""
        key = self.scope + key
        pending = self._pending()
        if pending is not None:
            pending[key] = (value, ts_ns)
            return
        with self._conn(f"save risk state {key!r}", write=True) as conn:
            _write(conn, [(key, value, ts_ns)])

    def save_lazy(self, key: str, build: Callable[[], dict[str, Any]], ts_ns: int) -> None:
        """Save the document ``build()`` returns, building it only when it is committed
        (inside a batch) or loaded; outside a batch it is built and saved at once."""
        full = self.scope + key
        pending = self._pending()
        if pending is not None:
            pending[full] = (build, ts_ns)
            return
        self.save_risk_state(key, build(), ts_ns)


def _flush(conn: Connection, pending: dict[str, tuple[Any, int]]) -> None:
    """Write the pending documents: one upsert per key, in one executemany."""
    _write(conn, [(key, value() if callable(value) else value, ts_ns) for key, (value, ts_ns) in pending.items()])


def _write(conn: Connection, rows: list[tuple[str, Any, int]]) -> None:
    """Insert or replace ``rows`` of (key, document, ts_ns)."""
    params = [{"key": k, "value": v, "ts_ns": t} for k, v, t in rows]
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        mod = sqlite if name == "sqlite" else postgresql
        stmt = mod.insert(RISK_STATE)
        conn.execute(stmt.on_conflict_do_update(index_elements=[RISK_STATE.c.key],
                                                set_={"value": stmt.excluded.value, "ts_ns": stmt.excluded.ts_ns}),
                     params)
        return
    for p in params:  # other dialects: update, else insert
        done = conn.execute(update(RISK_STATE).where(RISK_STATE.c.key == p["key"])
                            .values(value=p["value"], ts_ns=p["ts_ns"])).rowcount
        if not done:
            conn.execute(RISK_STATE.insert().values(**p))


@contextmanager
def _engine_conn(engine: Any, write: bool) -> Iterator[Connection]:
    if write:
        with engine.begin() as conn:
            yield conn
    else:
        with engine.connect() as conn:
            yield conn
