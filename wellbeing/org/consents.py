"""Consents: the agent's choices, every change recorded with its time and the policy version."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core import reactions
from wellbeing.core.crypto import Keyring
from wellbeing.core.errors import Conflict
from wellbeing.models import CONSENTS, Consent, ConsentChange, User
from wellbeing.org.events import ConsentWithdrawn

# The version of the consent text the app shows; bump it when the wording or the scope changes.
POLICY_VERSION = "2026-01"


def current_consents(session: Session, user_id: str) -> dict:
    """The user's choices (nothing consented until they choose) and the policy version they chose under."""
    row = session.get(Consent, user_id)
    if row is None:
        return {"team_aggregates": False, "hr_followup": False, "policy_version": None, "updated_at": None}
    return {"team_aggregates": row.team_aggregates, "hr_followup": row.hr_followup,
            "policy_version": row.policy_version, "updated_at": row.updated_at}


def has_consent(session: Session, user_id: str, consent: str) -> bool:
    """Whether the user currently consents to ``consent`` (``team_aggregates`` or ``hr_followup``)."""
    if consent not in CONSENTS:
        raise ValueError(f"unknown consent {consent!r}")
    return bool(session.scalar(select(getattr(Consent, consent)).where(Consent.user_id == user_id)))


def set_consents(session: Session, user: User, choices: dict[str, bool], now: datetime) -> dict:
    """Record the user's choices; each consent whose value changes (or is chosen the first time) gets a history row.

    Withdrawing ``hr_followup`` takes effect at once: HR loses sight of the cases the consent
    opened, and those cases are closed with their coming appointments cancelled.
    """
    row = session.get(Consent, user.id, with_for_update=True)
    first = row is None
    if first:
        row = Consent(user_id=user.id, team_aggregates=False, hr_followup=False, policy_version=POLICY_VERSION,
                      updated_at=now)
        session.add(row)
    for consent in CONSENTS:
        if consent in choices and (first or getattr(row, consent) != choices[consent]):
            setattr(row, consent, choices[consent])
            session.add(ConsentChange(user_id=user.id, consent=consent, granted=choices[consent],
                                      policy_version=POLICY_VERSION, changed_at=now))
            if not choices[consent]:
                reactions.announce(session, ConsentWithdrawn(user.id, consent, now))
    row.policy_version = POLICY_VERSION
    row.updated_at = now
    try:
        session.commit()
    except IntegrityError:
        # Two first choices raced on the primary key; the loser retries against the winner's row.
        session.rollback()
        raise Conflict("Your consents were being changed at the same time; try again.") from None
    return current_consents(session, user.id)


def history_query(user_id: str) -> Select:
    """The user's consent changes (paginate newest first)."""
    return select(ConsentChange).where(ConsentChange.user_id == user_id)


def export_consents(session: Session, user: User, keyring: Keyring) -> dict:
    """The user's current choices and their whole history, oldest first."""
    changes = session.scalars(history_query(user.id).order_by(ConsentChange.changed_at, ConsentChange.id))
    return {
        "current": current_consents(session, user.id),
        "history": [{"id": c.id, "consent": c.consent, "granted": c.granted, "policy_version": c.policy_version,
                     "changed_at": c.changed_at} for c in changes],
    }

