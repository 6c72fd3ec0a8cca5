"""Shifts' part of the agent's data rights: export and retention (kept on erasure, like the work hours)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.models import Shift, ShiftCoverage, ShiftFeed, User

TABLES = ("shifts", "shift_coverage", "shift_feeds")


def export_shifts(session: Session, user: User, keyring: Keyring) -> dict:
    """Every imported shift with its activities, and the stretches the imports covered."""
    shifts = session.scalars(select(Shift).where(Shift.user_id == user.id).order_by(Shift.start_at, Shift.id))
    covered = session.scalars(select(ShiftCoverage).where(ShiftCoverage.user_id == user.id)
                              .order_by(ShiftCoverage.start_at, ShiftCoverage.id))
    feeds = session.scalars(select(ShiftFeed).where(ShiftFeed.user_id == user.id).order_by(ShiftFeed.created_at))
    return {"feeds": [{"id": f.id, "host": f.url_host, "last_success_at": f.last_success_at} for f in feeds],
            "shifts": [{"id": s.id, "start": s.start_at, "end": s.end_at, "activities": s.activities, "source": s.source}
                       for s in shifts],
            "covered": [{"id": c.id, "from": c.start_at, "to": c.end_at, "source": c.source} for c in covered]}


def purge_shifts(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Shifts and covered stretches that ended before the cutoff."""
    members = select(User.id).where(User.org_id == org_id)
    return {"shifts": session.execute(delete(Shift).where(Shift.org_id == org_id, Shift.end_at < cutoff)).rowcount,
            "shift_coverage": session.execute(delete(ShiftCoverage).where(
                ShiftCoverage.user_id.in_(members), ShiftCoverage.end_at < cutoff)).rowcount}
