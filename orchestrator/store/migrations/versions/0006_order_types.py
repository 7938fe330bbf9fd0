"""Order types, time in force and contingent links on orders: stop and trailing prices,
time in force with a GTD expiry, post-only, and the bracket parent / OCO group ids that
emulated contingent orders are re-armed from after a restart.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

# Frozen copies of the column types as of this revision (never import app types here).
MONEY = sa.Numeric(38, 12).with_variant(sa.String(64), "sqlite")


def upgrade() -> None:
    # plain ADD COLUMN (nullable or with a constant default) works on SQLite without a table copy
    op.add_column("orders", sa.Column("stop_price", MONEY, nullable=True))
    op.add_column("orders", sa.Column("trail_amount", MONEY, nullable=True))
    op.add_column("orders", sa.Column("trail_percent", MONEY, nullable=True))
    op.add_column("orders", sa.Column("time_in_force", sa.String(8), server_default="gtc", nullable=False))
    op.add_column("orders", sa.Column("expire_ns", sa.BigInteger(), nullable=True))
    op.add_column("orders", sa.Column("post_only", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("orders", sa.Column("parent_id", sa.String(128), nullable=True))
    op.add_column("orders", sa.Column("oco_id", sa.String(128), nullable=True))
    op.create_index("ix_orders_parent_id", "orders", ["parent_id"])
    op.create_index("ix_orders_oco_id", "orders", ["oco_id"])


def downgrade() -> None:
    op.drop_index("ix_orders_oco_id", table_name="orders")
    op.drop_index("ix_orders_parent_id", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        for name in ("oco_id", "parent_id", "post_only", "expire_ns", "time_in_force",
                     "trail_percent", "trail_amount", "stop_price"):
            batch.drop_column(name)
