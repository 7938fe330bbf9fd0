"""Validation results of the live-trading gate (backtest/validation.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "validations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("bot", sa.String(128), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("data", sa.String(256), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_validations"),
    )
    op.create_index("ix_validations_bot_ts_ns", "validations", ["bot", "ts_ns"])


def downgrade() -> None:
    op.drop_index("ix_validations_bot_ts_ns", table_name="validations")
    op.drop_table("validations")
