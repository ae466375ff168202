"""kept per-participant outcomes and their cells: participant_outcome, outcome_cell,
response_cell, filled from the records

Revision ID: 0004_live
Revises: 0004_announce (written on 0003)
Create Date: 2026-12-03 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# the counts of outcomes.indicators.COUNT_BITS at this revision, in order
COUNTS = (
    'measured', 'counted', 'n_got_job', 'n_measurable_steps', 'n_job_or_steps',
    'n_network_expanded', 'n_internship', 'n_education_started', 'n_interviews_plus_two',
    'n_minor_steps_5_of_8', 'n_cv_improved', 'n_reference_obtained', 'n_workplace_visit',
    'n_learned_education_system', 'n_learned_social_codes', 'n_swedish_improved',
    'n_professional_swedish_improved', 'n_job_contributed', 'of_job_contributed',
    'n_internship_contributed', 'of_internship_contributed', 'n_education_contributed',
    'of_education_contributed', 'n_relevant_job_contributed',
)


revision: str = '0004_live'
down_revision: str | None = '0004_announce'  # written on 0003; chained after 0004_group and 0004_announce
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participant_outcome',
    sa.Column('bits', sa.Integer(), nullable=False),
    sa.Column('cohort', sa.String(length=64), nullable=False),
    sa.Column('gender', sa.String(length=16), nullable=False),
    sa.Column('baseline_on', sa.Date(), nullable=True),
    sa.Column('result_on', sa.Date(), nullable=True),
    sa.Column('participant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['participant'], ['participant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant')
    )
    op.create_table('outcome_cell',
    sa.Column('people', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.Column('cohort', sa.String(length=64), nullable=False),
    sa.Column('gender', sa.String(length=16), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('cohort', 'gender', 'basis')
    )
    op.create_table('response_cell',
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('cohort', sa.String(length=64), nullable=False),
    sa.Column('wave', sa.String(length=16), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('cohort', 'wave', 'answered_on')
    )
    # the rows of the records already stored, by the indicator engine's own per-participant SQL
    # (the schema it reads is this revision's: participant, cohort, event, survey_response)
    from sqlmodel import Session

    from outcomes.kept import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_table('response_cell')
    op.drop_table('outcome_cell')
    op.drop_table('participant_outcome')
