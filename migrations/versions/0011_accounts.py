"""accounts: invitations, temporary passwords, resets, deactivation, mail outbox, console session limits

Revision ID: 0011_accounts
Revises: 0010_privacy
Create Date: 2026-12-07 06:30:00

"""
from alembic import op
import sqlalchemy as sa
import wellbeing.core.db

# revision identifiers, used by Alembic.
revision = '0011_accounts'
down_revision = '0010_privacy'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('mail_outbox',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('created_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('account_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('invitation', 'reset')", name=op.f('ck_account_tokens_purpose_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idle_timeout', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('refreshed_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        # Existing passwords were chosen before the rule: they stay valid (not temporary).
        batch_op.add_column(sa.Column('password_temporary', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('deactivated_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=200),
               nullable=True)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('password_temporary', existing_type=sa.Boolean(), server_default=None)


def downgrade():
    # Invited users get a hash no password matches (the older schema requires one).
    op.execute("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=200),
               nullable=False)
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('password_temporary')

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('refreshed_at')
        batch_op.drop_column('idle_timeout')

    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))

    op.drop_table('account_tokens')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')
