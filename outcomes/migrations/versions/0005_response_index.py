"""response over time: a covering index on response_cell (wave, answered_on, people)

The staff overview sums the kept response cells over every cohort per wave and day; without it
SQLite scans the table and sorts it (about 50 ms at 100,000 participants), with it 13 ms.

Revision ID: 0005_response_index
Revises: 0004_retain
Create Date: 2026-12-03 17:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_response_index"
down_revision: str | None = "0004_retain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_response_cell_wave_day", "response_cell", ["wave", "answered_on", "people"]
    )


def downgrade() -> None:
    op.drop_index("ix_response_cell_wave_day", table_name="response_cell")
