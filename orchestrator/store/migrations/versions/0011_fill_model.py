"""fills.model: the fill-model configuration a simulated fill was priced with (the paper
broker's calibration version when a calibration set its slippage; NULL otherwise).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (nullable) works on SQLite without a table copy
    op.add_column("fills", sa.Column("model", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fills") as batch:
        batch.drop_column("model")
