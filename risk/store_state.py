"""The kernel store's ``risk_state`` table (migration 0003) as a
:class:`~risk.persistence.RiskStateStore`.

The table belongs to the risk engine, so it is reached through SQLAlchemy Core on the
store's engine rather than through the store's repository; every read and write is one
short transaction, and errors become :class:`~orchestrator.errors.StoreError` naming the
key and the store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from orchestrator.errors import StoreError

_META = MetaData()
RISK_STATE = Table(
    "risk_state", _META,
    Column("key", String(128), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
)


class StoreRiskState:
    """Load and save risk-state documents in the store's database."""

    def __init__(self, engine: Engine, where: str = "") -> None:
        self.engine = engine
        self.where = where or str(engine.url)

    @classmethod
    def of(cls, store: Any) -> StoreRiskState:
        """Wrap a kernel :class:`~orchestrator.store.Store` (anything with ``engine``)."""
        return cls(store.engine, getattr(store, "where", ""))

    def load_risk_state(self, key: str) -> dict[str, Any] | None:
        """Return the document saved under ``key``, or None."""
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(RISK_STATE.c.value).where(RISK_STATE.c.key == key)).first()
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.where}: cannot read risk state {key!r}: {_one_line(exc)}") from exc
        return dict(row[0]) if row is not None else None

    def save_risk_state(self, key: str, value: dict[str, Any], ts_ns: int) -> None:
        """Insert or replace the document under ``key``."""
        try:
            with self.engine.begin() as conn:
                done = conn.execute(update(RISK_STATE).where(RISK_STATE.c.key == key)
                                    .values(value=value, ts_ns=ts_ns)).rowcount
                if not done:
                    conn.execute(RISK_STATE.insert().values(key=key, value=value, ts_ns=ts_ns))
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.where}: cannot save risk state {key!r}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:200]
