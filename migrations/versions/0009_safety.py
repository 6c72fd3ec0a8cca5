"""safety path: an organization's country (null follows its time zone)

Revision ID: 0009_safety
Revises: 0008_trends
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_safety'
down_revision = '0008_trends'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch_op.create_check_constraint(op.f('ck_organizations_country_alpha2'),
                                         'country IS NULL OR length(country) = 2')


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organizations_country_alpha2'), type_='check')
        batch_op.drop_column('country')
