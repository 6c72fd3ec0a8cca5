"""Which questionnaires each organization offers, and the catalog its agents see (surveys loaded once per process)."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from wellbeing.assessments.instruments import Instrument, available_from, load_catalog, localize, next_due
from wellbeing.core.errors import Invalid, NotFound
from wellbeing.core.language import resolve_language
from wellbeing.models import Assessment, Organization, OrgInstrument, User

# Free for commercial use and the inputs the risk model leans on. The others need their owner's permission
# for commercial use (research/instruments.md §0), and an instrument added later starts off too: an admin
# turns it on after reading its licence.
DEFAULT_ENABLED = frozenset({"cbi", "phq4", "burnout1"})
# The longest retake rhythm an organization may set: a quarter, so a result never ages out of every trend
MAX_REMINDER_DAYS = 90


@functools.cache
def instrument_catalog() -> dict[str, Instrument]:
    """Every instrument in surveys/, loaded and checked once per process (a bad file raises InstrumentFileError)."""
    return load_catalog()


def enabled_ids(session: Session, org_id: str) -> list[str]:
    """Ids of the instruments the organization offers, in catalog order."""
    decisions = dict(session.execute(
        select(OrgInstrument.instrument_id, OrgInstrument.enabled).where(OrgInstrument.org_id == org_id)
    ).all())
    return [key for key in instrument_catalog() if decisions.get(key, key in DEFAULT_ENABLED)]


def reminder_rhythm(session: Session, org_id: str) -> dict[str, int]:
    """Days between retake reminders per instrument: the organization's own choice, else the survey file's."""
    chosen = dict(session.execute(
        select(OrgInstrument.instrument_id, OrgInstrument.reminder_days)
        .where(OrgInstrument.org_id == org_id, OrgInstrument.reminder_days.is_not(None))
    ).all())
    return {key: chosen.get(key, instrument.reminder_days) for key, instrument in instrument_catalog().items()}


def offered_instrument(session: Session, org_id: str, instrument_id: str) -> Instrument | None:
    """The instrument if the organization offers it; None if it is unknown or switched off."""
    if instrument_id not in enabled_ids(session, org_id):
        return None
    return instrument_catalog()[instrument_id]


def organization_instruments(session: Session, org_id: str, lang: str) -> list[dict[str, Any]]:
    """Every available instrument for the admin: whether it is enabled, its licence and citation."""
    enabled = set(enabled_ids(session, org_id))
    rhythm = reminder_rhythm(session, org_id)
    lang = resolve_language(lang)
    return [
        {
            "id": instrument.id,
            "name": instrument.name[lang],
            "version": instrument.version,
            "items_count": len(instrument.items),
            "enabled": instrument.id in enabled,
            "enabled_by_default": instrument.id in DEFAULT_ENABLED,
            "reminder_days": rhythm[instrument.id],
            "reminder_days_default": instrument.reminder_days,
            "min_interval_days": instrument.min_interval_days,
            "license": dict(instrument.license),
            "citation": instrument.citation,
        }
        for instrument in instrument_catalog().values()
    ]


def set_enabled(session: Session, admin: User, ids: Sequence[str], now: datetime, lang: str,
                reminder_days: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """Offer exactly these instruments in the admin's organization; an unknown id is a 422 naming it.

    `reminder_days` sets the organization's retake rhythm per instrument (the others go back to their
    default); without it the rhythm chosen before stays. A rhythm out of bounds is a 422 naming the instrument.
    """
    catalog = instrument_catalog()
    unknown = {str(index): [f"Unknown instrument {value!r}."] for index, value in enumerate(ids) if value not in catalog}
    if unknown:
        raise Invalid("Some instruments do not exist.", fields={"enabled": unknown}, code="unknown_instrument")
    if reminder_days is not None:
        _check_rhythm(reminder_days)
    # Row lock on the organization: two admins saving at once replace the decisions one after the other.
    session.execute(select(Organization.id).where(Organization.id == admin.org_id).with_for_update(key_share=True))
    if reminder_days is None:
        reminder_days = dict(session.execute(
            select(OrgInstrument.instrument_id, OrgInstrument.reminder_days)
            .where(OrgInstrument.org_id == admin.org_id, OrgInstrument.reminder_days.is_not(None))).all())
    session.execute(delete(OrgInstrument).where(OrgInstrument.org_id == admin.org_id))
    session.add_all(
        OrgInstrument(org_id=admin.org_id, instrument_id=key, enabled=key in ids, reminder_days=reminder_days.get(key),
                      updated_at=now, updated_by=admin.id)
        for key in catalog
    )
    session.commit()
    return organization_instruments(session, admin.org_id, lang)


def _check_rhythm(reminder_days: Mapping[str, int]) -> None:
    """Each chosen rhythm names a known instrument and lies between its minimum interval and MAX_REMINDER_DAYS."""
    catalog = instrument_catalog()
    problems = {}
    for key, days in reminder_days.items():
        if key not in catalog:
            problems[key] = [f"Unknown instrument {key!r}."]
        elif not catalog[key].min_interval_days <= days <= MAX_REMINDER_DAYS:
            low = catalog[key].min_interval_days
            problems[key] = [f"Must be from {low} (the shortest retake interval) to {MAX_REMINDER_DAYS} days."]
    if problems:
        raise Invalid("Some reminder rhythms are not allowed.", fields={"reminder_days": problems},
                      code="invalid_reminder_days")


def last_completions(session: Session, user_id: str) -> dict[str, datetime]:
    """When the user last completed each instrument."""
    rows = session.execute(
        select(Assessment.instrument_id, func.max(Assessment.completed_at))
        .where(Assessment.user_id == user_id)
        .group_by(Assessment.instrument_id)
    )
    return dict(rows.all())


def agent_catalog(session: Session, user: User, lang: str, now: datetime) -> list[dict[str, Any]]:
    """The instruments offered to the agent, localized, each with when it is next due (the prompt scheduler's hint)."""
    last = last_completions(session, user.id)
    lang = resolve_language(lang)
    catalog = instrument_catalog()
    return [_summary(catalog[key], lang, last.get(key), now) for key in enabled_ids(session, user.org_id)]


def agent_instrument(session: Session, user: User, instrument_id: str, lang: str, now: datetime) -> dict[str, Any]:
    """One offered instrument with its items and options, localized; unknown or switched off is NotFound."""
    instrument = offered_instrument(session, user.org_id, instrument_id)
    if instrument is None:
        raise NotFound("No such questionnaire.")
    last = last_completions(session, user.id).get(instrument_id)
    return localize(instrument, lang) | _due(instrument, last, now)


def _summary(instrument: Instrument, lang: str, last: datetime | None, now: datetime) -> dict[str, Any]:
    return {
        "id": instrument.id,
        "name": instrument.name[lang],
        "items_count": len(instrument.items),
        "version": instrument.version,
        "recall_period": {"text": instrument.recall_text[lang], "days": instrument.recall_days},
    } | _due(instrument, last, now)


def _due(instrument: Instrument, last: datetime | None, now: datetime) -> dict[str, Any]:
    return {"last_completed_at": last, "next_due_at": next_due(instrument, last, now),
            "min_interval_days": instrument.min_interval_days,
            "available_from": available_from(instrument, last, now)}
