"""retention: the daily runs (the day is the claim) and what a removed account was told

(Written on top of 0003; the lead re-chains it after the other branches' 0004 at merge.)

Revision ID: 0004_retain
Revises: 0003
Create Date: 2026-12-03 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
import outcomes.types
from alembic import op


revision: str = "0004_retain"
down_revision: str | None = "0004_live"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_run",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("at", outcomes.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "retention_notice",
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("round_ended_on", sa.Date(), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_key"),
    )


def downgrade() -> None:
    op.drop_table("retention_notice")
    op.drop_table("retention_run")
