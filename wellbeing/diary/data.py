"""The diary's share of data rights: export, erasure and retention."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.diary import rollup
from wellbeing.diary.entries import entry_view
from wellbeing.models import DiaryEntry, DiaryTombstone, User

# diary_rollups is derived (sums of the entries, rollup.py): the export holds the entries it sums, erasure
# deletes it, and retention takes the purged entries out of it.
TABLES = ("diary_entries", "diary_tags", "diary_tombstones", "diary_rollups")


def export_diary(session: Session, user: User, keyring: Keyring) -> dict:
    """Every entry with its tags and decrypted note, oldest first, and the ids of deleted entries."""
    entries = session.scalars(select(DiaryEntry).where(DiaryEntry.user_id == user.id)
                              .order_by(DiaryEntry.occurred_at, DiaryEntry.id))
    deleted = session.scalars(select(DiaryTombstone).where(DiaryTombstone.user_id == user.id)
                              .order_by(DiaryTombstone.deleted_at, DiaryTombstone.id))
    return {"entries": [entry_view(entry, keyring) for entry in entries],
            "deleted_entries": [{"id": t.id, "deleted_at": t.deleted_at} for t in deleted]}


def erase_diary(session: Session, user: User, now: datetime) -> dict[str, int]:
    """Delete every entry (tags go with them) and every tombstone of the user."""
    entries = select(DiaryEntry.id).where(DiaryEntry.user_id == user.id)
    tags = session.scalar(select(func.count()).select_from(DiaryEntry).join(DiaryEntry.tags)
                          .where(DiaryEntry.user_id == user.id)) or 0
    erased = session.execute(delete(DiaryEntry).where(DiaryEntry.id.in_(entries))).rowcount
    tombstones = session.execute(delete(DiaryTombstone).where(DiaryTombstone.user_id == user.id)).rowcount
    rollups = rollup.erase(session, user.id)
    return {"diary_entries": erased, "diary_tags": tags, "diary_tombstones": tombstones, "diary_rollups": rollups}


def purge_diary(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Retention: entries that occurred before the cutoff, and tombstones of deletions before it.

    A tombstone outlives any replay that matters: retention is at least 30 days, and a create older than
    30 days is refused by the backdating rule anyway.
    """
    people = select(User.id).where(User.org_id == org_id)
    old = select(DiaryEntry.id).where(DiaryEntry.user_id.in_(people), DiaryEntry.occurred_at < cutoff)
    tags = session.scalar(select(func.count()).select_from(DiaryEntry).join(DiaryEntry.tags)
                          .where(DiaryEntry.user_id.in_(people), DiaryEntry.occurred_at < cutoff)) or 0
    # The roll-up loses what the purged entries added (rows left with no entry go): count those rows.
    rollups = rollup.subtract_entries(session, DiaryEntry.id.in_(old))
    entries = session.execute(delete(DiaryEntry).where(DiaryEntry.id.in_(old))).rowcount
    tombstones = session.execute(delete(DiaryTombstone).where(
        DiaryTombstone.user_id.in_(people), DiaryTombstone.deleted_at < cutoff)).rowcount
    return {"diary_entries": entries, "diary_tags": tags, "diary_tombstones": tombstones, "diary_rollups": rollups}
