"""enterprise sign-in and provisioning: OpenID providers, sign-in attempts, SCIM tokens, users and groups

Revision ID: 0013_sso_scim
Revises: 0012_reminders
Create Date: 2026-12-07 11:31:30.269737

"""
from alembic import op
import sqlalchemy as sa
import wellbeing.core.db


# revision identifiers, used by Alembic.
revision = '0013_sso_scim'
down_revision = '0012_reminders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('oidc_configs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('email_domains', sa.JSON(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=300), nullable=False),
    sa.Column('client_secret_ciphertext', sa.Text(), nullable=False),
    sa.Column('email_claim', sa.String(length=100), nullable=False),
    sa.Column('password_sign_in', sa.Boolean(), nullable=False),
    sa.Column('jit_enabled', sa.Boolean(), nullable=False),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('updated_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_oidc_configs_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_configs')),
    sa.UniqueConstraint('org_id', name=op.f('uq_oidc_configs_org_id')),
    sa.UniqueConstraint('slug', name=op.f('uq_oidc_configs_slug'))
    )
    op.create_table('scim_tokens',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_scim_tokens_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_scim_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_scim_tokens_token_hash'))
    )
    op.create_table('scim_groups',
    sa.Column('team_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=True),
    sa.Column('deleted_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_scim_groups_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_scim_groups_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_scim_groups'))
    )
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_groups_org_id'), ['org_id'], unique=False)

    op.create_table('scim_users',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('user_name', sa.String(length=320), nullable=False),
    sa.Column('user_name_key', sa.String(length=320), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('deleted_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('erase_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('erased_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_scim_users_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scim_users_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_scim_users')),
    sa.UniqueConstraint('org_id', 'user_name_key', name=op.f('uq_scim_users_org_id_user_name_key'))
    )
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_users_erase_at'), ['erase_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_scim_users_org_id'), ['org_id'], unique=False)

    op.create_table('sso_attempts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('provider_verifier', sa.String(length=128), nullable=False),
    sa.Column('client', sa.String(length=16), nullable=False),
    sa.Column('redirect_uri', sa.String(length=1000), nullable=True),
    sa.Column('app_state', sa.String(length=500), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('created_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('returned_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_expires_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('code_used_at', wellbeing.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("client IN ('app', 'console')", name=op.f('ck_sso_attempts_client_known')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sso_attempts_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_attempts')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_sso_attempts_code_hash')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_sso_attempts_state_hash'))
    )
    with op.batch_alter_table('sso_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_attempts_org_id'), ['org_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sso_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_attempts_org_id'))

    op.drop_table('sso_attempts')
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_users_org_id'))
        batch_op.drop_index(batch_op.f('ix_scim_users_erase_at'))

    op.drop_table('scim_users')
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_groups_org_id'))

    op.drop_table('scim_groups')
    op.drop_table('scim_tokens')
    op.drop_table('oidc_configs')
