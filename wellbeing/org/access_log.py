"""The access log: every HR read of an agent's individual data, shown to the agent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.pagination import Page, keyset_page
from wellbeing.models import AccessLogEntry, User

DEFAULT_PURPOSE = "counseling_follow_up"


def record_access(session: Session, actor: User, subject_id: str, action: str, resource_type: str,
                  resource_id: str, disclosed: list[str], purpose: str | None, now: datetime) -> None:
    """Log one access in the caller's transaction (it commits with the work it describes)."""
    session.add(AccessLogEntry(org_id=actor.org_id, subject_id=subject_id, actor_id=actor.id, actor_role=actor.role,
                               action=action, resource_type=resource_type, resource_id=resource_id,
                               disclosed=disclosed, purpose=purpose or DEFAULT_PURPOSE, at=now))


def _view(entry: AccessLogEntry, actor_name: str | None) -> dict:
    return {"id": entry.id, "at": entry.at, "actor": {"id": entry.actor_id, "name": actor_name, "role": entry.actor_role},
            "action": entry.action, "resource_type": entry.resource_type, "resource_id": entry.resource_id,
            "disclosed": entry.disclosed, "purpose": entry.purpose}


def access_log_page(session: Session, user: User, limit: int, after: tuple | None) -> Page:
    """Who read the user's data, newest first."""
    stmt = select(AccessLogEntry).where(AccessLogEntry.subject_id == user.id)
    page = keyset_page(session, stmt, AccessLogEntry.at, AccessLogEntry.id, limit, after)
    names = _actor_names(session, {e.actor_id for e in page.items if e.actor_id})
    return Page([_view(e, names.get(e.actor_id)) for e in page.items], page.next_key)


def _actor_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def export_access_log(session: Session, user: User, keyring: Keyring) -> list[dict]:
    """The user's whole access log, oldest first (nothing in it is encrypted)."""
    entries = list(session.scalars(select(AccessLogEntry).where(AccessLogEntry.subject_id == user.id)
                                   .order_by(AccessLogEntry.at, AccessLogEntry.id)))
    names = _actor_names(session, {e.actor_id for e in entries if e.actor_id})
    return [_view(e, names.get(e.actor_id)) for e in entries]


def purge_access_log(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Entries older than the organization's retention go."""
    result = session.execute(delete(AccessLogEntry).where(AccessLogEntry.org_id == org_id, AccessLogEntry.at < cutoff))
    return {"access_log": result.rowcount}
