"""The prompt ledger as the agent moves through it: list, acknowledge, complete, dismiss, snooze."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.errors import Conflict, NotFound
from wellbeing.models import Prompt
from wellbeing.prompts.schedule import VALIDITY

# action -> (statuses it may start from, status it leads to, timestamp column it sets)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "ack": (("sent",), "acknowledged", "acknowledged_at"),
    "complete": (("sent", "acknowledged"), "completed", "completed_at"),
    "dismiss": (("scheduled", "sent", "acknowledged", "snoozed"), "dismissed", "dismissed_at"),
    "snooze": (("sent", "acknowledged"), "snoozed", "snoozed_at"),
}


def prompts_query(user_id: str, status: str | None = None) -> Select:
    """The agent's own prompts, optionally in one status (the caller orders and pages)."""
    stmt = select(Prompt).where(Prompt.user_id == user_id)
    return stmt if status is None else stmt.where(Prompt.status == status)


def get_own_prompt(session: Session, user_id: str, prompt_id: str) -> Prompt:
    """One of the agent's prompts; anyone else's is NotFound, exactly like a missing one."""
    prompt = session.get(Prompt, prompt_id) if _is_uuid(prompt_id) else None
    if prompt is None or prompt.user_id != user_id:
        raise NotFound("No such prompt.")
    return prompt


def move_prompt(session: Session, user_id: str, prompt_id: str, action: str, now: datetime,
                snooze_minutes: int | None = None) -> Prompt:
    """Apply the agent's action; an action the prompt's status does not allow is a 409 naming both."""
    sources, target, stamp = TRANSITIONS[action]
    prompt = get_own_prompt(session, user_id, prompt_id)
    if prompt.status not in sources:
        raise Conflict(f"A {prompt.status} prompt cannot be moved to {target}.", code="invalid_transition")
    prompt.status = target
    setattr(prompt, stamp, now)
    if action == "snooze":
        # Back in the queue at the new time, with a fresh validity window
        prompt.due_at = prompt.next_attempt_at = now + timedelta(minutes=snooze_minutes or 0)
        prompt.valid_until = prompt.due_at + VALIDITY[prompt.kind]
        prompt.claimed_until = None
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Another prompt of this kind is due at that time; choose other minutes.",
                       code="snooze_conflict") from None
    return prompt


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
