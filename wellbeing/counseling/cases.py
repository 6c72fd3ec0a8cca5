"""Opening counseling cases (self-referral, HR for a consenting agent, an alert rule) and HR's case work."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id
from wellbeing.core.errors import Conflict, Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.core.pagination import Page, keyset_page
from wellbeing.counseling.common import (
    ACTIVE_STATES,
    RISK_LEVELS,
    appointments_of,
    case_for_agent,
    case_for_hr,
    check_reason_category,
    consents_to_followup,
    hr_visible,
    record_event,
)
from wellbeing.counseling.reminders import sync_follow_up_reminder
from wellbeing.counseling.views import agent_case_view, hr_case_summary, hr_case_view, notes_aad, reason_aad
from wellbeing.models import CounselingCase, User
from wellbeing.org.access_log import record_access

FOLLOW_UP_HORIZON = timedelta(days=366)


def plain_windows(windows: list[dict] | None) -> list[dict]:
    """Preferred time windows as stored: UTC RFC 3339 strings."""
    return [{key: w[key].isoformat().replace("+00:00", "Z") for key in ("starts_at", "ends_at")} for w in windows or []]


def open_self_referral(session: Session, agent: User, data: dict, case_id: str | None, fingerprint: str,
                       keyring: Keyring, now: datetime) -> tuple[dict, bool]:
    """The agent asks for counseling: HR sees this case whatever the agent's consents."""
    check_reason_category(data.get("reason_category"))

    def build() -> CounselingCase:
        new = CounselingCase(id=case_id or new_id(), org_id=agent.org_id, user_id=agent.id, opened_by="agent",
                             reason_category=data.get("reason_category"),
                             preferred_times=plain_windows(data.get("preferred_times")), opened_at=now)
        if data.get("reason"):
            new.reason_ciphertext = keyring.encrypt(data["reason"], reason_aad(new.id))
        return new

    case, created = create_once(session, CounselingCase, case_id, fingerprint, build,
                                lambda c: c.user_id == agent.id and c.opened_by == "agent",
                                after=lambda c: _opened(session, c, "agent", now))
    return agent_case_view(session, case, agent, keyring), created


def _opened(session: Session, case: CounselingCase, actor_role: str, now: datetime) -> None:
    record_event(session, case, "opened", actor_role, now, opened_by=case.opened_by)
    session.flush()


def open_case_by_hr(session: Session, hr: User, data: dict, case_id: str | None, fingerprint: str, purpose: str | None,
                    keyring: Keyring, now: datetime) -> tuple[dict, bool]:
    """HR opens a case for an agent of their organization who consents to HR follow-up."""
    check_reason_category(data.get("reason_category"))
    agent = session.get(User, data["user_id"])
    if agent is None or agent.org_id != hr.org_id or agent.role != "agent":
        raise NotFound("No such agent.")
    if not consents_to_followup(session, agent.id):
        raise Invalid("This agent has not consented to HR follow-up.", code="no_consent",
                      fields={"user_id": ["The agent has not consented to HR follow-up."]})

    def build() -> CounselingCase:
        return CounselingCase(id=case_id or new_id(), org_id=hr.org_id, user_id=agent.id, opened_by="hr",
                              opened_by_id=hr.id, reason_category=data.get("reason_category"), opened_at=now)

    def after(case: CounselingCase) -> None:
        record_event(session, case, "opened", "hr", now, opened_by="hr")
        record_access(session, hr, agent.id, "open_case", "counseling_case", case.id, ["case"], purpose, now)

    case, created = create_once(session, CounselingCase, case_id, fingerprint, build,
                                lambda c: c.org_id == hr.org_id and c.opened_by_id == hr.id, after=after)
    return hr_case_view(session, case, hr, keyring)[0], created


def open_case_from_alert(session: Session, user: User, reason_category: str, risk_level: str | None,
                         now: datetime) -> CounselingCase | None:
    """An alert rule fired: open an HR follow-up case if the agent consents, at most one open at a time.

    Returns the open alert case (new or existing), or None without consent. Joins the caller's
    transaction: it flushes and leaves the commit to the caller.
    """
    check_reason_category(reason_category)
    if risk_level is not None and risk_level not in RISK_LEVELS:
        raise ValueError(f"unknown risk level {risk_level!r}")
    if user.role != "agent" or not consents_to_followup(session, user.id):
        return None
    existing = _open_alert_case(session, user.id)
    if existing is not None:
        return existing
    case = CounselingCase(id=new_id(), org_id=user.org_id, user_id=user.id, opened_by="alert",
                          reason_category=reason_category, risk_level_at_opening=risk_level, opened_at=now)
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
            _opened(session, case, "system", now)
    except IntegrityError:
        # Another alert opened the case first (the partial unique index): that one is the case.
        return _open_alert_case(session, user.id)
    return case


