"""What withdrawing ``hr_followup`` does to counseling: the cases it opened close, their sessions are cancelled."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.counseling.common import ACTIVE_STATES, appointments_of, record_event
from wellbeing.counseling.reminders import sync_appointment_reminders, sync_follow_up_reminder
from wellbeing.models import CounselingCase


def close_cases_on_withdrawal(session: Session, user_id: str, now: datetime) -> int:
    """Close the agent's open cases that only the consent opened (self-referrals stay); return how many.

    HR can no longer see those cases, so nothing about them may keep running: their live
    appointments are cancelled and every pending reminder with them.
    """
    cases = list(session.scalars(select(CounselingCase).where(
        CounselingCase.user_id == user_id, CounselingCase.status == "open", CounselingCase.opened_by != "agent")))
    closed = 0
    for case in cases:
        for appointment in appointments_of(session, case.id):
            if appointment.state in ACTIVE_STATES:
                appointment.state, appointment.updated_at = "cancelled", now
                record_event(session, case, "appointment_cancelled", "system", now, appointment,
                             reason="consent_withdrawn")
                sync_appointment_reminders(session, appointment, case, now)
        case.status, case.closed_at, case.closed_reason = "closed", now, "consent_withdrawn"
        record_event(session, case, "closed", "system", now, reason="consent_withdrawn")
        sync_follow_up_reminder(session, case, None, now)
        closed += 1
    session.flush()
    return closed
