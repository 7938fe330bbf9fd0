"""Leader leases and the fencing log (owned by orchestrator/distributed/lease.py).

``leases``: one row per lease (one per account): the holder, its fencing token (bumped
at every change of holder) and when it expires. ``fenced_sends``: every order a leader
was allowed to send, with the token it held; the primary key makes a second send of one
client order id impossible, whichever leader tries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("holder", sa.String(256), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expires_ns", sa.BigInteger(), nullable=False),
        sa.Column("acquired_ns", sa.BigInteger(), nullable=False),
        sa.Column("renewed_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    op.create_table(
        "fenced_sends",
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("lease", sa.String(128), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(256), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id", name="pk_fenced_sends"),
    )
    op.create_index("ix_fenced_sends_lease_token", "fenced_sends", ["lease", "token"])


def downgrade() -> None:
    op.drop_index("ix_fenced_sends_lease_token", table_name="fenced_sends")
    op.drop_table("fenced_sends")
    op.drop_table("leases")
