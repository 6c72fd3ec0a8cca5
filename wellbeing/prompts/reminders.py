"""Questionnaire reminders: ask each agent to retake the most overdue enabled instrument, at most once a local day.

An instrument is due when the agent never answered it or answered it `reminder_days` ago or longer (the survey
file's rhythm, or the organization's own: wellbeing.assessments.catalog.reminder_rhythm). A reminder is a prompt
row of kind ``questionnaire`` naming the instrument, planned in the agent's next work window (outside quiet hours,
in their zone) and delivered by the dispatcher like any prompt, so it also waits out a live call. One is pending
at a time; answering the instrument settles it (``withdraw_reminders``, a reaction to AssessmentRecorded).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.orm import Session

from wellbeing.assessments.catalog import enabled_ids, reminder_rhythm
from wellbeing.core.db import write_intent
from wellbeing.models import Assessment, Prompt, User
from wellbeing.prompts.agents import schedule_of
from wellbeing.prompts.rows import insert_prompts, reminder_row
from wellbeing.prompts.schedule import AgentSchedule, allowed_until, reminder_slots
from wellbeing.shifts.imports import ShiftInputs, shift_inputs

HORIZON = timedelta(hours=48)
PENDING = ("scheduled", "snoozed")
DELIVERED = ("sent", "acknowledged")

log = logging.getLogger(__name__)


def plan_reminders(session: Session, now: datetime, batch_size: int = 500) -> dict[str, int]:
    """Plan the next questionnaire reminder of every agent without a pending one, a batch per transaction.

    Idempotent: the slot of a local day is fixed, and the unique (user, kind, due time) key skips a row
    that another scheduler process inserted meanwhile.
    """
    counts = {"agents": 0, "planned": 0}
    orgs: dict[str, tuple[list[str], dict[str, int]]] = {}
    after = ""
    while True:
        users = session.scalars(select(User).where(User.role == "agent", User.deactivated_at.is_(None), User.id > after)
                                .order_by(User.id).limit(batch_size)).all()
        if not users:
            break
        ids = [user.id for user in users]
        shifts = shift_inputs(session, ids, now, now + HORIZON)
        last = _last_answers(session, ids)
        recent = _recent_reminders(session, ids, now)
        rows = []
        for user in users:
            if user.org_id not in orgs:
                orgs[user.org_id] = (enabled_ids(session, user.org_id), reminder_rhythm(session, user.org_id))
            enabled, rhythm = orgs[user.org_id]
            row = _next_reminder(user, enabled, rhythm, last.get(user.id, {}), recent.get(user.id, []), now,
                                 shifts.get(user.id))
            if row is not None:
                rows.append(row)
        session.commit()  # end the read before taking the write lock
        with write_intent():
            insert_prompts(session, rows)
            session.commit()
        counts["agents"] += len(users)
        counts["planned"] += len(rows)
        after = ids[-1]
    return counts


def withdraw_reminders(session: Session, user_id: str, instrument_id: str, now: datetime) -> None:
    """The agent answered the instrument: a reminder not yet sent expires unsent, a delivered one is completed."""
    mine = (update(Prompt).where(Prompt.user_id == user_id, Prompt.kind == "questionnaire",
                                 Prompt.instrument_id == instrument_id)
            .execution_options(synchronize_session=False))
    session.execute(mine.where(Prompt.status.in_(PENDING)).values(status="expired", expired_at=now,
                                                                  claimed_until=None))
    session.execute(mine.where(Prompt.status.in_(DELIVERED)).values(status="completed", completed_at=now))


def drop_misplaced_reminders(session: Session, user: User, now: datetime) -> None:
    """After a change of zone or hours: delete unsent reminders that now fall outside the allowed hours.

    The next planning run places a new one in the new hours; a reminder being delivered is left alone.
    """
    schedule = _schedule(user, shift_inputs(session, [user.id], now, now + HORIZON).get(user.id))
    future = session.scalars(select(Prompt).where(
        Prompt.user_id == user.id, Prompt.kind == "questionnaire", Prompt.status == "scheduled",
        Prompt.due_at >= now, (Prompt.claimed_until.is_(None)) | (Prompt.claimed_until <= now))).all()
    misplaced = [prompt.id for prompt in future if not _still_allowed(schedule, prompt)]
    if misplaced:
        session.execute(delete(Prompt).where(Prompt.id.in_(misplaced), Prompt.status == "scheduled"))


def most_overdue(enabled: Sequence[str], rhythm: dict[str, int], last: dict[str, datetime],
                 at: datetime) -> str | None:
    """The enabled instrument most overdue at `at`: never answered first (in catalog order), then the longest
    past its rhythm; None when none is due."""
    due = []
    for order, key in enumerate(enabled):
        answered = last.get(key)
        if answered is None:
            due.append(((0, timedelta(0), order), key))
        elif answered + timedelta(days=rhythm[key]) <= at:
            due.append(((1, answered + timedelta(days=rhythm[key]) - at, order), key))
    return min(due)[1] if due else None


def _next_reminder(user: User, enabled: list[str], rhythm: dict[str, int], last: dict[str, datetime],
                   recent: list[Row], now: datetime, shifts: ShiftInputs | None = None) -> dict | None:
    if not enabled or any(row.status in PENDING and row.valid_until > now for row in recent):
        return None
    try:
        zone = ZoneInfo(user.timezone)
        slots = reminder_slots(_schedule(user, shifts), now, now + HORIZON)
    except (ValueError, KeyError) as error:
        log.warning("not planning questionnaire reminders for user %s: %s", user.id, error)
        return None
    taken: set[date] = {row.due_at.astimezone(zone).date() for row in recent}
    for slot in slots:
        if slot.day in taken:
            continue
        instrument_id = most_overdue(enabled, rhythm, last, slot.due_at)
        if instrument_id is not None:
            return reminder_row(user.id, instrument_id, slot, now)
    return None


def _schedule(user: User, shifts: ShiftInputs | None = None) -> AgentSchedule:
    # Reminders follow only the agent's hours (imported shifts first) and zone, not the breathing and break settings
    return schedule_of(user, {}, shifts)


def _still_allowed(schedule: AgentSchedule, prompt: Prompt) -> bool:
    try:
        return allowed_until(schedule, prompt.due_at) is not None
    except (ValueError, KeyError):
        return False


def _last_answers(session: Session, user_ids: list[str]) -> dict[str, dict[str, datetime]]:
    """When each of the users last answered each instrument."""
    last: dict[str, dict[str, datetime]] = {}
    for user_id, instrument_id, at in session.execute(
            select(Assessment.user_id, Assessment.instrument_id, func.max(Assessment.completed_at))
            .where(Assessment.user_id.in_(user_ids)).group_by(Assessment.user_id, Assessment.instrument_id)):
        last.setdefault(user_id, {})[instrument_id] = at
    return last


def _recent_reminders(session: Session, user_ids: list[str], now: datetime) -> dict[str, list[Row]]:
    """The users' reminders due from two days back on: enough to see pending ones and the days already used."""
    recent: dict[str, list[Row]] = {}
    for row in session.execute(
            select(Prompt.user_id, Prompt.status, Prompt.due_at, Prompt.valid_until)
            .where(Prompt.user_id.in_(user_ids), Prompt.kind == "questionnaire",
                   Prompt.due_at >= now - timedelta(days=2))):
        recent.setdefault(row.user_id, []).append(row)
    return recent
