"""contact centre: shifts, platform events, recovery breaks

Revision ID: 0015_contact_centre
Revises: 0014_push
Create Date: 2026-12-07 11:21:44.283582

"""
from alembic import op
import sqlalchemy as sa
import wellbeing.core.db


# revision identifiers, used by Alembic.
revision = '0015_contact_centre'
down_revision = '0014_push'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('platform_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('outcome_detail', sa.String(length=200), nullable=True),
    sa.Column('received_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("platform IN ('amazon_connect', 'genesys')", name=op.f('ck_platform_events_platform_known')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_platform_events_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_events')),
    sa.UniqueConstraint('org_id', 'platform', 'event_id', name='uq_platform_events_event')
    )
    with op.batch_alter_table('platform_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_events_received_at'), ['received_at'], unique=False)

    op.create_table('platform_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.CheckConstraint("kind IN ('complaint', 'abusive')", name=op.f('ck_platform_rules_kind_known')),
    sa.CheckConstraint("platform IN ('amazon_connect', 'genesys')", name=op.f('ck_platform_rules_platform_known')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_platform_rules_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_rules')),
    sa.UniqueConstraint('org_id', 'platform', 'name', name='uq_platform_rules_name')
    )
    op.create_table('recovery_settings',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('connector', sa.String(length=16), nullable=True),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('secret_ciphertext', sa.Text(), nullable=True),
    sa.Column('updated_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("connector IS NULL OR connector IN ('amazon_connect', 'genesys', 'webhook')", name=op.f('ck_recovery_settings_connector_known')),
    sa.CheckConstraint('minutes >= 1 AND minutes <= 5', name=op.f('ck_recovery_settings_minutes_range')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_recovery_settings_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_recovery_settings'))
    )
    op.create_table('platform_contacts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('contact_id', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('started_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('complaint', sa.Boolean(), nullable=False),
    sa.Column('abusive', sa.Boolean(), nullable=False),
    sa.Column('call_event_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint("platform IN ('amazon_connect', 'genesys')", name=op.f('ck_platform_contacts_platform_known')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_platform_contacts_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_platform_contacts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_contacts')),
    sa.UniqueConstraint('org_id', 'platform', 'contact_id', name='uq_platform_contacts_contact')
    )
    with op.batch_alter_table('platform_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_contacts_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_breaks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('connector', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('requested_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('starts_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('restored_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('declined_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_early_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failure_reason', sa.String(length=300), nullable=True),
    sa.Column('previous_state', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('prompt_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint("connector IN ('amazon_connect', 'genesys', 'webhook')", name=op.f('ck_recovery_breaks_connector_known')),
    sa.CheckConstraint("status IN ('requested', 'applied', 'restored', 'failed', 'declined', 'ended_early')", name=op.f('ck_recovery_breaks_status_known')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_recovery_breaks_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_breaks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_breaks'))
    )
    with op.batch_alter_table('recovery_breaks', schema=None) as batch_op:
        batch_op.create_index('ix_recovery_breaks_due', ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_breaks_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_recovery_breaks_user_requested', ['user_id', 'requested_at'], unique=False)

    op.create_table('recovery_opt_ins',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('opted_in', sa.Boolean(), nullable=False),
    sa.Column('updated_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_opt_ins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_recovery_opt_ins'))
    )
    op.create_table('shift_coverage',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('start_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_shift_coverage_ends_after_start')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shift_coverage_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_coverage'))
    )
    with op.batch_alter_table('shift_coverage', schema=None) as batch_op:
        batch_op.create_index('ix_shift_coverage_user_end', ['user_id', 'end_at'], unique=False)

    op.create_table('shifts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('start_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activities', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('api', 'csv', 'ical')", name=op.f('ck_shifts_source_known')),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_shifts_ends_after_start')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_shifts_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shifts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shifts_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_shifts_user_start', ['user_id', 'start_at'], unique=False)

    op.create_table('shift_feeds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('url_ciphertext', sa.Text(), nullable=False),
    sa.Column('url_host', sa.String(length=255), nullable=False),
    sa.Column('etag', sa.String(length=500), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('created_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_check_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_checked_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_shift_feeds_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shift_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_feeds'))
    )
    with op.batch_alter_table('shift_feeds', schema=None) as batch_op:
        batch_op.create_index('ix_shift_feeds_next_check', ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_feeds_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_feeds_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_ids', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('external_ids')

    with op.batch_alter_table('shift_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_feeds_user_id'))
        batch_op.drop_index(batch_op.f('ix_shift_feeds_org_id'))
        batch_op.drop_index('ix_shift_feeds_next_check')

    op.drop_table('shift_feeds')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_user_start')
        batch_op.drop_index(batch_op.f('ix_shifts_org_id'))

    op.drop_table('shifts')
    with op.batch_alter_table('shift_coverage', schema=None) as batch_op:
        batch_op.drop_index('ix_shift_coverage_user_end')

    op.drop_table('shift_coverage')
    op.drop_table('recovery_opt_ins')
    with op.batch_alter_table('recovery_breaks', schema=None) as batch_op:
        batch_op.drop_index('ix_recovery_breaks_user_requested')
        batch_op.drop_index(batch_op.f('ix_recovery_breaks_org_id'))
        batch_op.drop_index('ix_recovery_breaks_due')

    op.drop_table('recovery_breaks')
    with op.batch_alter_table('platform_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_contacts_user_id'))

    op.drop_table('platform_contacts')
    op.drop_table('recovery_settings')
    op.drop_table('platform_rules')
    with op.batch_alter_table('platform_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_events_received_at'))

    op.drop_table('platform_events')
