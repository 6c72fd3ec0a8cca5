"""diary roll-up: each agent's entries summed per local day, hour, emotion and tag (insights read it)

Revision ID: 0016_diary_rollup
Revises: 0015_contact_centre
Create Date: 2026-12-07 11:40:00

The upgrade fills the roll-up from the stored entries (in each agent's zone), as `flask diary-rollup rebuild`
would; the code below is a frozen copy of that computation, so later changes to the app cannot break it.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_diary_rollup'
down_revision = '0015_contact_centre'
branch_labels = None
depends_on = None

FIGURES = ('entries', 'negatives', 'intensity_sum', 'signed_sum', 'stress_sum', 'stress_count')
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def upgrade():
    op.create_table(
        'diary_rollups',
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=8), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in FIGURES),
        sa.CheckConstraint("dimension IN ('day', 'hour', 'emotion', 'triggers', 'signals', 'coping')",
                           name=op.f('ck_diary_rollups_dimension_known')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_diary_rollups_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'day', 'dimension', 'key', name=op.f('pk_diary_rollups')),
    )
    _fill(op.get_bind())


def _fill(bind) -> None:
    rollups = sa.table('diary_rollups', *(sa.column(name) for name in ('user_id', 'day', 'dimension', 'key') + FIGURES))
    people = bind.execute(sa.text("SELECT DISTINCT u.id, u.timezone FROM users u JOIN diary_entries e "
                                  "ON e.user_id = u.id")).all()
    for user_id, tz_name in people:
        tz = ZoneInfo(tz_name)
        entries = {}
        for entry_id, occurred_at, emotion, valence, intensity, stress, kind, key in bind.execute(sa.text(
                "SELECT e.id, e.occurred_at, e.emotion, e.valence, e.intensity, e.stress, t.kind, t.key "
                "FROM diary_entries e LEFT JOIN diary_tags t ON t.entry_id = e.id WHERE e.user_id = :user_id"),
                {"user_id": user_id}):
            entry = entries.setdefault(entry_id, [occurred_at, emotion, valence, intensity, stress, []])
            if kind is not None:
                entry[5].append((kind, key))
        totals = {}
        for occurred_at, emotion, valence, intensity, stress, tags in entries.values():
            if isinstance(occurred_at, str):  # SQLite hands back text
                occurred_at = datetime.fromisoformat(occurred_at)
            if occurred_at.tzinfo is None:
                occurred_at = occurred_at.replace(tzinfo=timezone.utc)
            local = occurred_at.astimezone(tz)
            day = local.toordinal() - EPOCH_ORDINAL
            signed = intensity if valence == 'positive' else -intensity if valence == 'negative' else 0
            values = (1, 1 if valence == 'negative' else 0, intensity, signed, stress or 0, 0 if stress is None else 1)
            for k in [(day, 'day', ''), (day, 'hour', str(local.hour)), (day, 'emotion', emotion),
                      *((day, kind, key) for kind, key in tags)]:
                total = totals.setdefault(k, [0] * 6)
                for i, v in enumerate(values):
                    total[i] += v
        rows = [{'user_id': user_id, 'day': day, 'dimension': dimension, 'key': key, **dict(zip(FIGURES, values))}
                for (day, dimension, key), values in sorted(totals.items())]
        for start in range(0, len(rows), 5000):
            bind.execute(rollups.insert(), rows[start:start + 5000])


def downgrade():
    op.drop_table('diary_rollups')
