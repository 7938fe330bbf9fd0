"""Build the SQLAlchemy engine for a store URL.

SQLite files get their folder created and every connection is set to WAL,
``synchronous=NORMAL``, ``foreign_keys=ON`` and a busy timeout, so a CLI ``pause`` can
write while a run is writing. ``postgresql://`` URLs use psycopg 3.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from tradefleet.orchestrator.errors import StoreError
from tradefleet.orchestrator.store.types import dumps, loads

DEFAULT_URL = "sqlite:///var/tradefleet.db"
BUSY_TIMEOUT_MS = 10_000


def parse_url(url: str) -> URL:
    """Parse a store URL; bare ``postgresql://`` (and ``postgres://``) mean psycopg 3."""
    raw = url.strip()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise StoreError(f"store url {url!r} is not a SQLAlchemy URL: {exc}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: URL) -> str:
    """The URL as shown in messages: password hidden."""
    return url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory and non-SQLite URLs."""
    if url.get_backend_name() != "sqlite":
        return None
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file:") and "mode=memory" in db:
        return None
    return Path(db)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
    finally:
        cur.close()


def _wal(cur: Any, attempts: int = 50) -> None:
    """Switch to WAL (persistent: a no-op once any connection did it). Changing the journal
    mode needs an exclusive lock and SQLite does not wait on the busy handler for it, so a
    second process opening a brand-new store while the first migrates retries briefly."""
    import sqlite3
    import time

    for attempt in range(attempts):
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))  # connection set-up, not a test: the lock clears in ms


def make_engine(url: URL) -> Engine:
    """Create the engine for ``url`` (the SQLite folder is created if missing)."""
    kwargs: dict[str, Any] = {"json_serializer": dumps, "json_deserializer": loads}
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        kwargs["connect_args"] = {"check_same_thread": False}
        if path is None:
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"store {path}: cannot create folder {path.parent}: {exc}") from None
            if path.is_dir():
                raise StoreError(f"store {path}: is a directory, not a SQLite database file")
    elif backend == "postgresql":
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"store {display_url(url)}: cannot create engine: {exc}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def pg_lock_key(conn: Any, purpose: str) -> int:
    """A signed 64-bit advisory-lock key for ``purpose`` in the connection's database and
    schema, so stores in different schemas of one database do not block each other."""
    db, schema = conn.exec_driver_sql("select current_database(), current_schema()").one()
    digest = hashlib.sha1(f"tradefleet:{purpose}:{db}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
