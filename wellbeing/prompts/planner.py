"""Materialize planned prompts as rows: a rolling-horizon top-up for every agent, and a replan on change.

The pure planner (wellbeing.prompts.schedule) decides the instants; this module only turns them into rows.
Both paths insert with the unique (user, kind, due time) key and skip what exists, so two scheduler
processes, a crash mid-batch or a replan racing a top-up can never double a prompt.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from wellbeing.core.db import upsert_insert, write_intent
from wellbeing.models import Prompt, PromptSettings, User
from wellbeing.prompts.reminders import drop_misplaced_reminders
from wellbeing.prompts.rows import insert_prompts, prompt_row
from wellbeing.prompts.agents import agent_schedule, schedule_of
from wellbeing.prompts.schedule import default_prompt_settings, plan_prompts
from wellbeing.shifts.imports import ShiftInputs, shift_inputs

__all__ = ["agent_schedule", "replan_agent", "schedule_of", "settings_row", "top_up_plans"]

HORIZON = timedelta(hours=48)
# An agent is topped up once less than HORIZON - REFRESH lies planned ahead (so about hourly)
REFRESH = timedelta(hours=1)

log = logging.getLogger(__name__)


def settings_row(session: Session, user_id: str, now: datetime) -> PromptSettings:
    """The agent's settings row, created with the defaults on first use."""
    row = session.get(PromptSettings, user_id)
    if row is None:
        row = PromptSettings(user_id=user_id, settings=default_prompt_settings(), updated_at=now)
        session.add(row)
        session.flush()
    return row


def top_up_plans(session: Session, now: datetime, batch_size: int = 500) -> dict[str, int]:
    """Extend every agent's planned prompts to now + HORIZON, a batch of agents per transaction.

    Returns the agents topped up and the prompts planned for them (any that existed already are skipped).
    Planning (Python) and storing (the database) overlap: while a writer thread stores one batch in its own
    transaction, this thread reads and plans the next, so the two cores' work is not added up (measured at
    10k agents on PostgreSQL: 4.8 s planning and 6.2 s storing, run one after the other before).
    """
    counts = {"agents": 0, "planned": 0}
    after = ""
    engine = session.get_bind()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-writer") as writer:
        storing: Future | None = None
        try:
            while True:
                batch = session.execute(
                    select(User, PromptSettings)
                    .outerjoin(PromptSettings, PromptSettings.user_id == User.id)
                    .where(User.role == "agent", User.id > after, User.deactivated_at.is_(None),
                           or_(PromptSettings.planned_until.is_(None),
                               PromptSettings.planned_until < now + HORIZON - REFRESH))
                    .order_by(User.id).limit(batch_size)).all()
                shifts = shift_inputs(session, [user.id for user, _ in batch], now, now + HORIZON)
                session.commit()  # end the read: the writer's transaction must not wait on it
                if not batch:
                    break
                rows: list[dict] = []
                settled: list[dict] = []
                for user, settings in batch:
                    if settings is None:
                        # Known to be missing (the outer join said so): created with the defaults by the upsert
                        settings = PromptSettings(user_id=user.id, settings=default_prompt_settings(), updated_at=now)
                    start = max(settings.planned_until or now, now)
                    rows.extend(_planned_rows(user, settings, start, now + HORIZON, now, shifts.get(user.id)))
                    settled.append({"user_id": user.id, "settings": settings.settings,
                                    "updated_at": settings.updated_at, "planned_until": now + HORIZON})
                if storing is not None:
                    storing.result()  # the previous batch is stored (or its error surfaces here)
                storing = writer.submit(_store_batch, engine, rows, settled)
                counts["planned"] += len(rows)
                counts["agents"] += len(batch)
                after = batch[-1][0].id
        finally:
            if storing is not None:
                storing.result()
    session.expire_all()  # the settings rows changed under this session's objects
    return counts


def _store_batch(engine: Engine, rows: list[dict], settled: list[dict]) -> None:
    """One batch in one transaction: its prompts (existing ones skipped) and each agent's planned_until."""
    with Session(engine) as writer, write_intent():
        insert_prompts(writer, rows)
        upsert = upsert_insert(engine, PromptSettings)
        upsert = upsert.on_conflict_do_update(index_elements=["user_id"],
                                              set_={"planned_until": upsert.excluded.planned_until})
        writer.execute(upsert, settled)
        writer.commit()


def replan_agent(session: Session, user: User, now: datetime) -> None:
    """Bring the agent's future unsent scheduled prompts in line with their current settings and hours.

    Rows that the new plan still wants keep their ids; the others are deleted; new instants are added.
    Nothing already sent, answered, snoozed or being delivered is touched. A questionnaire reminder that no
    longer falls in the allowed hours is deleted (the next reminder planning places it anew). The caller commits.
    """
    settings = settings_row(session, user.id, now)
    shifts = shift_inputs(session, [user.id], now, now + HORIZON).get(user.id)
    wanted = {(row["kind"], row["due_at"]): row
              for row in _planned_rows(user, settings, now, now + HORIZON, now, shifts)}
    future = session.scalars(select(Prompt).where(
        Prompt.user_id == user.id, Prompt.status == "scheduled", Prompt.source == "schedule", Prompt.due_at >= now,
        Prompt.kind != "questionnaire",
        or_(Prompt.claimed_until.is_(None), Prompt.claimed_until <= now))).all()
    stale = [prompt.id for prompt in future if (prompt.kind, prompt.due_at) not in wanted]
    if stale:
        session.execute(delete(Prompt).where(Prompt.id.in_(stale), Prompt.status == "scheduled"))
    for prompt in future:
        wanted.pop((prompt.kind, prompt.due_at), None)
    insert_prompts(session, list(wanted.values()))
    settings.planned_until = now + HORIZON
    drop_misplaced_reminders(session, user, now)


def _planned_rows(user: User, settings: PromptSettings, start: datetime, end: datetime, now: datetime,
                  shifts: ShiftInputs | None = None) -> list[dict]:
    if start >= end:
        return []
    try:
        planned = plan_prompts(schedule_of(user, settings.settings, shifts), start, end)
    except ValueError as error:
        # A profile the planner cannot read plans nothing; the agent still gets tough-call prompts later
        log.warning("not planning prompts for user %s: %s", user.id, error)
        return []
    return [prompt_row(user.id, item, now) for item in planned]
