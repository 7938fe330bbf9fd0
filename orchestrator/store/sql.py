"""Dialect-aware statements the repository reuses: insert-or-ignore and upsert.

SQLite and PostgreSQL both speak ``INSERT ... ON CONFLICT``; statements are built once
per store and executed with parameters, so the hot path only binds values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.sql.dml import Insert


def _dialect_insert(dialect: str, table: Table) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    return None


def insert_ignore(dialect: str, table: Table, keys: Sequence[str]) -> Insert | None:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING RETURNING <first key>`` (a row comes back
    only when one was inserted; rowcount is not reliable across drivers), or None if the
    dialect lacks it."""
    stmt = _dialect_insert(dialect, table)
    if stmt is None:
        return None
    return stmt.on_conflict_do_nothing(index_elements=list(keys)).returning(table.c[keys[0]])


def upsert(dialect: str, table: Table, keys: Sequence[str], update: Sequence[str]) -> Insert | None:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET col = excluded.col`` for ``update``."""
    stmt = _dialect_insert(dialect, table)
    if stmt is None:
        return None
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update})


def plain_insert(table: Table) -> Insert:
    """A plain INSERT (the fallback on dialects without ON CONFLICT)."""
    return insert(table)
