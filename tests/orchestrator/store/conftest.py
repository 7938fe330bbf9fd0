"""Store fixtures: a migrated SQLite file under tmp_path, and (when reachable) a schema
of the local PostgreSQL ``test`` database, emptied between tests.

PostgreSQL tests skip with a reason when the server is unreachable, unless
``REQUIRE_SERVICES=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tradefleet.orchestrator.store import Store

PG_DSN = os.environ.get("TRADEFLEET_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_ADMIN = PG_DSN.replace("+psycopg", "")
_pg_state: dict[str, str | None] = {}


def _pg_unreachable_reason() -> str | None:
    if "reason" not in _pg_state:
        import psycopg

        try:
            psycopg.connect(PG_ADMIN, connect_timeout=3).close()
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


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    """One schema of the local PostgreSQL for this test session, dropped at the end."""
    require_pg()
    import psycopg

    schema = f"tf_store_test_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{schema}" cascade')
        conn.execute(f'create schema "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'drop schema if exists "{schema}" cascade')


@pytest.fixture
def pg_url(_pg_schema: str) -> Iterator[str]:
    """A store URL on the session's PostgreSQL schema, emptied after each test (faster
    than migrating a fresh schema per test; migrations are tested on their own)."""
    import psycopg

    yield f"{PG_DSN}?options=-csearch_path%3D{_pg_schema}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "select tablename from pg_tables where schemaname = %s and tablename <> 'alembic_version'",
            (_pg_schema,))]
        if tables:
            names = ", ".join(f'"{_pg_schema}"."{t}"' for t in tables)
            conn.execute(f"truncate {names} restart identity cascade")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated once per session, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "tradefleet.db"
    Store.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A store URL of a migrated SQLite file, in a folder of its own."""
    path = tmp_path / "var" / "tradefleet.db"
    path.parent.mkdir()
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run store tests on each backend and, on SQLite, on each write path: raw DBAPI
    cursors ("fast", the default on SQLite and PostgreSQL), SQLAlchemy Core with ON
    CONFLICT ("core"), and the portable fallback other dialects get ("generic":
    select/update then insert). Tests that only need a URL run once per backend."""
    if "variant" not in metafunc.fixturenames:
        return
    variants = ["sqlite", "postgresql"]
    if "store" in metafunc.fixturenames:
        variants = ["sqlite", "sqlite-core", "sqlite-generic", "postgresql"]
    metafunc.parametrize("variant", variants)


@pytest.fixture
def store_url(request: pytest.FixtureRequest, variant: str) -> str:
    """The store URL of the variant's backend."""
    if variant.startswith("sqlite"):
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str, variant: str) -> Iterator[Store]:
    """An open, migrated store on the variant's backend and write path."""
    s = Store.open(store_url)
    if variant.endswith(("-core", "-generic")):
        s._raw = None
    if variant.endswith("-generic"):
        s._dialect = "generic"
    try:
        yield s
    finally:
        s.close()
