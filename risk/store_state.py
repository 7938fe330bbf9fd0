"""The kernel store's ``risk_state`` table (migration 0003) as a
:class:`~tradefleet.risk.persistence.RiskStateStore`.

The table belongs to the risk engine, so it is reached through SQLAlchemy Core rather
than through the store's repository, but on the store's own connections (its
``_writing`` / ``_reading`` context managers): inside a replay's ``store.batch()`` the
writes join the batch transaction instead of waiting on SQLite's write lock, and errors
become :class:`~tradefleet.orchestrator.errors.StoreError` naming the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, select, update
from sqlalchemy.engine import Connection

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

    def load_risk_state(self, key: str) -> dict[str, Any] | None:
        """Return the document saved under ``key``, or None."""
        key = self.scope + key
        with self._conn(f"read risk state {key!r}", write=False) as conn:
            row = conn.execute(select(RISK_STATE.c.value).where(RISK_STATE.c.key == key)).first()
        return dict(row[0]) if row is not None else None

    def save_risk_state(self, key: str, value: dict[str, Any], ts_ns: int) -> None:
        """Insert or replace the document under ``key``."""
        key = self.scope + key
        with self._conn(f"save risk state {key!r}", write=True) as conn:
            done = conn.execute(update(RISK_STATE).where(RISK_STATE.c.key == key)
                                .values(value=value, ts_ns=ts_ns)).rowcount
            if not done:
                conn.execute(RISK_STATE.insert().values(key=key, value=value, ts_ns=ts_ns))


@contextmanager
def _engine_conn(engine: Any, write: bool) -> Iterator[Connection]:
    if write:
        with engine.begin() as conn:
            yield conn
    else:
        with engine.connect() as conn:
            yield conn
