"""The agent's data rights: one export of everything they own, erasure with a receipt, and retention.

Each feature registers a ``Section``: the tables it keeps a user's data in and how to export,
erase and purge them. The tests walk the schema's foreign keys to check that every table
holding a user's rows is covered, so a table added later cannot be forgotten silently.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from wellbeing.assessments import data as assessment_data
from wellbeing.contact_centre import data as contact_centre_data
from wellbeing.core.crypto import Keyring
from wellbeing.core.db import write_intent
from wellbeing.core.errors import NotFound
from wellbeing.counseling import data as counseling_data
from wellbeing.diary import data as diary_data
from wellbeing.models import ErasureReceipt, Organization, Team, TeamMembership, User
from wellbeing.org import access_log, consents
from wellbeing.org.scim import users as scim_users
from wellbeing.org.sso import signin
from wellbeing.prompts import data as prompt_data
from wellbeing.shifts import data as shift_data
from wellbeing.trends import data as trends_data

EXPORT_FORMAT = "wellbeing-export/1"

Exporter = Callable[[Session, User, Keyring], object]
Eraser = Callable[[Session, User, datetime], dict[str, int]]
Purger = Callable[[Session, str, datetime], dict[str, int]]


@dataclass(frozen=True)
class Section:
    """One feature's share of a user's data: its tables, export, and (where it erases or expires) erase and purge."""

    name: str
    tables: tuple[str, ...]
    export: Exporter
    erase: Eraser | None = None
    purge: Purger | None = None


def export_profile(session: Session, user: User, keyring: Keyring) -> dict:
    """The profile and the history of team memberships."""
    teams = dict(session.execute(select(Team.id, Team.name).where(Team.org_id == user.org_id)).all())
    stretches = session.scalars(select(TeamMembership).where(TeamMembership.user_id == user.id)
                                .order_by(TeamMembership.valid_from, TeamMembership.id))
    return {
        "id": user.id, "org_id": user.org_id, "email": user.email, "name": user.name, "role": user.role,
        "timezone": user.timezone, "locale": user.locale, "work_hours": user.work_hours,
        "quiet_hours": user.quiet_hours, "created_at": user.created_at,
        "team_history": [{"team_id": m.team_id, "team_name": teams.get(m.team_id), "valid_from": m.valid_from,
                          "valid_to": m.valid_to} for m in stretches],
    }


def export_receipts(session: Session, user: User, keyring: Keyring) -> list[dict]:
    """The receipts of the user's earlier erasures."""
    rows = session.scalars(select(ErasureReceipt).where(ErasureReceipt.user_id == user.id)
                           .order_by(ErasureReceipt.erased_at, ErasureReceipt.id))
    return [receipt_view(r) for r in rows]


# Kept on erasure, by design: the profile and memberships (the account itself), the consents (the
# user's standing choices), the access log (HR's accountability, no wellbeing content), the receipts, and what the
# organization's directory provisioned (the account's link to it).
SECTIONS: tuple[Section, ...] = (
    Section("profile", ("users", "team_memberships"), export_profile),
    Section("consents", ("consents", "consent_changes"), consents.export_consents),
    Section("diary", diary_data.TABLES, diary_data.export_diary, diary_data.erase_diary, diary_data.purge_diary),
    Section("assessments", assessment_data.TABLES, assessment_data.export_assessments,
            assessment_data.erase_assessments, assessment_data.purge_assessments),
    Section("counseling", counseling_data.TABLES, counseling_data.export_counseling,
            counseling_data.erase_counseling, counseling_data.purge_counseling),
    Section("prompts", prompt_data.TABLES, prompt_data.export_prompts, prompt_data.erase_prompts,
            prompt_data.purge_prompts),
    Section("shifts", shift_data.TABLES, shift_data.export_shifts, purge=shift_data.purge_shifts),
    Section("contact_centre", contact_centre_data.TABLES, contact_centre_data.export_contact_centre,
            contact_centre_data.erase_contact_centre, contact_centre_data.purge_contact_centre),
    Section("access_log", ("access_log",), access_log.export_access_log, purge=access_log.purge_access_log),
    Section("privacy_budget", trends_data.TABLES, trends_data.export_privacy_budget,
            purge=trends_data.purge_privacy_budget),
    Section("erasure_receipts", ("erasure_receipts",), export_receipts),
    Section("directory", ("scim_users",), scim_users.export_directory),
)


def _plain(value):
    """JSON-ready: aware datetimes as UTC ``Z`` strings, dates as ISO days."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def export_user_data(session: Session, user: User, keyring: Keyring, now: datetime) -> dict:
    """Everything the user owns, as one JSON-ready document (free text decrypted, HR's notes left out)."""
    document = {"format": EXPORT_FORMAT, "exported_at": now, "user_id": user.id}
    for section in SECTIONS:
        document[section.name] = section.export(session, user, keyring)
    return _plain(document)


def receipt_view(receipt: ErasureReceipt) -> dict:
    """A receipt as the user sees it."""
    return {"id": receipt.id, "erased_at": receipt.erased_at, "counts": receipt.counts}


def erase_user_data(session: Session, user: User, now: datetime) -> ErasureReceipt:
    """Erase the user's wellbeing data in one transaction and keep a receipt of rows erased per table."""
    counts: dict[str, int] = {}
    for section in SECTIONS:
        if section.erase is not None:
            for table, count in section.erase(session, user, now).items():
                counts[table] = counts.get(table, 0) + count
    receipt = ErasureReceipt(user_id=user.id, erased_at=now, counts=counts)
    session.add(receipt)
    session.commit()
    return receipt


def receipts_query(user_id: str) -> Select:
    """The user's erasure receipts (paginate newest first)."""
    return select(ErasureReceipt).where(ErasureReceipt.user_id == user_id)


def get_receipt(session: Session, user: User, receipt_id: str) -> ErasureReceipt:
    """One of the user's receipts; anyone else's is NotFound."""
    receipt = session.get(ErasureReceipt, receipt_id)
    if receipt is None or receipt.user_id != user.id:
        raise NotFound("No such receipt.")
    return receipt


def purge_expired(session: Session, now: datetime) -> dict[str, int]:
    """The retention job: in each organization, delete wellbeing data older than its ``retention_days``; erase the
    data of people the directory deleted (SCIM) once their erasure date has come."""
    counts: dict[str, int] = {}
    with write_intent():
        for org_id, days in session.execute(select(Organization.id, Organization.retention_days)).all():
            cutoff = now - timedelta(days=days)
            for section in SECTIONS:
                if section.purge is not None:
                    for table, count in section.purge(session, org_id, cutoff).items():
                        counts[table] = counts.get(table, 0) + count
            session.commit()
        attempts = signin.purge_attempts(session, now)
        if attempts:
            counts["sso_attempts"] = attempts
        session.commit()
        for user in scim_users.due_erasures(session, now):
            # A person the directory deleted: once the retention has passed, everything they owned goes, with a receipt.
            scim_users.mark_erased(session, user.id, now)
            erase_user_data(session, user, now)
    return counts
