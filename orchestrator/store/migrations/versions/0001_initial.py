"""Initial schema: bots, signals, gate decisions, orders, fills, positions, equity,
control state and its audit trail, runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# Frozen copies of the column types as of this revision (never import app types here).
MONEY = sa.Numeric(38, 12).with_variant(sa.String(64), "sqlite")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NS = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("strategy", sa.String(256), nullable=False),
        sa.Column("family", sa.String(64), nullable=False),
        sa.Column("asset_class", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_ns", NS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_bots"),
    )
    op.create_table(
        "signals",
        sa.Column("signal_id", sa.String(64), nullable=False),
        sa.Column("bot", sa.String(128), nullable=False),
        sa.Column("instrument", sa.String(128), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("entry", sa.Double(), nullable=False),
        sa.Column("stop", sa.Double(), nullable=True),
        sa.Column("target", sa.Double(), nullable=True),
        sa.Column("ts_event", NS, nullable=False),
        sa.Column("ts_init", NS, nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(400), nullable=False),
        sa.PrimaryKeyConstraint("signal_id", name="pk_signals"),
    )
    op.create_index("ix_signals_bot_ts_event", "signals", ["bot", "ts_event"])
    op.create_table(
        "gate_decisions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("signal_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(256), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("scale", sa.Double(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["signals.signal_id"], ondelete="CASCADE",
                                name="fk_gate_decisions_signal_id_signals"),
        sa.PrimaryKeyConstraint("id", name="pk_gate_decisions"),
        sa.UniqueConstraint("signal_id", "seq", name="uq_gate_decisions_signal_id_seq"),
    )
    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("signal_id", sa.String(64), nullable=True),
        sa.Column("bot", sa.String(128), nullable=False),
        sa.Column("instrument", sa.String(128), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("limit_price", MONEY, nullable=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=True),
        sa.Column("filled_quantity", MONEY, nullable=False),
        sa.Column("avg_price", MONEY, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("ts_init", NS, nullable=False),
        sa.Column("ts_updated", NS, nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["signals.signal_id"], name="fk_orders_signal_id_signals"),
        sa.PrimaryKeyConstraint("client_order_id", name="pk_orders"),
    )
    op.create_index("ix_orders_signal_id", "orders", ["signal_id"])
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_bot", "orders", ["bot"])
    op.create_table(
        "fills",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=False),
        sa.Column("trade_id", sa.String(128), nullable=False),
        sa.Column("instrument", sa.String(128), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("ts_event", NS, nullable=False),
        sa.Column("ts_init", NS, nullable=False),
        sa.ForeignKeyConstraint(["client_order_id"], ["orders.client_order_id"],
                                name="fk_fills_client_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        sa.UniqueConstraint("venue", "venue_order_id", "trade_id",
                            name="uq_fills_venue_venue_order_id_trade_id"),
    )
    op.create_index("ix_fills_client_order_id", "fills", ["client_order_id"])
    op.create_table(
        "positions",
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("bot", sa.String(128), nullable=False),
        sa.Column("instrument", sa.String(128), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("avg_price", MONEY, nullable=False),
        sa.Column("realized_pnl", MONEY, nullable=False),
        sa.Column("ts_updated", NS, nullable=False),
        sa.PrimaryKeyConstraint("account", "bot", "instrument", name="pk_positions"),
    )
    op.create_table(
        "equity",
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("ts", NS, autoincrement=False, nullable=False),
        sa.Column("cash", MONEY, nullable=False),
        sa.Column("positions_value", MONEY, nullable=False),
        sa.Column("equity", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("account", "ts", name="pk_equity"),
    )
    op.create_table(
        "control_state",
        sa.Column("scope", sa.String(160), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("halted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("ts_ns", NS, nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_control_state"),
    )
    op.create_table(
        "control_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(160), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=True),
        sa.Column("halted", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("ts_ns", NS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_control_events"),
    )
    op.create_index("ix_control_events_scope_id", "control_events", ["scope", "id"])
    op.create_table(
        "runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("started_ns", NS, nullable=False),
        sa.Column("ended_ns", NS, nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )


def downgrade() -> None:
    op.drop_table("runs")
    op.drop_index("ix_control_events_scope_id", table_name="control_events")
    op.drop_table("control_events")
    op.drop_table("control_state")
    op.drop_table("equity")
    op.drop_table("positions")
    op.drop_index("ix_fills_client_order_id", table_name="fills")
    op.drop_table("fills")
    op.drop_index("ix_orders_bot", table_name="orders")
    op.drop_index("ix_orders_status", table_name="orders")
    op.drop_index("ix_orders_signal_id", table_name="orders")
    op.drop_table("orders")
    op.drop_table("gate_decisions")
    op.drop_index("ix_signals_bot_ts_event", table_name="signals")
    op.drop_table("signals")
    op.drop_table("bots")
