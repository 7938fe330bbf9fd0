"""Store fixtures: a SQLite file under tmp_path, and (when reachable) a PostgreSQL schema
of its own per test in the local ``test`` database.

PostgreSQL tests skip with a reason when the server is unreachable, unless
``REQUIRE_SERVICES=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.store import Store

PG_DSN = os.environ.get("TRADEFLEET_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_counter = itertools.count()
_pg_state: dict[str, str | None] = {}


def _pg_unreachable_reason() -> str | None:
    if "reason" not in _pg_state:
        import psycopg

        try:
            psycopg.connect(PG_DSN.replace("+psycopg", ""), connect_timeout=3).close()
            _pg_state["reason"] = None
        except psycopg.Error as exc:
            _pg_state["reason"] = f"PostgreSQL at {PG_DSN} unreachable: {str(exc).strip()[:200]}"
    return _pg_state["reason"]


def require_pg() -> None:
    """Skip (or, with REQUIRE_SERVICES=1, fail) when PostgreSQL is unreachable."""
    reason = _pg_unreachable_reason()
    if reason is None:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(reason + " (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A store URL on a fresh schema of the local PostgreSQL; the schema is dropped after."""
    require_pg()
    import psycopg

    schema = f"tf_store_test_{os.getpid()}_{next(_counter)}"
    admin = PG_DSN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{schema}" cascade')
        conn.execute(f'create schema "{schema}"')
    try:
        yield f"{PG_DSN}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop schema if exists "{schema}" cascade')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A store URL of a SQLite file in a folder that does not exist yet."""
    return f"sqlite:///{tmp_path / 'var' / 'tradefleet.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store URL of each backend in turn."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, migrated store on each backend."""
    s = Store.open(store_url)
    try:
        yield s
    finally:
        s.close()
