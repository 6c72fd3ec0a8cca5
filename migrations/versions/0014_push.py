"""push channels: Web Push, FCM, APNs and JPush devices, their health and flood caps; opened prompts; redelivery

Revision ID: 0014_push
Revises: 0013_sso_scim
Create Date: 2026-12-07 11:40:00

"""
from alembic import op
import sqlalchemy as sa

import wellbeing.core.db


# revision identifiers, used by Alembic.
revision = '0014_push'
down_revision = '0013_sso_scim'
branch_labels = None
depends_on = None

UTC = wellbeing.core.db.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.alter_column('url', existing_type=sa.String(length=2000), nullable=True)
        batch_op.add_column(sa.Column('environment', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('hint', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('disabled_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('last_success_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('tests_window_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('tests_in_window', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sends_window_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('sends_in_window', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_devices_channel_known'),
                                         "channel IN ('webhook', 'webpush', 'fcm', 'apns', 'jpush')")

    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('snoozes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('redeliver', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.create_index('ix_prompts_redeliver_next_attempt', ['next_attempt_at'], unique=False,
                              sqlite_where=sa.text('redeliver'), postgresql_where=sa.text('redeliver'))

    with op.batch_alter_table('prompt_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', UTC, nullable=True))


def downgrade():
    with op.batch_alter_table('prompt_deliveries', schema=None) as batch_op:
        batch_op.drop_column('opened_at')

    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_prompts_redeliver_next_attempt', sqlite_where=sa.text('redeliver'),
                            postgresql_where=sa.text('redeliver'))
        batch_op.drop_column('redeliver')
        batch_op.drop_column('snoozes')
        batch_op.drop_column('opened_at')

    devices = sa.table('devices', sa.column('channel', sa.String))
    op.execute(devices.delete().where(devices.c.channel != 'webhook'))
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_devices_channel_known'), type_='check')
        batch_op.drop_column('sends_in_window')
        batch_op.drop_column('sends_window_at')
        batch_op.drop_column('tests_in_window')
        batch_op.drop_column('tests_window_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('last_success_at')
        batch_op.drop_column('disabled_reason')
        batch_op.drop_column('hint')
        batch_op.drop_column('environment')
        batch_op.alter_column('url', existing_type=sa.String(length=2000), nullable=False)
