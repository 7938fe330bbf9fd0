"""SQLAlchemy 2.0 models of everything tradefleet records.

Timestamps are BigInteger nanoseconds since the epoch, UTC (the domain's ``ts_*``);
money and quantities are :class:`~tradefleet.orchestrator.store.types.ExactDecimal`; enums are
stored as their string values. The schema is created and changed only by the Alembic
migrations in ``orchestrator/store/migrations``; a test checks that they match.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tradefleet.orchestrator.store.types import ExactDecimal

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Autoincrement ids: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (so migrations can refer to them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {int: BigInteger(), Decimal: ExactDecimal(), dict[str, Any]: JSON()}


class BotRow(Base):
    """A registered bot and its health."""

    __tablename__ = "bots"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(256))
    family: Mapped[str] = mapped_column(String(64))
    asset_class: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    updated_ns: Mapped[int]


class SignalRow(Base):
    """A bot's signal and what the pipeline made of it."""

    __tablename__ = "signals"
    __table_args__ = (Index(None, "bot", "ts_event"), Index(None, "ts_event"))
    signal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bot: Mapped[str] = mapped_column(String(128))
    instrument: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Double)
    entry: Mapped[float] = mapped_column(Double)
    stop: Mapped[float | None] = mapped_column(Double)
    target: Mapped[float | None] = mapped_column(Double)
    ts_event: Mapped[int]
    ts_init: Mapped[int]
    meta: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(400))


class GateDecisionRow(Base):
    """One gate's decision on one signal; ``seq`` is the gate's place in the chain."""

    __tablename__ = "gate_decisions"
    __table_args__ = (UniqueConstraint("signal_id", "seq"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    signal_id: Mapped[str] = mapped_column(String(64), ForeignKey("signals.signal_id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    gate: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(256))
    detail: Mapped[str] = mapped_column(Text)
    scale: Mapped[float] = mapped_column(Double)
    data: Mapped[dict[str, Any]]


class OrderRow(Base):
    """An order, written as INTENT before it is sent and updated as the venue reports."""

    __tablename__ = "orders"
    __table_args__ = (Index(None, "status"), Index(None, "bot"))
    client_order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    signal_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("signals.signal_id"), index=True)
    bot: Mapped[str] = mapped_column(String(128))
    instrument: Mapped[str] = mapped_column(String(128))
    account: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal]
    order_type: Mapped[str] = mapped_column(String(16))
    limit_price: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(24))
    venue_order_id: Mapped[str | None] = mapped_column(String(128))
    filled_quantity: Mapped[Decimal]
    avg_price: Mapped[Decimal | None]
    reason: Mapped[str | None] = mapped_column(Text)
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    ts_init: Mapped[int]
    ts_updated: Mapped[int]
    # order types, time in force and links (migration 0006)
    stop_price: Mapped[Decimal | None]
    trail_amount: Mapped[Decimal | None]
    trail_percent: Mapped[Decimal | None]
    time_in_force: Mapped[str] = mapped_column(String(8), server_default="gtc")
    expire_ns: Mapped[int | None]
    post_only: Mapped[bool] = mapped_column(Boolean, server_default=false())
    parent_id: Mapped[str | None] = mapped_column(String(128), index=True)
    oco_id: Mapped[str | None] = mapped_column(String(128), index=True)


class FillRow(Base):
    """One execution; the venue's (venue, venue_order_id, trade_id) is unique."""

    __tablename__ = "fills"
    __table_args__ = (UniqueConstraint("venue", "venue_order_id", "trade_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("orders.client_order_id"), index=True)
    venue: Mapped[str] = mapped_column(String(64))
    venue_order_id: Mapped[str] = mapped_column(String(128))
    trade_id: Mapped[str] = mapped_column(String(128))
    instrument: Mapped[str] = mapped_column(String(128))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    fee: Mapped[Decimal]
    ts_event: Mapped[int]
    ts_init: Mapped[int]
    model: Mapped[str | None] = mapped_column(String(128))


class PositionRow(Base):
    """A bot's current holding in one instrument, in one account."""

    __tablename__ = "positions"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    bot: Mapped[str] = mapped_column(String(128), primary_key=True)
    instrument: Mapped[str] = mapped_column(String(128), primary_key=True)
    quantity: Mapped[Decimal]
    avg_price: Mapped[Decimal]
    realized_pnl: Mapped[Decimal]
    ts_updated: Mapped[int]


class EquityRow(Base):
    """One equity snapshot of one account."""

    __tablename__ = "equity"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cash: Mapped[Decimal]
    positions_value: Mapped[Decimal]
    equity: Mapped[Decimal]


class ControlStateRow(Base):
    """Pause/halt state of the fleet, a bot or an account; survives restarts."""

    __tablename__ = "control_state"
    scope: Mapped[str] = mapped_column(String(160), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean)
    halted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    ts_ns: Mapped[int]


class ControlEventRow(Base):
    """Append-only audit of every control change: who asked for what, when and why."""

    __tablename__ = "control_events"
    __table_args__ = (Index(None, "scope", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(160))
    paused: Mapped[bool | None] = mapped_column(Boolean)
    halted: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    ts_ns: Mapped[int]


class RunRow(Base):
    """One ``tradefleet run``: mode, start, end, final status and summary."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))
    started_ns: Mapped[int]
    ended_ns: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(32))
    summary: Mapped[dict[str, Any]]


TABLES = Base.metadata.tables
