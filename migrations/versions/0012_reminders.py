"""questionnaire reminders: a prompt kind naming its instrument, and each organization's retake rhythm

Revision ID: 0012_reminders
Revises: 0011_accounts
Create Date: 2026-12-07 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_reminders'
down_revision = '0011_accounts'
branch_labels = None
depends_on = None

QUESTIONNAIRE_FIELDS = ("(kind = 'questionnaire' AND instrument_id IS NOT NULL AND exercise_id IS NULL) OR "
                        "(kind <> 'questionnaire' AND instrument_id IS NULL AND exercise_id IS NOT NULL)")


def upgrade():
    with op.batch_alter_table('org_instruments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days', sa.Integer(), nullable=True))

    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instrument_id', sa.String(length=32), nullable=True))
        batch_op.alter_column('exercise_id', existing_type=sa.String(length=32), nullable=True)
        batch_op.drop_constraint(op.f('ck_prompts_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_prompts_kind_known'),
                                         "kind IN ('breathing', 'break', 'questionnaire')")
        batch_op.create_check_constraint(op.f('ck_prompts_questionnaire_fields'), QUESTIONNAIRE_FIELDS)


def downgrade():
    prompts = sa.table('prompts', sa.column('kind', sa.String))
    op.execute(prompts.delete().where(prompts.c.kind == 'questionnaire'))
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_prompts_questionnaire_fields'), type_='check')
        batch_op.drop_constraint(op.f('ck_prompts_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_prompts_kind_known'), "kind IN ('breathing', 'break')")
        batch_op.alter_column('exercise_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column('instrument_id')

    with op.batch_alter_table('org_instruments', schema=None) as batch_op:
        batch_op.drop_column('reminder_days')
