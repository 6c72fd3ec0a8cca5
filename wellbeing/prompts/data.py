"""Prompts' part of the agent's data rights: export, erasure and retention."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.models import CallEvent, Device, Prompt, PromptDelivery, PromptSettings, User

TABLES = ("prompt_settings", "prompts", "prompt_deliveries", "devices", "call_events")
# Kept on erasure: the settings and push targets are the agent's standing choices, not wellbeing data
ERASED = ("prompts", "prompt_deliveries", "call_events")

_PROMPT_FIELDS = ("id", "kind", "exercise_id", "instrument_id", "source", "status", "due_at", "valid_until", "attempts", "sent_at",
                  "acknowledged_at", "completed_at", "dismissed_at", "snoozed_at", "expired_at", "opened_at", "snoozes")


def export_prompts(session: Session, user: User, keyring: Keyring) -> dict:
    """Settings, every prompt with its delivery attempts, the push targets (never their secrets or full tokens)
    and call events."""
    settings = session.get(PromptSettings, user.id)
    prompts = session.scalars(select(Prompt).where(Prompt.user_id == user.id).order_by(Prompt.due_at, Prompt.id))
    deliveries: dict[str, list[dict]] = {}
    for d in session.scalars(select(PromptDelivery).join(Prompt).where(Prompt.user_id == user.id)
                             .order_by(PromptDelivery.id)):
        deliveries.setdefault(d.prompt_id, []).append(
            {"id": d.id, "device_id": d.device_id, "attempt": d.attempt, "at": d.at, "ok": d.ok,
             "status_code": d.status_code, "error": d.error, "opened_at": d.opened_at})
    devices = session.scalars(select(Device).where(Device.user_id == user.id).order_by(Device.created_at, Device.id))
    calls = session.scalars(select(CallEvent).where(CallEvent.user_id == user.id).order_by(CallEvent.at, CallEvent.id))
    return {
        "settings": None if settings is None else {"user_id": user.id, **settings.settings},
        "prompts": [{**{f: getattr(p, f) for f in _PROMPT_FIELDS}, "deliveries": deliveries.get(p.id, [])}
                    for p in prompts],
        "devices": [{"id": d.id, "channel": d.channel, "url": d.url, "token": d.hint, "environment": d.environment,
                     "created_at": d.created_at, "last_success_at": d.last_success_at, "last_error": d.last_error,
                     "disabled_at": d.disabled_at, "disabled_reason": d.disabled_reason} for d in devices],
        "call_events": [{"id": c.id, "kind": c.kind, "at": c.at, "complaint": c.complaint, "abusive": c.abusive,
                         "duration_seconds": c.duration_seconds} for c in calls],
    }


def erase_prompts(session: Session, user: User, now: datetime) -> dict[str, int]:
    """The agent's prompts, their delivery log and call events; the planner plans the coming prompts afresh."""
    mine = select(Prompt.id).where(Prompt.user_id == user.id)
    counts = {"prompt_deliveries": session.execute(
        delete(PromptDelivery).where(PromptDelivery.prompt_id.in_(mine))).rowcount}
    counts["prompts"] = session.execute(delete(Prompt).where(Prompt.user_id == user.id)).rowcount
    counts["call_events"] = session.execute(delete(CallEvent).where(CallEvent.user_id == user.id)).rowcount
    session.execute(update(PromptSettings).where(PromptSettings.user_id == user.id).values(planned_until=None))
    return counts


def purge_prompts(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Prompts due, and call events that happened, before the cutoff, with their delivery log."""
    members = select(User.id).where(User.org_id == org_id)
    old = select(Prompt.id).where(Prompt.user_id.in_(members), Prompt.due_at < cutoff)
    counts = {"prompt_deliveries": session.execute(
        delete(PromptDelivery).where(PromptDelivery.prompt_id.in_(old))).rowcount}
    counts["prompts"] = session.execute(delete(Prompt).where(Prompt.user_id.in_(members),
                                                             Prompt.due_at < cutoff)).rowcount
    counts["call_events"] = session.execute(delete(CallEvent).where(CallEvent.org_id == org_id,
                                                                    CallEvent.at < cutoff)).rowcount
    return counts
