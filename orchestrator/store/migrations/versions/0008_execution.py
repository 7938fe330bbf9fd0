"""Execution layer: parents and children of execution algorithms (with the market each
child was sent into, for transaction-cost analysis), impact-model calibrations and the
ensemble's source-weight changes (owned by orchestrator/execution/exec_store.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exec_parents",
        sa.Column("parent_id", sa.String(96), primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("bot", sa.String(128), nullable=False),
        sa.Column("instrument", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", sa.String(48), nullable=False),
        sa.Column("algorithm", sa.String(48), nullable=False),
        sa.Column("order_json", sa.Text(), nullable=False),
        sa.Column("state_json", sa.Text(), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("arrival", sa.Float(), nullable=False),
        sa.Column("done_ns", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_exec_parents_open", "exec_parents", ["account", "done_ns"])
    op.create_table(
        "exec_children",
        sa.Column("child_id", sa.String(112), primary_key=True),
        sa.Column("parent_id", sa.String(96), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("limit_price", sa.String(48), nullable=True),
        sa.Column("mid", sa.Float(), nullable=False),
        sa.Column("touch", sa.Float(), nullable=False),
        sa.Column("market_rate", sa.Float(), nullable=False, server_default="0"),
        sa.Column("interval_s", sa.Float(), nullable=False, server_default="0"),
    )
    op.create_index("ix_exec_children_parent", "exec_children", ["parent_id"])
    op.create_table(
        "impact_calibrations",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("instrument", sa.String(64), nullable=False),
        sa.Column("eta_scale", sa.Float(), nullable=False),
        sa.Column("gamma_scale", sa.Float(), nullable=False),
        sa.Column("slippage_bps", sa.Float(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "source_weights",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("multiplier", sa.Float(), nullable=False),
        sa.Column("ic", sa.Float(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
    )
    op.create_index("ix_source_weights_source", "source_weights", ["source", "ts_ns"])


def downgrade() -> None:
    op.drop_index("ix_source_weights_source", table_name="source_weights")
    op.drop_table("source_weights")
    op.drop_table("impact_calibrations")
    op.drop_index("ix_exec_children_parent", table_name="exec_children")
    op.drop_table("exec_children")
    op.drop_index("ix_exec_parents_open", table_name="exec_parents")
    op.drop_table("exec_parents")
