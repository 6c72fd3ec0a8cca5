"""diary revision: a counter on each user, raised by every change to a settled day of their diary (insights cache)

Revision ID: 0017_diary_revision
Revises: 0016_diary_rollup
Create Date: 2026-12-07 22:00:00

Insights keep the sums of an agent's whole past days in a per-process cache validated by this counter
(wellbeing/diary/rollup.py, "settled days"). Existing users start at 0, which no cache has seen.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_diary_revision'
down_revision = '0016_diary_rollup'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('diary_revision', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('diary_revision')
