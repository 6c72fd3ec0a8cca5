"""What each party sees of a case: the agent everything but HR's notes; HR only what the consent opens.

Times come with ``*_local`` twins in the viewer's own time zone.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.counseling.common import appointments_of, consents_to_followup, events_of, hr_can_see
from wellbeing.models import CounselingAppointment, CounselingCase, CounselingCaseEvent, User


def reason_aad(case_id: str) -> bytes:
    """Associated data binding the agent's reason to its case row."""
    return f"counseling_case:{case_id}".encode()


def notes_aad(case_id: str) -> bytes:
    """Associated data binding HR's notes to their case row (distinct from the reason's)."""
    return f"counseling_case_notes:{case_id}".encode()


def local(at: datetime | None, zone: str) -> str | None:
    """An instant as RFC 3339 in the given zone (``2026-03-03T15:00:00+08:00``)."""
    return at.astimezone(ZoneInfo(zone)).isoformat() if at else None


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def appointment_view(appointment: CounselingAppointment, viewer: User, counselor_name: str | None) -> dict:
    """An appointment with its times in the viewer's zone."""
    return {
        "id": appointment.id, "case_id": appointment.case_id, "state": appointment.state,
        "starts_at": appointment.starts_at, "ends_at": appointment.ends_at,
        "starts_at_local": local(appointment.starts_at, viewer.timezone),
        "ends_at_local": local(appointment.ends_at, viewer.timezone), "timezone": viewer.timezone,
        "duration_minutes": appointment.duration_minutes, "mode": appointment.mode, "location": appointment.location,
        "counselor": {"id": appointment.counselor_id, "name": counselor_name},
        "preferred_times": appointment.preferred_times, "created_at": appointment.created_at,
        "updated_at": appointment.updated_at,
    }


def _event_view(event: CounselingCaseEvent) -> dict:
    return {"id": event.id, "at": event.at, "kind": event.kind, "actor_role": event.actor_role,
            "appointment_id": event.appointment_id, "data": event.data}


def _common(session: Session, case: CounselingCase, viewer: User) -> dict:
    appointments = appointments_of(session, case.id)
    names = _names(session, {a.counselor_id for a in appointments})
    return {
        "id": case.id, "status": case.status, "opened_by": case.opened_by, "opened_at": case.opened_at,
        "closed_at": case.closed_at, "closed_reason": case.closed_reason, "reason_category": case.reason_category,
        "preferred_times": case.preferred_times, "next_follow_up_on": case.next_follow_up_on,
        "appointments": [appointment_view(a, viewer, names.get(a.counselor_id)) for a in appointments],
        "history": [_event_view(e) for e in events_of(session, case.id)],
    }


def _reason(case: CounselingCase, keyring: Keyring) -> str | None:
    return keyring.decrypt(case.reason_ciphertext, reason_aad(case.id)) if case.reason_ciphertext else None


def agent_case_view(session: Session, case: CounselingCase, agent: User, keyring: Keyring) -> dict:
    """The agent's own case: their reason, risk at opening, appointments, history, and whether HR can see it."""
    return {**_common(session, case, agent), "reason": _reason(case, keyring),
            "risk_level_at_opening": case.risk_level_at_opening, "visible_to_hr": hr_can_see(session, case)}


def hr_case_view(session: Session, case: CounselingCase, hr: User, keyring: Keyring) -> tuple[dict, list[str]]:
    """HR's view of a case they may see, and the list of what it discloses (for the access log)."""
    agent = session.get(User, case.user_id)
    risk = case.risk_level_at_opening if consents_to_followup(session, case.user_id) else None
    notes = keyring.decrypt(case.hr_notes_ciphertext, notes_aad(case.id)) if case.hr_notes_ciphertext else None
    view = {**_common(session, case, hr), "user": {"id": agent.id, "name": agent.name, "timezone": agent.timezone},
            "reason": _reason(case, keyring), "risk_level_at_opening": risk, "hr_notes": notes}
    disclosed = ["case", "history", "appointments"]
    disclosed += ["reason"] if view["reason"] is not None else []
    disclosed += ["risk_at_opening"] if risk is not None else []
    return view, disclosed


def hr_case_summary(case: CounselingCase, agent_name: str) -> dict:
    """One line of HR's case list (no reason text, no risk)."""
    return {"id": case.id, "user": {"id": case.user_id, "name": agent_name}, "status": case.status,
            "opened_by": case.opened_by, "opened_at": case.opened_at, "closed_at": case.closed_at,
            "reason_category": case.reason_category, "next_follow_up_on": case.next_follow_up_on}
