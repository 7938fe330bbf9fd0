"""Where alerts are kept: ``alerts`` and ``alert_deliveries`` (migration 0007), on the
kernel store's connections."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (JSON, BigInteger, Column, ForeignKey, Integer, MetaData, String, Table, Text, and_, or_,
                        select, update)
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
    # pending | sending (claimed by one process) | sent | failed | duplicate | filtered
    Column("status", String(16), nullable=False),
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

    def open_delivery(self, alert_id: int, channel: str, status: str, ts_ns: int) -> bool:
        """Create the delivery row if there is none (another process may already own it);
        return whether this call created it. ``INSERT ... ON CONFLICT DO NOTHING`` on
        SQLite and PostgreSQL, so a lost race never aborts a surrounding batch."""
        values = {"alert_id": alert_id, "channel": channel, "status": status, "attempts": 0, "error": None,
                  "ts_ns": ts_ns}
        with self._conn(f"open delivery {alert_id}/{channel}", True) as conn:
            dialect = conn.dialect.name
            if dialect in ("sqlite", "postgresql"):
                from importlib import import_module

                insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
                return bool(conn.execute(insert(DELIVERIES).values(**values).on_conflict_do_nothing()).rowcount)
            d = DELIVERIES.c
            if conn.execute(select(d.status).where(d.alert_id == alert_id, d.channel == channel)).first():
                return False
            conn.execute(DELIVERIES.insert().values(**values))
            return True

    def claim(self, alert_id: int, channel: str, now_ns: int, lease_ns: int) -> bool:
        """Take the delivery of ``alert_id`` to ``channel`` for this process: a pending row,
        one whose claimant stopped before finishing (claimed more than ``lease_ns`` ago),
        or no row yet. Exactly one of several processes racing for it wins."""
        d = DELIVERIES.c
        with self._conn(f"claim delivery {alert_id}/{channel}", True) as conn:
            won = conn.execute(update(DELIVERIES).where(
                d.alert_id == alert_id, d.channel == channel,
                or_(d.status == "pending", and_(d.status == "sending", d.ts_ns < now_ns - lease_ns)))
                .values(status="sending", ts_ns=now_ns)).rowcount
        return bool(won) or self.open_delivery(alert_id, channel, "sending", now_ns)

    def attempts(self, alert_id: int, channel: str) -> int:
        d = DELIVERIES.c
        with self._conn("read alert deliveries", False) as conn:
            n = conn.execute(select(d.attempts).where(d.alert_id == alert_id, d.channel == channel)).scalar()
        return int(n or 0)

    def unsent(self, channel: str, after_id: int, stale_before_ns: int, limit: int = 100) -> list[StoredAlert]:
        """Alerts after ``after_id`` that ``channel`` has not settled (no row, pending, or a
        claim taken before ``stale_before_ns``), oldest first."""
        a, d = ALERTS.c, DELIVERIES.c
        q = (select(ALERTS).select_from(ALERTS.outerjoin(DELIVERIES, and_(d.alert_id == a.id, d.channel == channel)))
             .where(a.id > after_id, or_(d.status.is_(None), d.status == "pending",
                                         and_(d.status == "sending", d.ts_ns < stale_before_ns)))
             .order_by(a.id).limit(limit))
        with self._conn("read alerts", False) as conn:
            rows = conn.execute(q).all()
        return [StoredAlert(r.id, r.ts_ns, r.kind, r.severity, r.account, r.message, r.dedup_key, dict(r.data or {}))
                for r in rows]

    def first_id_since(self, ts_ns: int) -> int:
        """The id before the first alert stored at or after ``ts_ns`` (the last id when none)."""
        a = ALERTS.c
        with self._conn("read alerts", False) as conn:
            first = conn.execute(select(a.id).where(a.ts_ns >= ts_ns).order_by(a.id).limit(1)).scalar()
            if first is None:
                first = (conn.execute(select(a.id).order_by(a.id.desc()).limit(1)).scalar() or 0) + 1
        return int(first) - 1

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
