"""Appointments and their state machine: HR proposes, the agent answers, HR reschedules, cancels or records.

    proposed ──accept──▶ accepted ──(HR)──▶ completed | no_show | cancelled
       │ └──decline──▶ declined            │
       │ └──reschedule-request─┐           └──reschedule-request──▶ reschedule_requested
       └──(HR) cancel          ▼
    any of proposed, accepted, reschedule_requested ──(HR) new time──▶ proposed again

Anything else is a 409. A counselor never holds two live appointments that overlap.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core.db import new_id
from wellbeing.core.errors import Conflict, Invalid
from wellbeing.core.idempotency import create_once
from wellbeing.counseling.cases import plain_windows, set_follow_up
from wellbeing.counseling.common import (
    ACTIVE_STATES,
    appointment_for_agent,
    appointment_for_hr,
    case_for_hr,
    record_event,
)
from wellbeing.counseling.reminders import sync_appointment_reminders
from wellbeing.counseling.views import appointment_view
from wellbeing.models import CounselingAppointment, CounselingCase, User
from wellbeing.org.access_log import record_access

# The agent's answers: action -> (states it is allowed from, resulting state).
AGENT_ACTIONS = {
    "accept": (("proposed",), "accepted"),
    "decline": (("proposed",), "declined"),
    "request_reschedule": (("proposed", "accepted"), "reschedule_requested"),
}
# HR's recorded outcomes: resulting state -> states it is allowed from.
HR_OUTCOMES = {
    "cancelled": ACTIVE_STATES,
    "completed": ("accepted",),
    "no_show": ("accepted",),
}
MAX_AHEAD = timedelta(days=366)


def _check_time(starts_at: datetime, now: datetime) -> None:
    if not now < starts_at <= now + MAX_AHEAD:
        raise Invalid("The appointment must start in the future, within a year.",
                      fields={"starts_at": ["Must be in the future and within a year."]})


def _check_counselor_free(session: Session, counselor_id: str, starts_at: datetime, ends_at: datetime,
                          exclude_id: str | None) -> None:
    """409 when the counselor already holds a live appointment overlapping [starts_at, ends_at)."""
    # Lock the counselor's row: bookings of one counselor take turns, so two cannot both pass the check.
    session.execute(select(User.id).where(User.id == counselor_id).with_for_update(key_share=True))
    clash = session.scalar(select(CounselingAppointment.id).where(
        CounselingAppointment.counselor_id == counselor_id, CounselingAppointment.state.in_(ACTIVE_STATES),
        CounselingAppointment.starts_at < ends_at, CounselingAppointment.ends_at > starts_at,
        CounselingAppointment.id != (exclude_id or "")).limit(1))
    if clash is not None:
        raise Conflict("The counselor already has an appointment at that time.", code="counselor_conflict")


def _counselor(session: Session, hr: User, counselor_id: str | None) -> User:
    if counselor_id is None:
        return hr
    counselor = session.get(User, counselor_id)
    if counselor is None or counselor.org_id != hr.org_id or counselor.role != "hr":
        raise Invalid("The counselor must be an HR member of your organization.",
                      fields={"counselor_id": ["Not an HR member of your organization."]})
    return counselor


def propose_appointment(session: Session, hr: User, case_id: str, data: dict, appointment_id: str | None,
                        fingerprint: str, purpose: str | None, now: datetime) -> tuple[dict, bool]:
    """HR proposes a session on an open case; both parties get reminders."""
    case = case_for_hr(session, hr, case_id, lock=True)
    existing = session.get(CounselingAppointment, appointment_id) if appointment_id else None
    if existing is None:
        if case.status != "open":
            raise Conflict("The case is closed.", code="case_closed")
        counselor = _counselor(session, hr, data.get("counselor_id"))
        _check_time(data["starts_at"], now)
        ends_at = data["starts_at"] + timedelta(minutes=data["duration_minutes"])
        _check_counselor_free(session, counselor.id, data["starts_at"], ends_at, None)

    def build() -> CounselingAppointment:
        return CounselingAppointment(
            id=appointment_id or new_id(), case_id=case.id, counselor_id=counselor.id, starts_at=data["starts_at"],
            ends_at=ends_at, duration_minutes=data["duration_minutes"], mode=data["mode"],
            location=data.get("location"), created_at=now, updated_at=now)

    def after(appointment: CounselingAppointment) -> None:
        record_event(session, case, "appointment_proposed", "hr", now, appointment,
                     starts_at=_iso(appointment.starts_at), duration_minutes=appointment.duration_minutes,
                     mode=appointment.mode)
        sync_appointment_reminders(session, appointment, case, now)
        record_access(session, hr, case.user_id, "propose_appointment", "counseling_appointment", appointment.id,
                      ["appointments"], purpose, now)

    appointment, created = create_once(session, CounselingAppointment, appointment_id, fingerprint, build,
                                       lambda a: a.case_id == case.id, after=after)
    return appointment_view(appointment, hr, _name(session, appointment.counselor_id)), created


def update_appointment(session: Session, hr: User, appointment_id: str, changes: dict, purpose: str | None,
                       now: datetime) -> dict:
    """HR reschedules (back to proposed), cancels, records completed / no_show, edits mode or place, sets the follow-up."""
    appointment, case = appointment_for_hr(session, hr, appointment_id)
    if "state" in changes and ("starts_at" in changes or "duration_minutes" in changes):
        raise Invalid("Either reschedule or record an outcome, not both.",
                      fields={"state": ["Not together with a new time."]})
    if "state" in changes:
        _record_outcome(session, appointment, case, changes["state"], now)
    elif "starts_at" in changes or "duration_minutes" in changes:
        _reschedule(session, appointment, case, changes, now)
    if "mode" in changes or "location" in changes:
        _change_place(session, appointment, case, changes, now)
    if "next_follow_up_on" in changes:
        set_follow_up(session, case, hr, changes["next_follow_up_on"], now)
    appointment.updated_at = now
    session.flush()
    sync_appointment_reminders(session, appointment, case, now)
    record_access(session, hr, case.user_id, "update_appointment", "counseling_appointment", appointment.id,
                  ["appointments"], purpose, now)
    session.commit()
    return appointment_view(appointment, hr, _name(session, appointment.counselor_id))


def _record_outcome(session: Session, appointment: CounselingAppointment, case: CounselingCase, state: str,
                    now: datetime) -> None:
    if appointment.state not in HR_OUTCOMES[state]:
        raise Conflict(f"A {appointment.state} appointment cannot become {state}.", code="invalid_transition")
    if state != "cancelled" and now < appointment.starts_at:
        raise Conflict("The appointment has not started yet.", code="not_started")
    appointment.state = state
    record_event(session, case, f"appointment_{state}", "hr", now, appointment)


def _reschedule(session: Session, appointment: CounselingAppointment, case: CounselingCase, changes: dict,
                now: datetime) -> None:
    if appointment.state not in ACTIVE_STATES:
        raise Conflict(f"A {appointment.state} appointment cannot be rescheduled.", code="invalid_transition")
    starts_at = changes.get("starts_at", appointment.starts_at)
    duration = changes.get("duration_minutes", appointment.duration_minutes)
    _check_time(starts_at, now)
    ends_at = starts_at + timedelta(minutes=duration)
    _check_counselor_free(session, appointment.counselor_id, starts_at, ends_at, appointment.id)
    record_event(session, case, "appointment_rescheduled", "hr", now, appointment,
                 previous_starts_at=_iso(appointment.starts_at), starts_at=_iso(starts_at), duration_minutes=duration)
    appointment.starts_at, appointment.ends_at, appointment.duration_minutes = starts_at, ends_at, duration
    appointment.state = "proposed"
    appointment.preferred_times = []


def _change_place(session: Session, appointment: CounselingAppointment, case: CounselingCase, changes: dict,
                  now: datetime) -> None:
    if appointment.state not in ACTIVE_STATES:
        raise Conflict(f"A {appointment.state} appointment cannot be changed.", code="invalid_transition")
    appointment.mode = changes.get("mode", appointment.mode)
    appointment.location = changes.get("location", appointment.location)
    record_event(session, case, "appointment_changed", "hr", now, appointment, mode=appointment.mode)


def answer_appointment(session: Session, agent: User, appointment_id: str, action: str,
                       preferred_times: list[dict] | None, now: datetime) -> dict:
    """The agent accepts, declines, or asks for another time (optionally with preferred windows)."""
    appointment, case = appointment_for_agent(session, agent, appointment_id)
    allowed, target = AGENT_ACTIONS[action]
    if appointment.state not in allowed:
        raise Conflict(f"A {appointment.state} appointment cannot be answered with {action}.", code="invalid_transition")
    if now >= appointment.starts_at:
        raise Conflict("The appointment time has passed.", code="in_the_past")
    appointment.state = target
    if action == "request_reschedule":
        appointment.preferred_times = plain_windows(preferred_times)
    appointment.updated_at = now
    record_event(session, case, f"appointment_{target}", "agent", now, appointment)
    session.flush()
    sync_appointment_reminders(session, appointment, case, now)
    session.commit()
    return appointment_view(appointment, agent, _name(session, appointment.counselor_id))


def _name(session: Session, user_id: str) -> str | None:
    return session.scalar(select(User.name).where(User.id == user_id))


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
