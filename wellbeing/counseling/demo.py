"""Demo counseling history: consents for everyone, and a few cases at different stages with their appointments."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core.db import new_id
from wellbeing.counseling.common import record_event
from wellbeing.counseling.reminders import sync_appointment_reminders, sync_follow_up_reminder
from wellbeing.models import Consent, ConsentChange, CounselingAppointment, CounselingCase, Organization, User
from wellbeing.org.access_log import record_access
from wellbeing.org.consents import POLICY_VERSION

# (agent e-mail prefix, opened by, reason category, risk at opening, appointments as (days from now, state), case
#  closed days ago or None, next follow-up in days or None); the first agents of each team are the printed logins.
CASES = (
    ("agent1-1", "agent", "difficult_customers", None, ((2, "proposed"),), None, None),
    ("agent2-1", "hr", "workload", None, ((3, "accepted"),), None, 10),
    ("agent3-1", "alert", "questionnaire_alert", "high", ((-20, "no_show"), (-10, "completed")), None, 5),
    ("agent2-2", "agent", "personal_or_family", None, ((-6, "declined"), (4, "reschedule_requested")), None, None),
    ("agent4-1", "agent", "health_or_sleep", None, ((-40, "completed"),), 30, None),
)
NEEDS_CONSENT = {"hr", "alert"}


def _consent(session: Session, agent: User, team_aggregates: bool, hr_followup: bool, at: datetime) -> None:
    session.add(Consent(user_id=agent.id, team_aggregates=team_aggregates, hr_followup=hr_followup,
                        policy_version=POLICY_VERSION, updated_at=at))
    for consent, granted in (("team_aggregates", team_aggregates), ("hr_followup", hr_followup)):
        session.add(ConsentChange(user_id=agent.id, consent=consent, granted=granted, policy_version=POLICY_VERSION,
                                  changed_at=at))


def _slot(now: datetime, days: int, index: int) -> datetime:
    """A session start at 02:00 UTC (10:00 in Shanghai) plus an hour per case, so counselors never clash."""
    return (now + timedelta(days=days)).replace(hour=2 + index, minute=0, second=0, microsecond=0)


def _case(session: Session, org: Organization, agent: User, hr: User, spec: tuple, index: int, now: datetime) -> None:
    _, opened_by, category, risk, sessions, closed_days_ago, follow_up_days = spec
    opened_at = now + timedelta(days=min(days for days, _ in sessions) - 7)
    case = CounselingCase(id=new_id(), org_id=org.id, user_id=agent.id, opened_by=opened_by,
                          opened_by_id=hr.id if opened_by == "hr" else None, reason_category=category,
                          risk_level_at_opening=risk, opened_at=opened_at)
    session.add(case)
    session.flush()
    record_event(session, case, "opened", {"agent": "agent", "hr": "hr", "alert": "system"}[opened_by], opened_at,
                 opened_by=opened_by)
    for days, state in sessions:
        starts_at = _slot(now, days, index)
        appointment = CounselingAppointment(id=new_id(), case_id=case.id, counselor_id=hr.id, starts_at=starts_at,
                                            ends_at=starts_at + timedelta(minutes=50), duration_minutes=50,
                                            mode="video", state=state, created_at=opened_at, updated_at=opened_at)
        session.add(appointment)
        session.flush()
        record_event(session, case, "appointment_proposed", "hr", opened_at, appointment)
        if state != "proposed":
            actor = "hr" if state in ("completed", "no_show") else "agent"
            record_event(session, case, f"appointment_{state}", actor, min(now, starts_at), appointment)
        sync_appointment_reminders(session, appointment, case, now)
    if follow_up_days is not None:
        case.next_follow_up_on = (now + timedelta(days=follow_up_days)).date()
        record_event(session, case, "follow_up_set", "hr", now, next_follow_up_on=case.next_follow_up_on.isoformat())
        sync_follow_up_reminder(session, case, hr, now)
    if closed_days_ago is not None:
        case.status, case.closed_at, case.closed_reason = "closed", now - timedelta(days=closed_days_ago), "closed_by_hr"
        record_event(session, case, "closed", "hr", case.closed_at, reason="closed_by_hr")
    record_access(session, hr, agent.id, "read_case", "counseling_case", case.id, ["case", "history", "appointments"],
                  None, now)


def seed_counseling(session: Session, org: Organization, now: datetime, rng: random.Random) -> None:
    """Consents for every agent (most share team aggregates, some accept HR follow-up) and the demo cases."""
    agents = {u.email.split("@")[0]: u for u in session.scalars(
        select(User).where(User.org_id == org.id, User.role == "agent").order_by(User.email))}
    hr = session.scalar(select(User).where(User.org_id == org.id, User.role == "hr"))
    with_cases = {spec[0]: spec for spec in CASES if spec[0] in agents}
    for name, agent in agents.items():
        spec = with_cases.get(name)
        hr_followup = (spec is not None and spec[1] in NEEDS_CONSENT) or rng.random() < 0.35
        _consent(session, agent, rng.random() < 0.85, hr_followup, now - timedelta(days=rng.randint(30, 300)))
    session.flush()
    for index, spec in enumerate(with_cases.values()):
        _case(session, org, agents[spec[0]], hr, spec, index, now)
