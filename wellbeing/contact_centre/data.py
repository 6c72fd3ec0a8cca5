"""The contact centre's part of the agent's data rights: export, erasure and retention."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.models import PlatformContact, PlatformEvent, RecoveryBreak, RecoveryOptIn, User

TABLES = ("platform_contacts", "recovery_breaks", "recovery_opt_ins")
# Kept on erasure: the opt-in is the agent's standing choice. A break still running is kept until it is restored
# (erasing it would leave the agent out of the queue).

_BREAK_FIELDS = ("id", "connector", "status", "minutes", "requested_at", "starts_at", "ends_at", "applied_at",
                 "restored_at", "failed_at", "failure_reason", "declined_at", "ended_early_at")


def export_contact_centre(session: Session, user: User, keyring: Keyring) -> dict:
    """The platform ids, calls seen from the platform, the recovery choice and every recovery break."""
    calls = session.scalars(select(PlatformContact).where(PlatformContact.user_id == user.id)
                            .order_by(PlatformContact.started_at, PlatformContact.id))
    breaks = session.scalars(select(RecoveryBreak).where(RecoveryBreak.user_id == user.id)
                             .order_by(RecoveryBreak.requested_at, RecoveryBreak.id))
    opt_in = session.get(RecoveryOptIn, user.id)
    return {
        "external_ids": user.external_ids,
        "platform_calls": [{"id": c.id, "platform": c.platform, "contact_id": c.contact_id, "started_at": c.started_at,
                            "ended_at": c.ended_at, "complaint": c.complaint, "abusive": c.abusive} for c in calls],
        "recovery_opted_in": bool(opt_in and opt_in.opted_in),
        "recovery_breaks": [{f: getattr(b, f) for f in _BREAK_FIELDS} for b in breaks],
    }


def erase_contact_centre(session: Session, user: User, now: datetime) -> dict[str, int]:
    """The platform's calls and the finished recovery breaks."""
    return {
        "platform_contacts": session.execute(delete(PlatformContact).where(PlatformContact.user_id == user.id)).rowcount,
        "recovery_breaks": session.execute(delete(RecoveryBreak).where(
            RecoveryBreak.user_id == user.id, RecoveryBreak.status.not_in(("requested", "applied")))).rowcount,
    }


def purge_contact_centre(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Calls, finished breaks and received event ids older than the cutoff."""
    old_call = or_(PlatformContact.ended_at < cutoff, PlatformContact.ended_at.is_(None) & (PlatformContact.started_at < cutoff))
    return {
        "platform_contacts": session.execute(delete(PlatformContact).where(PlatformContact.org_id == org_id,
                                                                           old_call)).rowcount,
        "recovery_breaks": session.execute(delete(RecoveryBreak).where(
            RecoveryBreak.org_id == org_id, RecoveryBreak.requested_at < cutoff,
            RecoveryBreak.status.not_in(("requested", "applied")))).rowcount,
        "platform_events": session.execute(delete(PlatformEvent).where(PlatformEvent.org_id == org_id,
                                                                       PlatformEvent.received_at < cutoff)).rowcount,
    }
