"""Call events from the contact-center system: live calls hold deliveries, tough runs trigger a breathing prompt."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core import reactions
from wellbeing.core.db import new_id, write_intent
from wellbeing.core.clock import reported_time_error
from wellbeing.core.errors import Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.models import CallEvent, Prompt, User
from wellbeing.prompts import schedule
from wellbeing.prompts.events import ToughCallPromptPlanned
from wellbeing.prompts.planner import agent_schedule, settings_row
from wellbeing.prompts.rows import insert_prompts, prompt_row

# A call reported as started but never as ended stops holding deliveries after this long
LONGEST_CALL = timedelta(hours=2)
_DEAD = ("dismissed", "expired")


def record_call_event(session: Session, org_id: str, kind: str, data: Mapping[str, Any], fingerprint: str,
                      now: datetime) -> tuple[CallEvent, bool]:
    """Store a call start or end (idempotent on the client's id); an end may schedule a tough-call prompt now."""
    user = session.get(User, str(data["user_id"]))
    if user is None or user.org_id != org_id:
        raise NotFound("No such user in your organization.")
    event_id = str(data["id"]) if data.get("id") else None
    field = "ended_at" if kind == "ended" else "started_at"
    at = data[field]
    # The diary's window: a far-future start would hold the agent's prompts for as long as it lies ahead.
    message = reported_time_error(at, now)
    if message:
        raise Invalid(f"{field}: {message}", fields={field: [message]}, code=f"{field}_out_of_range")

    def build() -> CallEvent:
        return CallEvent(id=event_id or new_id(), org_id=org_id, user_id=user.id, kind=kind, at=at,
                         complaint=bool(data.get("complaint")), abusive=bool(data.get("abusive")),
                         duration_seconds=data.get("duration_seconds"), received_at=now)

    def after(event: CallEvent) -> None:
        call_happened(session, user, kind, at, now)

    with write_intent():
        return create_once(session, CallEvent, event_id, fingerprint, build,
                           lambda stored: stored.org_id == org_id and stored.kind == kind, after)


def call_happened(session: Session, user: User, kind: str, at: datetime, now: datetime) -> None:
    """What a stored call start or end does: a start holds deliveries, an end releases them and may plan a
    tough-call prompt now (announced, so a recovery break can go with it). The caller commits."""
    settings = settings_row(session, user.id, now)
    settings.in_call_until = at + LONGEST_CALL if kind == "started" else None
    if kind == "ended":
        _maybe_tough_call_prompt(session, user, settings.settings, now)


def reassess_tough_calls(session: Session, user: User, now: datetime) -> None:
    """A stored call was marked tough after it ended (a platform's post-call rule): the run is counted again."""
    _maybe_tough_call_prompt(session, user, settings_row(session, user.id, now).settings, now)


def _maybe_tough_call_prompt(session: Session, user: User, settings: dict, now: datetime) -> None:
    calls = [schedule.CallEvent(c.at, c.complaint, c.abusive) for c in session.scalars(select(CallEvent).where(
        CallEvent.user_id == user.id, CallEvent.kind == "ended", CallEvent.at > now - schedule.TOUGH_CALL_LOOKBACK))]
    existing = session.scalars(select(Prompt.due_at).where(
        Prompt.user_id == user.id, Prompt.status.not_in(_DEAD),
        Prompt.due_at > now - timedelta(days=1), Prompt.due_at < now + timedelta(days=1))).all()
    last = session.scalar(select(Prompt.due_at).where(Prompt.user_id == user.id, Prompt.source == "tough_calls")
                          .order_by(Prompt.due_at.desc()).limit(1))
    try:
        planned = schedule.tough_call_prompt(now, agent_schedule(session, user, settings, now, now), calls, existing,
                                             last)
    except ValueError:
        return
    if planned is not None:
        row = prompt_row(user.id, planned, now)
        insert_prompts(session, [row])
        reactions.announce(session, ToughCallPromptPlanned(user, row["id"], now))
