"""kept per-participant outcomes: participant_outcome, filled from the records

Revision ID: 0004_live
Revises: 0003
Create Date: 2026-12-03 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004_live'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participant_outcome',
    sa.Column('participant', sa.String(length=64), nullable=False),
    sa.Column('bits', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant'], ['participant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant')
    )
    # the rows of the records already stored, by the indicator engine's own per-participant SQL
    # (the schema it reads is this revision's: participant, cohort, event, survey_response)
    from outcomes.indicators import build_kept_query

    kept = sa.table('participant_outcome', sa.column('participant'), sa.column('bits'))
    op.get_bind().execute(kept.insert().from_select(['participant', 'bits'], build_kept_query()))


def downgrade() -> None:
    op.drop_table('participant_outcome')
