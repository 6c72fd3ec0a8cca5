"""privacy accounting per person: person ledger, public roster of releases, expiry of risk snapshots

Revision ID: 0010_privacy
Revises: 0009_safety
Create Date: 2026-12-07 06:00:00

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa
import wellbeing.core.db


# revision identifiers, used by Alembic.
revision = '0010_privacy'
down_revision = '0009_safety'
branch_labels = None
depends_on = None

# The risk model's recency windows (wellbeing/risk/model.py) as they stood when this migration was written:
# the expiry of a stored result is the moment the first input it used ages past its window.
WINDOW_DAYS = {"cbi_work": 35, "cbi_client": 35, "pss10": 35, "who5_percent": 21, "burnout1": 21, "brs_mean": 120}
REQUIRED_DAYS = 35


def upgrade():
    op.create_table('privacy_person_ledger',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('limit_micro', sa.Integer(), nullable=False),
    sa.Column('spent_micro', sa.Integer(), nullable=False),
    sa.Column('team_monthly_micro', sa.Integer(), nullable=False),
    sa.Column('team_weekly_micro', sa.Integer(), nullable=False),
    sa.Column('pooled_micro', sa.Integer(), nullable=False),
    sa.Column('updated_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('spent_micro <= limit_micro', name=op.f('ck_privacy_person_ledger_within_limit')),
    sa.CheckConstraint('spent_micro = team_monthly_micro + team_weekly_micro + pooled_micro',
                       name=op.f('ck_privacy_person_ledger_kinds_add_up')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_privacy_person_ledger_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_person_ledger_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'month', name=op.f('pk_privacy_person_ledger'))
    )
    with op.batch_alter_table('privacy_person_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_privacy_person_ledger_org_month', ['org_id', 'month'], unique=False)

    with op.batch_alter_table('trend_releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_roster', sa.Integer(), nullable=True))

    with op.batch_alter_table('risk_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True))
    _backfill_expiry()
    with op.batch_alter_table('risk_snapshots', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_risk_snapshots_score_expires'), 'score IS NULL OR expires_at IS NOT NULL')


def _backfill_expiry():
    """Stored results get the expiry the model now computes, from the inputs each one recorded."""
    snapshots = sa.table('risk_snapshots', sa.column('id', sa.Integer), sa.column('computed_at', sa.DateTime),
                         sa.column('score', sa.Float), sa.column('inputs', sa.JSON),
                         sa.column('expires_at', wellbeing.core.db.UTCDateTime(timezone=True)))
    bind = op.get_bind()
    rows = bind.execute(sa.select(snapshots.c.id, snapshots.c.computed_at, snapshots.c.inputs)
                        .where(snapshots.c.score.is_not(None))).all()
    for row_id, computed_at, inputs in rows:
        computed_at = _aware(computed_at)
        ends = []
        for name, days in WINDOW_DAYS.items():
            source = (inputs or {}).get(name)
            if source and source.get("completed_at"):
                end = _aware(datetime.fromisoformat(source["completed_at"])) + timedelta(days=days)
                if end >= computed_at:
                    ends.append(end)
        expires = min(ends) if ends else computed_at + timedelta(days=REQUIRED_DAYS)
        bind.execute(snapshots.update().where(snapshots.c.id == row_id).values(expires_at=expires))


def _aware(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def downgrade():
    with op.batch_alter_table('risk_snapshots', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_risk_snapshots_score_expires'), type_='check')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('trend_releases', schema=None) as batch_op:
        batch_op.drop_column('public_roster')
    with op.batch_alter_table('privacy_person_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_privacy_person_ledger_org_month')
    op.drop_table('privacy_person_ledger')