def _open_alert_case(session: Session, user_id: str) -> CounselingCase | None:
    return session.scalar(select(CounselingCase).where(
        CounselingCase.user_id == user_id, CounselingCase.opened_by == "alert", CounselingCase.status == "open"))


def set_follow_up(session: Session, case: CounselingCase, hr: User, day: date | None, now: datetime) -> None:
    """Set (or clear) the next follow-up date; HR is nudged at 09:00 of that day in their zone."""
    if case.status != "open":
        raise Conflict("The case is closed.", code="case_closed")
    today = now.astimezone(ZoneInfo(hr.timezone)).date()
    if day is not None and not today <= day <= today + FOLLOW_UP_HORIZON:
        raise Invalid("The follow-up date must be today or later, within a year.",
                      fields={"next_follow_up_on": ["Choose a day from today to a year ahead."]})
    case.next_follow_up_on = day
    record_event(session, case, "follow_up_set" if day else "follow_up_cleared", "hr", now,
                 **({"next_follow_up_on": day.isoformat()} if day else {}))
    session.flush()
    sync_follow_up_reminder(session, case, hr, now)


def update_case(session: Session, hr: User, case_id: str, changes: dict, purpose: str | None, keyring: Keyring,
                now: datetime) -> dict:
    """HR closes a case, sets the next follow-up date, or writes their notes (encrypted, HR-only)."""
    case = case_for_hr(session, hr, case_id, lock=True)
    if "next_follow_up_on" in changes:
        set_follow_up(session, case, hr, changes["next_follow_up_on"], now)
    if "hr_notes" in changes:
        notes = changes["hr_notes"]
        case.hr_notes_ciphertext = keyring.encrypt(notes, notes_aad(case.id)) if notes else None
    if changes.get("status") == "closed":
        _close(session, case, hr, now)
    view, disclosed = hr_case_view(session, case, hr, keyring)
    record_access(session, hr, case.user_id, "update_case", "counseling_case", case.id, disclosed, purpose, now)
    session.commit()
    return view


def _close(session: Session, case: CounselingCase, hr: User, now: datetime) -> None:
    if case.status == "closed":
        raise Conflict("The case is already closed.", code="case_closed")
    if any(a.state in ACTIVE_STATES for a in appointments_of(session, case.id)):
        raise Conflict("Cancel or record the case's open appointments first.", code="appointments_open")
    case.status, case.closed_at, case.closed_reason = "closed", now, "closed_by_hr"
    record_event(session, case, "closed", "hr", now, reason="closed_by_hr")
    session.flush()
    sync_follow_up_reminder(session, case, None, now)


def read_case_for_hr(session: Session, hr: User, case_id: str, purpose: str | None, keyring: Keyring,
                     now: datetime) -> dict:
    """HR reads one case; the read is logged for the agent to see."""
    case = case_for_hr(session, hr, case_id)
    view, disclosed = hr_case_view(session, case, hr, keyring)
    record_access(session, hr, case.user_id, "read_case", "counseling_case", case.id, disclosed, purpose, now)
    session.commit()
    return view


def list_cases_for_hr(session: Session, hr: User, filters: dict, limit: int, after: tuple | None,
                      purpose: str | None, now: datetime) -> Page:
    """HR's list of the cases they may see, newest first; each listed case is logged as read."""
    stmt = select(CounselingCase).where(CounselingCase.org_id == hr.org_id, hr_visible())
    if filters.get("status"):
        stmt = stmt.where(CounselingCase.status == filters["status"])
    if filters.get("user_id"):
        stmt = stmt.where(CounselingCase.user_id == filters["user_id"])
    page = keyset_page(session, stmt, CounselingCase.opened_at, CounselingCase.id, limit, after)
    names = dict(session.execute(select(User.id, User.name).where(
        User.id.in_({c.user_id for c in page.items}))).all())
    for case in page.items:
        record_access(session, hr, case.user_id, "list_cases", "counseling_case", case.id, ["case_summary"], purpose, now)
    session.commit()
    return Page([hr_case_summary(c, names[c.user_id]) for c in page.items], page.next_key)


def list_cases_for_agent(session: Session, agent: User, limit: int, after: tuple | None, keyring: Keyring) -> Page:
    """The agent's own cases with their appointments and history, newest first."""
    stmt = select(CounselingCase).where(CounselingCase.user_id == agent.id)
    page = keyset_page(session, stmt, CounselingCase.opened_at, CounselingCase.id, limit, after)
    return Page([agent_case_view(session, c, agent, keyring) for c in page.items], page.next_key)


def read_case_for_agent(session: Session, agent: User, case_id: str, keyring: Keyring) -> dict:
    """One of the agent's own cases."""
    return agent_case_view(session, case_for_agent(session, agent, case_id), agent, keyring)
