"""Regime history: the forward-filtered regime of each regime market at each bar close
(owned by ai/regime/store_history.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regime_history",
        sa.Column("market", sa.String(64), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("regime", sa.String(16), nullable=False),
        sa.Column("p_bull", sa.Float(), nullable=False),
        sa.Column("p_bear", sa.Float(), nullable=False),
        sa.Column("p_sideways", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(96), nullable=False),
        sa.PrimaryKeyConstraint("market", "ts_event", name="pk_regime_history"),
    )


def downgrade() -> None:
    op.drop_table("regime_history")
