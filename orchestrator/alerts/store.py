"""Where alerts are kept: ``alerts`` and ``alert_deliveries`` (migration 0007), on the
kernel store's connections."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import Connection

_META = MetaData()
ALERTS = Table(
    "alerts", _META,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts_ns", BigInteger, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("account", String(128), nullable=False),
    Column("message", Text, nullable=False),
    Column("dedup_key", String(256), nullable=False),
    Column("data", JSON, nullable=False),
)
DELIVERIES = Table(
    "alert_deliveries", _META,
    Column("alert_id", Integer, ForeignKey("alerts.id"), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("status", String(16), nullable=False),  # pending | sent | failed | duplicate | filtered
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("ts_ns", BigInteger, nullable=False),
)


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One alert as stored."""

    id: int
    ts_ns: int
    kind: str
    severity: str
    account: str
    message: str
    dedup_key: str
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def text(self) -> str:
        """The one-line text every channel sends."""
        where = f" [{self.account}]" if self.account else ""
        return f"tradefleet {self.severity.upper()} {self.kind}{where}: {self.message}"


class AlertStore:
    """Alerts and their deliveries in the kernel store's database."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _conn(self, what: str, write: bool) -> AbstractContextManager[Connection]:
        return self.store._writing(what) if write else self.store._reading(what)  # type: ignore[no-any-return]

    def record(self, ts_ns: int, kind: str, severity: str, account: str, message: str, dedup_key: str,
               data: dict[str, Any]) -> StoredAlert:
        """Store an alert (committed before any delivery) and return it."""
        with self._conn(f"record alert {kind}", True) as conn:
            pk = conn.execute(ALERTS.insert().values(ts_ns=ts_ns, kind=kind, severity=severity, account=account,
                                                     message=message, dedup_key=dedup_key,
                                                     data=data)).inserted_primary_key
        commit = getattr(self.store, "commit", None)
        if commit is not None:
            commit()  # inside a batch the alert is durable before it is delivered
        assert pk is not None
        return StoredAlert(int(pk[0]), ts_ns, kind, severity, account, message, dedup_key, data)

    def seen_since(self, dedup_key: str, since_ns: int, before_id: int) -> bool:
        """True if an alert with ``dedup_key`` was stored at or after ``since_ns`` (before ``before_id``)."""
        c = ALERTS.c
        q = select(c.id).where(c.dedup_key == dedup_key, c.ts_ns >= since_ns, c.id < before_id).limit(1)
        with self._conn("read alerts", False) as conn:
            return conn.execute(q).first() is not None

    def set_delivery(self, alert_id: int, channel: str, status: str, attempts: int, error: str | None,
                     ts_ns: int) -> None:
        values = {"status": status, "attempts": attempts, "error": error, "ts_ns": ts_ns}
        with self._conn(f"record delivery {alert_id}/{channel}", True) as conn:
            done = conn.execute(update(DELIVERIES).where(DELIVERIES.c.alert_id == alert_id,
                                                         DELIVERIES.c.channel == channel).values(**values)).rowcount
            if not done:
                conn.execute(DELIVERIES.insert().values(alert_id=alert_id, channel=channel, **values))

    def alerts(self, kind: str | None = None, limit: int | None = None) -> list[StoredAlert]:
        """Stored alerts, oldest first (the last ``limit``)."""
        c = ALERTS.c
        q = select(ALERTS).order_by(c.id.desc())
        if kind is not None:
            q = q.where(c.kind == kind)
        if limit is not None:
            q = q.limit(limit)
        with self._conn("read alerts", False) as conn:
            rows = conn.execute(q).all()
        return [StoredAlert(r.id, r.ts_ns, r.kind, r.severity, r.account, r.message, r.dedup_key, dict(r.data or {}))
                for r in reversed(rows)]

    def deliveries(self, alert_id: int | None = None) -> list[dict[str, Any]]:
        q = select(DELIVERIES).order_by(DELIVERIES.c.alert_id, DELIVERIES.c.channel)
        if alert_id is not None:
            q = q.where(DELIVERIES.c.alert_id == alert_id)
        with self._conn("read alert deliveries", False) as conn:
            return [dict(r._mapping) for r in conn.execute(q).all()]
