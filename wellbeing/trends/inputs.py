"""What a release reads from the source tables: consenting rosters at an instant, and one record per person.

Both are computed from the live source tables at release time, so data erased before a release
never reaches it, and a released cell is never recomputed afterwards.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from wellbeing.models import Consent, ConsentChange, RiskSnapshot, Team, TeamMembership, User


def roster_at(session: Session, org_id: str, at: datetime) -> dict[str, str]:
    """Agent id -> team id for the agents on a team of the org at `at` who consented to team aggregates then.

    Consent is read from the recorded history at `at` (changes apply from the next period), and a
    withdrawal made since also counts: nobody who has withdrawn is released later.
    """
    members = dict(session.execute(
        select(TeamMembership.user_id, TeamMembership.team_id)
        .join(Team, Team.id == TeamMembership.team_id)
        .join(User, User.id == TeamMembership.user_id)
        .join(Consent, Consent.user_id == User.id)
        .where(Team.org_id == org_id, User.role == "agent", Consent.team_aggregates.is_(True),
               # Deactivated before `at`: out of the roster (periods before the deactivation keep them).
               or_(User.deactivated_at.is_(None), User.deactivated_at > at),
               TeamMembership.valid_from <= at,
               or_(TeamMembership.valid_to.is_(None), TeamMembership.valid_to > at))
    ).all())
    granted: dict[str, bool] = {}
    changes = session.execute(
        select(ConsentChange.user_id, ConsentChange.granted)
        .join(User, User.id == ConsentChange.user_id)
        .where(User.org_id == org_id, ConsentChange.consent == "team_aggregates", ConsentChange.changed_at <= at)
        .order_by(ConsentChange.changed_at, ConsentChange.id))
    for user_id, value in changes:
        granted[user_id] = value
    return {user: team for user, team in members.items() if granted.get(user)}


def headcount_at(session: Session, org_id: str, at: datetime) -> dict[str, int]:
    """Team id -> agents on the team at `at`, consenting or not: the public roster a supervisor already knows.

    Figures use this, never the consenting roster, so a published number cannot tell how many consented.
    """
    return dict(session.execute(
        select(TeamMembership.team_id, func.count())
        .join(Team, Team.id == TeamMembership.team_id)
        .join(User, User.id == TeamMembership.user_id)
        .where(Team.org_id == org_id, User.role == "agent", TeamMembership.valid_from <= at,
               or_(TeamMembership.valid_to.is_(None), TeamMembership.valid_to > at))
        .group_by(TeamMembership.team_id)).all())


def _clamped(value) -> object:
    return case((value < 0, 0.0), (value > 100, 100.0), else_=value)


def risk_values(org_id: str, start: datetime, end: datetime) -> Select:
    """(user_id, value): every risk score of the org's users current at some time in [start, end).

    A snapshot is current from its computed_at until the user's next snapshot or its expiry (the moment its
    first input aged past the model's recency window), whichever comes first: an inactive agent's last
    score is not carried into the periods after it went stale.
    """
    valid_to = func.lead(RiskSnapshot.computed_at).over(
        partition_by=RiskSnapshot.user_id, order_by=(RiskSnapshot.computed_at, RiskSnapshot.id))
    snapshots = (select(RiskSnapshot.user_id, RiskSnapshot.score, RiskSnapshot.expires_at,
                        valid_to.label("valid_to"))
                 .join(User, User.id == RiskSnapshot.user_id)
                 .where(User.org_id == org_id, RiskSnapshot.computed_at < end)
                 .subquery())
    return (select(snapshots.c.user_id, _clamped(snapshots.c.score).label("value"))
            .where(snapshots.c.score.is_not(None), snapshots.c.expires_at > start,
                   or_(snapshots.c.valid_to.is_(None), snapshots.c.valid_to > start)))


# Every source of per-person values; a person "contributed" to a period if any source has a row.
# The diary reaches team trends only through the risk model (its last 14 days are a model input, refreshed
# hourly by the scheduler's refresh_diary_risk): a raw diary value would mix a second scale into the mean
# of risk scores, and a diary-only agent has no score to add. Another scored source would be a union here.
SOURCES = (risk_values,)


def person_records(session: Session, org_id: str, start: datetime, end: datetime) -> dict[str, float]:
    """User id -> the mean of their clamped values in [start, end): one record per person, however many values."""
    values = union_all(*(source(org_id, start, end) for source in SOURCES)).subquery()
    rows = session.execute(select(values.c.user_id, func.avg(values.c.value)).group_by(values.c.user_id))
    return {user_id: float(mean) for user_id, mean in rows}
