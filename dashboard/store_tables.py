"""The operator tables, declared on the store's metadata (created by migration 0009).

* ``operator_sessions``: server-side dashboard sessions. The cookie holds a random id;
  the table holds its SHA-256, so a copied cookie stops working the moment the session
  is revoked (logout) or the password changes (``pw_tag`` no longer matches).
* ``api_tokens``: REST API tokens, stored only as SHA-256 of the token, with scopes.
* ``operator_audit``: every REST call, login and control action: who, what, answer.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from tradefleet.orchestrator.store.models import Base

_ID = BigInteger().with_variant(Integer(), "sqlite")

operator_sessions = Table(
    "operator_sessions",
    Base.metadata,
    Column("sid_hash", String(64), primary_key=True),
    Column("user", String(128), nullable=False),
    Column("created_ns", BigInteger(), nullable=False),
    Column("revoked_ns", BigInteger(), nullable=True),
    Column("pw_tag", String(64), nullable=False),
    extend_existing=True,
)

api_tokens = Table(
    "api_tokens",
    Base.metadata,
    Column("name", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("scopes", String(64), nullable=False),
    Column("created_ns", BigInteger(), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("revoked_ns", BigInteger(), nullable=True),
    Column("last_used_ns", BigInteger(), nullable=True),
    extend_existing=True,
)

operator_audit = Table(
    "operator_audit",
    Base.metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("ts_ns", BigInteger(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(512), nullable=False),
    Column("status", Integer(), nullable=False),
    Column("addr", String(64), nullable=False),
    Column("detail", Text(), nullable=False),
    Index("ix_operator_audit_actor_id", "actor", "id"),
    extend_existing=True,
)
