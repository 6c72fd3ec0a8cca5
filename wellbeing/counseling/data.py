"""Counseling's part of the agent's data rights: export, erasure and retention."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.counseling.views import agent_case_view
from wellbeing.models import CounselingAppointment, CounselingCase, CounselingCaseEvent, CounselingReminder, User

TABLES = ("counseling_cases", "counseling_case_events", "counseling_appointments", "counseling_reminders")


def _reminder_view(reminder: CounselingReminder, user: User) -> dict:
    mine = reminder.recipient_id == user.id
    return {"id": reminder.id, "case_id": reminder.case_id, "appointment_id": reminder.appointment_id,
            "kind": reminder.kind, "recipient": "you" if mine else "hr", "status": reminder.status,
            "due_at": reminder.due_at, "sent_at": reminder.sent_at, "message": reminder.message if mine else None}


def export_counseling(session: Session, user: User, keyring: Keyring) -> dict:
    """The user's cases (their reason decrypted, never HR's notes), appointments, history and reminders."""
    cases = list(session.scalars(select(CounselingCase).where(CounselingCase.user_id == user.id)
                                 .order_by(CounselingCase.opened_at, CounselingCase.id)))
    reminders = session.scalars(select(CounselingReminder).where(or_(
        CounselingReminder.case_id.in_([c.id for c in cases]), CounselingReminder.recipient_id == user.id))
        .order_by(CounselingReminder.due_at, CounselingReminder.id))
    return {"cases": [agent_case_view(session, c, user, keyring) for c in cases],
            "reminders": [_reminder_view(r, user) for r in reminders]}


def _delete_cases(session: Session, case_ids: Select) -> dict[str, int]:
    counts = {}
    for model in (CounselingReminder, CounselingCaseEvent, CounselingAppointment):
        result = session.execute(delete(model).where(model.case_id.in_(case_ids)))
        counts[model.__tablename__] = result.rowcount
    result = session.execute(delete(CounselingCase).where(CounselingCase.id.in_(case_ids)))
    counts["counseling_cases"] = result.rowcount
    return counts


def erase_counseling(session: Session, user: User, now: datetime) -> dict[str, int]:
    """Every case of the user with all it holds, and the reminders delivered to the user's own inbox."""
    inbox = session.execute(delete(CounselingReminder).where(
        CounselingReminder.recipient_id == user.id, CounselingReminder.status != "pending")).rowcount
    counts = _delete_cases(session, select(CounselingCase.id).where(CounselingCase.user_id == user.id))
    counts["counseling_reminders"] += inbox
    return counts


def purge_counseling(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Cases closed before the cutoff go whole; of open cases, delivered or dropped reminders older than it."""
    org_cases = select(CounselingCase.id).where(CounselingCase.org_id == org_id)
    old = session.execute(delete(CounselingReminder).where(
        CounselingReminder.case_id.in_(org_cases), CounselingReminder.status != "pending",
        CounselingReminder.due_at < cutoff)).rowcount
    counts = _delete_cases(session, org_cases.where(CounselingCase.status == "closed", CounselingCase.closed_at < cutoff))
    counts["counseling_reminders"] += old
    return counts
