"""Questionnaire results: record an agent's answers, scored exactly, and their history (alerts go on in wellbeing.reactions)."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wellbeing.assessments import catalog
from wellbeing.assessments.events import AssessmentRecorded
from wellbeing.assessments.instruments import Instrument, min_interval
from wellbeing.assessments.resources import help_resources
from wellbeing.assessments.scoring import AnswerError, score_answers
from wellbeing.assessments.support import support_block
from wellbeing.core import reactions
from wellbeing.core.db import new_id
from wellbeing.core.clock import REPORTED_FUTURE, REPORTED_PAST, reported_time_error
from wellbeing.core.errors import Conflict, Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.models import Assessment, Organization, User
from wellbeing.org.consents import has_consent

# Phones answer offline; a result may arrive late, but not from further back than the diary accepts.
BACKDATE_LIMIT = REPORTED_PAST
FUTURE_TOLERANCE = REPORTED_FUTURE


@dataclass(frozen=True)
class Recorded:
    """The stored result, whether this request created it, its alerts and the support block they call for."""

    assessment: Assessment
    created: bool
    alerts: tuple[dict[str, Any], ...]
    support: dict[str, Any] | None


def record_assessment(session: Session, user: User, data: Mapping[str, Any], fingerprint: str, now: datetime,
                      lang: str) -> Recorded:
    """Score and store one completed questionnaire, idempotent on the client's id, and announce it (the risk is
    recomputed and the alerts routed in the same transaction). A replay returns the stored result with its alerts
    and routes nothing again; a new answer inside the instrument's minimum interval is a Conflict."""
    assessment_id = str(data["id"]) if data.get("id") else None

    def build() -> Assessment:
        instrument = _offered(session, user.org_id, data["instrument"])
        completed_at = _completed_at(data.get("completed_at"), now)
        _check_interval(session, user, instrument, completed_at, assessment_id)
        try:
            result = score_answers(instrument, data["answers"])
        except AnswerError as error:
            raise _answers_invalid(error) from None
        return Assessment(
            id=assessment_id or new_id(), user_id=user.id, instrument_id=instrument.id,
            instrument_version=result.instrument_version, answers=dict(data["answers"]), scores=result.scores,
            unrounded=result.unrounded, bands=result.bands, alerts=[asdict(alert) for alert in result.alerts],
            completed_at=completed_at, created_at=now,
        )

    def after(assessment: Assessment) -> None:
        reactions.announce(session, AssessmentRecorded(user, assessment, now))

    assessment, created = create_once(session, Assessment, assessment_id, fingerprint, build,
                                      lambda stored: stored.user_id == user.id, after)
    alerts = tuple(assessment.alerts)
    support = None
    if alerts:
        resources = help_resources(session.get(Organization, user.org_id), lang)
        support = support_block(alerts, resources, lang, has_consent(session, user.id, "hr_followup"))
    return Recorded(assessment, created, alerts, support)


def get_own_assessment(session: Session, user_id: str, assessment_id: str) -> Assessment:
    """One of the user's own results; anyone else's is NotFound, exactly like a missing one."""
    # Ids are UUID text; anything else cannot exist (and a NUL byte would upset PostgreSQL).
    assessment = session.get(Assessment, assessment_id) if _is_uuid(assessment_id) else None
    if assessment is None or assessment.user_id != user_id:
        raise NotFound("No such assessment.")
    return assessment


def history_query(user_id: str, instrument_id: str | None = None) -> Select:
    """The user's own results, optionally of one instrument (the caller orders and pages)."""
    stmt = select(Assessment).where(Assessment.user_id == user_id)
    if instrument_id is not None:
        stmt = stmt.where(Assessment.instrument_id == instrument_id)
    return stmt


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _offered(session: Session, org_id: str, instrument_id: str) -> Instrument:
    instrument = catalog.instrument_catalog().get(instrument_id)
    if instrument is None:
        raise Invalid(f"Unknown instrument {instrument_id!r}.",
                      fields={"instrument": ["Unknown instrument."]}, code="unknown_instrument")
    if instrument_id not in catalog.enabled_ids(session, org_id):
        raise Invalid(f"The instrument {instrument_id!r} is not enabled in your organization.",
                      fields={"instrument": ["Not enabled in your organization."]},
                      code="instrument_disabled")
    return instrument


def _check_interval(session: Session, user: User, instrument: Instrument, completed_at: datetime,
                    assessment_id: str | None) -> None:
    """A retake inside the minimum interval after an earlier answer is a Conflict naming when it opens again.

    Only earlier answers count: a result completed before the newest stored one was answered offline, when the
    phone could not know of the newer one, and is kept (nothing acknowledged on a phone is lost). The request's own
    id does not count either: a replay that raced the first insert of that id then ends as a replay (the primary
    key refuses the second insert), not as a retake.
    """
    # The agent's row lock serializes their concurrent submissions (SQLite serializes every write anyway).
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    mine = (Assessment.user_id == user.id, Assessment.instrument_id == instrument.id, Assessment.id != assessment_id)
    previous = session.scalar(select(func.max(Assessment.completed_at)).where(*mine,
                                                                             Assessment.completed_at <= completed_at))
    interval = min_interval(instrument)
    if previous is None or completed_at >= previous + interval:
        return
    opens = session.scalar(select(func.max(Assessment.completed_at)).where(*mine)) + interval
    raise Conflict(f"{instrument.id} was answered less than {instrument.min_interval_days} days before; it can be "
                   f"answered again from {opens.isoformat()}.", code="retake_too_soon",
                   extensions={"available_from": opens})


def _completed_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    message = reported_time_error(value, now)
    if message is None:
        return value
    raise Invalid(f"completed_at: {message}", fields={"completed_at": [message]}, code="completed_at_out_of_range")


def _answers_invalid(error: AnswerError) -> Invalid:
    """The scorer's per-item errors under json.answers, with a detail that names each item."""
    general = error.errors.get("answers")
    if general is not None:
        return Invalid(f"answers: {general[0]}", fields={"answers": general}, code="invalid_answers")
    named = "; ".join(f"item {item}: {' '.join(messages)}" for item, messages in error.errors.items())
    return Invalid(f"Some answers cannot be scored: {named}.", fields={"answers": error.errors},
                   code="invalid_answers")
