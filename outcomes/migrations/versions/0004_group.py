"""group meetings of a cohort: the meeting, and each person's invitation, answer, attendance

(Written on top of 0003; the lead re-chains it after the other 0004 migrations at merge.)

Revision ID: 0004_group
Revises: 0003
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
import outcomes.types
from alembic import op


revision: str = '0004_group'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('group_meeting',
    sa.Column('cohort', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('starts_at', outcomes.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', outcomes.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note', sa.JSON(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', outcomes.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort'], ['cohort.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('group_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_meeting_cohort'), ['cohort'], unique=False)

    op.create_table('group_meeting_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('pair', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('invited_at', outcomes.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('responded_at', outcomes.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('attended_at', outcomes.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended_via', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['group_meeting.id'], ),
    sa.ForeignKeyConstraint(['pair'], ['pair.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'person', name='uq_group_meeting_person')
    )
    with op.batch_alter_table('group_meeting_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_meeting_person_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_meeting_person_person'), ['person'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('group_meeting_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_meeting_person_person'))
        batch_op.drop_index(batch_op.f('ix_group_meeting_person_meeting_id'))

    op.drop_table('group_meeting_person')
    with op.batch_alter_table('group_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_meeting_cohort'))

    op.drop_table('group_meeting')
