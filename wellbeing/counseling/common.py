"""Rules every counseling service shares: vocabularies, who may see a case, lookups, the case history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from wellbeing.core.errors import Invalid, NotFound
from wellbeing.models import Consent, CounselingAppointment, CounselingCase, CounselingCaseEvent, User

REASON_CATEGORIES = (
    "work_stress", "difficult_customers", "workload", "relationships_at_work",
    "personal_or_family", "health_or_sleep", "questionnaire_alert", "other",
)
RISK_LEVELS = ("low", "moderate", "high", "very_high", "insufficient_data")
# Appointments that still hold the counselor's time and can still happen.
ACTIVE_STATES = ("proposed", "accepted", "reschedule_requested")


def check_reason_category(category: str | None) -> None:
    """A known reason category (or none)."""
    if category is not None and category not in REASON_CATEGORIES:
        raise Invalid("Unknown reason category.", fields={"reason_category": ["Unknown category."]})


def hr_visible() -> ColumnElement[bool]:
    """SQL: HR may see a case the agent opened themselves, or any case of an agent consenting to hr_followup."""
    consenting = exists().where(Consent.user_id == CounselingCase.user_id, Consent.hr_followup.is_(True))
    return or_(CounselingCase.opened_by == "agent", consenting)


def consents_to_followup(session: Session, user_id: str) -> bool:
    """Whether the agent currently consents to HR follow-up."""
    return bool(session.scalar(select(Consent.hr_followup).where(Consent.user_id == user_id)))


def hr_can_see(session: Session, case: CounselingCase) -> bool:
    """Whether HR may see this case now (Python twin of ``hr_visible``)."""
    return case.opened_by == "agent" or consents_to_followup(session, case.user_id)


def case_for_hr(session: Session, hr: User, case_id: str, *, lock: bool = False) -> CounselingCase:
    """A case HR of the same organization may see; anything else is NotFound."""
    case = session.get(CounselingCase, case_id, with_for_update=lock or None)
    if case is None or case.org_id != hr.org_id or not hr_can_see(session, case):
        raise NotFound("No such case.")
    return case


def case_for_agent(session: Session, agent: User, case_id: str) -> CounselingCase:
    """One of the agent's own cases; another agent's is NotFound."""
    case = session.get(CounselingCase, case_id)
    if case is None or case.user_id != agent.id:
        raise NotFound("No such case.")
    return case


def appointment_for_hr(session: Session, hr: User, appointment_id: str) -> tuple[CounselingAppointment, CounselingCase]:
    """An appointment of a case HR may see, locked for a state change."""
    appointment = session.get(CounselingAppointment, appointment_id, with_for_update=True)
    if appointment is None:
        raise NotFound("No such appointment.")
    return appointment, case_for_hr(session, hr, appointment.case_id)


def appointment_for_agent(session: Session, agent: User, appointment_id: str) -> tuple[CounselingAppointment, CounselingCase]:
    """An appointment of one of the agent's cases, locked for a state change."""
    appointment = session.get(CounselingAppointment, appointment_id, with_for_update=True)
    if appointment is None:
        raise NotFound("No such appointment.")
    return appointment, case_for_agent(session, agent, appointment.case_id)


def record_event(session: Session, case: CounselingCase, kind: str, actor_role: str, now: datetime,
                 appointment: CounselingAppointment | None = None, **data) -> None:
    """Append a step to the case history (structured values only, never free text)."""
    session.add(CounselingCaseEvent(case_id=case.id, appointment_id=appointment.id if appointment else None,
                                    kind=kind, actor_role=actor_role, data=data, at=now))


def events_of(session: Session, case_id: str) -> list[CounselingCaseEvent]:
    """A case's history, oldest first."""
    return list(session.scalars(
        select(CounselingCaseEvent).where(CounselingCaseEvent.case_id == case_id)
        .order_by(CounselingCaseEvent.at, CounselingCaseEvent.id)))


def appointments_of(session: Session, case_id: str) -> list[CounselingAppointment]:
    """A case's appointments, earliest first."""
    return list(session.scalars(
        select(CounselingAppointment).where(CounselingAppointment.case_id == case_id)
        .order_by(CounselingAppointment.starts_at, CounselingAppointment.id)))
