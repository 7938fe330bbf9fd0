"""Bring a store's schema to the head revision.

Alembic is imported only when a migration is actually needed: opening a store whose
``alembic_version`` already equals :data:`HEAD_REVISION` costs one query. Concurrent
openers are serialised (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory
lock on PostgreSQL) and the migration runs in that one transaction where the database
supports transactional DDL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from tradefleet.orchestrator.store.connect import pg_lock_key

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0011"
"""The newest revision in ``migrations/versions``; bump it with every new migration."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def current_revision(conn: Connection) -> str | None:
    """Return the schema revision stored in ``alembic_version``, or None if there is none."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("select version_num from alembic_version")).scalars().all()
    if len(rows) > 1:
        return ",".join(sorted(rows))
    return rows[0] if rows else None


def alembic_config(conn: Connection) -> Config:
    """An Alembic Config built in code that migrates over ``conn``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def _begin_locked(conn: Connection) -> None:
    """Start the migration transaction holding the database's migration lock."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # waits up to busy_timeout for writers
    elif conn.dialect.name == "postgresql":
        conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": pg_lock_key(conn, "migrate")})


def upgrade_to_head(engine: Engine) -> bool:
    """Migrate ``engine``'s database to :data:`HEAD_REVISION`; return True if it ran Alembic."""
    with engine.connect() as conn:
        if current_revision(conn) == HEAD_REVISION:
            conn.rollback()
            return False
        conn.rollback()
    upgrade(engine, "head")
    return True


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` over the store's own connection."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Run ``alembic downgrade <revision>`` over the store's own connection."""
    _run(engine, "downgrade", revision)


def _run(engine: Engine, direction: str, revision: str) -> None:
    from alembic import command

    with engine.connect() as conn:
        _begin_locked(conn)
        try:
            if direction == "upgrade" and revision == "head" and current_revision(conn) == HEAD_REVISION:
                conn.rollback()  # another process migrated while we waited for the lock
                return
            cfg = alembic_config(conn)
            if direction == "upgrade":
                command.upgrade(cfg, revision)
            else:
                command.downgrade(cfg, revision)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
