"""The prompt ledger as the agent moves through it: list, acknowledge, complete, dismiss, snooze."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.errors import Conflict, NotFound, Throttled
from wellbeing.models import Device, Prompt, PromptDelivery
from wellbeing.prompts.schedule import VALIDITY

MAX_SNOOZES = 3

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
    if action == "snooze" and prompt.snoozes >= MAX_SNOOZES:
        raise Throttled(f"A prompt can be snoozed at most {MAX_SNOOZES} times.", retry_after=3600,
                        code="snooze_limit")
    prompt.status = target
    setattr(prompt, stamp, now)
    if action == "snooze":
        prompt.snoozes += 1
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


def mark_opened(session: Session, user_id: str, prompt_id: str, device_id: str | None, now: datetime) -> Prompt:
    """The phone showed the prompt: the first report sets `opened_at` (on the prompt, and on the device's
    deliveries of it when the app names its device); repeats change nothing."""
    prompt = get_own_prompt(session, user_id, prompt_id)
    if device_id is not None:
        device = session.get(Device, device_id) if _is_uuid(device_id) else None
        if device is None or device.user_id != user_id:
            raise NotFound("No such device.")
        session.execute(update(PromptDelivery).where(
            PromptDelivery.prompt_id == prompt.id, PromptDelivery.device_id == device.id, PromptDelivery.ok,
            PromptDelivery.opened_at.is_(None)).values(opened_at=now), execution_options={"synchronize_session": False})
    if prompt.opened_at is None:
        prompt.opened_at = now
    session.commit()
    return prompt


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
