"""The ``validations`` table, declared on the store's metadata (created by migration 0002)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from tradefleet.orchestrator.store.models import Base

validations = Table(
    "validations",
    Base.metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("bot", String(128), nullable=False),
    Column("ts_ns", BigInteger(), nullable=False),
    Column("passed", Boolean(), nullable=False),
    Column("data", String(256), nullable=False),
    Column("error", Text(), nullable=False),
    Column("result", JSON(), nullable=False),
    Index("ix_validations_bot_ts_ns", "bot", "ts_ns"),
    extend_existing=True,
)
