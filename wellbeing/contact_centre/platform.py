"""Platform events, whatever the platform: recorded once per event id, agents matched by their platform id, and
mapped onto the generic call-event logic (a start holds prompts, an end may plan a tough-call prompt).

Events arrive in any order and more than once (EventBridge delivers at least once, best effort):
- a redelivered event id changes nothing;
- a start that arrives after its call's end is ignored (it must not hold prompts for a call that is over);
- a second end of the same call is ignored;
- a rule match (Contact Lens) marks the call tough: before the end it is counted when the end arrives, after the
  end the run is counted again at once (the tough-call rules still want it fresh);
- an event for an agent no user carries the platform id of is accepted and ignored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.db import new_id, write_intent
from wellbeing.core.errors import DomainError
from wellbeing.models import CallEvent, PlatformContact, PlatformRule, User
from wellbeing.models import PlatformEvent as ReceivedEvent
from wellbeing.prompts.calls import call_happened, reassess_tough_calls


ATTEMPTS = 5


class Malformed(DomainError):
    """The body is not an event of the platform (400 problem+json naming the field)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail, fields={field: [detail]}, code="malformed_event")


@dataclass(frozen=True)
class PlatformEvent:
    """One platform event in the service's terms: `kind` started | ended | rule, or None (ignored, and why)."""

    event_id: str
    kind: str | None
    agent: str | None = None
    contact_id: str | None = None
    at: datetime | None = None
    rules: tuple[str, ...] = ()
    ignored: str | None = None


def receive(session: Session, org_id: str, platform: str, event: PlatformEvent, now: datetime) -> tuple[str, str | None]:
    """Record and apply one event; returns (outcome, detail): started, ended, rule, duplicate or ignored.

    Deliveries racing each other (the same event twice, or two events of one new call) meet at a unique key; the
    loser starts over and then sees what the winner stored (a few rounds at most: one per key it can lose on).
    """
    for attempt in range(1, ATTEMPTS + 1):
        with write_intent():
            if session.scalar(select(ReceivedEvent.id).where(ReceivedEvent.org_id == org_id,
                                                             ReceivedEvent.platform == platform,
                                                             ReceivedEvent.event_id == event.event_id)) is not None:
                session.commit()
                return "duplicate", None
            try:
                outcome, detail = _apply(session, org_id, platform, event, now)
                session.add(ReceivedEvent(org_id=org_id, platform=platform, event_id=event.event_id,
                                          outcome=outcome, outcome_detail=detail, received_at=now))
                session.commit()
            except IntegrityError:
                session.rollback()
                if attempt == ATTEMPTS:
                    raise
                continue
        return outcome, detail
    raise AssertionError("unreachable")


def find_agent(session: Session, org_id: str, platform: str, platform_user_id: str) -> User | None:
    """The organization's active agent whose external id on the platform is `platform_user_id`."""
    return session.scalar(select(User).where(
        User.org_id == org_id, User.role == "agent", User.deactivated_at.is_(None),
        User.external_ids[platform].as_string() == platform_user_id).limit(1))


def rule_kinds(session: Session, org_id: str, platform: str, names: Iterable[str]) -> set[str]:
    """What the organization's mapping makes of these rule names or categories: complaint, abusive, both, none."""
    lowered = {name.lower() for name in names}
    if not lowered:
        return set()
    return set(session.scalars(select(PlatformRule.kind).where(
        PlatformRule.org_id == org_id, PlatformRule.platform == platform, PlatformRule.name.in_(lowered))))


def _apply(session: Session, org_id: str, platform: str, event: PlatformEvent, now: datetime) -> tuple[str, str | None]:
    if event.kind is None:
        return "ignored", event.ignored
    user = find_agent(session, org_id, platform, event.agent or "")
    if user is None:
        return "ignored", "unknown_agent"
    contact = session.scalar(select(PlatformContact).where(
        PlatformContact.org_id == org_id, PlatformContact.platform == platform,
        PlatformContact.contact_id == event.contact_id))
    if contact is None:
        contact = PlatformContact(id=new_id(), org_id=org_id, platform=platform, contact_id=event.contact_id,
                                  user_id=user.id, complaint=False, abusive=False)
        session.add(contact)
        session.flush()
    if contact.user_id != user.id:
        return "ignored", "other_agent"  # a transfer: the contact continues with another agent under its own id
    if event.kind == "started":
        if contact.ended_at is not None:
            return "ignored", "after_end"
        contact.started_at = event.at
        session.add(CallEvent(id=new_id(), org_id=org_id, user_id=user.id, kind="started", at=event.at,
                              complaint=False, abusive=False, received_at=now))
        call_happened(session, user, "started", event.at, now)
        return "started", None
    if event.kind == "ended":
        if contact.ended_at is not None:
            return "ignored", "already_ended"
        contact.ended_at = event.at
        call = CallEvent(id=new_id(), org_id=org_id, user_id=user.id, kind="ended", at=event.at,
                         complaint=contact.complaint, abusive=contact.abusive, received_at=now,
                         duration_seconds=_seconds(contact.started_at, event.at))
        session.add(call)
        session.flush()
        contact.call_event_id = call.id
        call_happened(session, user, "ended", event.at, now)
        return "ended", None
    kinds = rule_kinds(session, org_id, platform, event.rules)
    if not kinds:
        return "ignored", "unmapped_rule"
    contact.complaint = contact.complaint or "complaint" in kinds
    contact.abusive = contact.abusive or "abusive" in kinds
    if contact.call_event_id is not None:
        call = session.get(CallEvent, contact.call_event_id)
        if call is not None and not (call.complaint == contact.complaint and call.abusive == contact.abusive):
            call.complaint, call.abusive = contact.complaint, contact.abusive
            session.flush()
            reassess_tough_calls(session, user, now)
    return "rule", ",".join(sorted(kinds))


def _seconds(start: datetime | None, end: datetime) -> int | None:
    if start is None or end < start:
        return None
    return min(int((end - start).total_seconds()), 86_400)
