"""Fixtures on the real local services: Redis (127.0.0.1:6379) and PostgreSQL (db test).

Each test gets its own stream prefix and its own PostgreSQL schema, removed afterwards.
Tests skip with the reason when a server is unreachable, unless ``REQUIRE_SERVICES=1``
(CI), where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

REDIS_URL = os.environ.get("TRADEFLEET_TEST_REDIS", "redis://127.0.0.1:6379/0")
PG_DSN = os.environ.get("TRADEFLEET_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_ADMIN = PG_DSN.replace("+psycopg", "")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(reason + " (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def require_redis() -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) when Redis is unreachable."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _skip_or_fail(f"Redis at {REDIS_URL} unreachable: {exc}")


def require_pg() -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) when PostgreSQL is unreachable."""
    import psycopg

    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.Error as exc:
        _skip_or_fail(f"PostgreSQL at {PG_DSN} unreachable: {str(exc).strip()[:200]}")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A unique stream prefix on the local Redis; its keys are deleted afterwards."""
    require_redis()
    import redis

    p = f"tftest-{uuid.uuid4().hex[:10]}"
    yield p
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{p}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A store URL on a fresh schema of the local PostgreSQL, dropped afterwards."""
    require_pg()
    import psycopg

    schema = f"tf_dist_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')
    try:
        yield f"{PG_DSN}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'drop schema if exists "{schema}" cascade')
