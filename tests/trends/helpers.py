"""Hand-built organizations for the trend tests: teams of consenting agents with risk snapshots."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from wellbeing.core.db import new_id
from wellbeing.models import Consent, ConsentChange, Organization, RiskSnapshot, Team, TeamMembership, User

SINCE = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Releases run after the grace day of the months January..March 2026.
AFTER_MARCH = datetime(2026, 4, 3, tzinfo=timezone.utc)


def make_org(session, name: str = "Trend Org", **settings) -> Organization:
    org = Organization(id=new_id(), name=name, timezone="UTC", help_lines=[], created_at=SINCE, **settings)
    session.add(org)
    session.flush()
    return org


def make_team(session, org: Organization, name: str) -> Team:
    team = Team(id=new_id(), org_id=org.id, name=name, created_at=SINCE)
    session.add(team)
    session.flush()
    return team


def make_agent(session, org: Organization, team: Team | None, consent: bool = True, since: datetime = SINCE,
               email: str | None = None) -> User:
    user = User(id=new_id(), org_id=org.id, email=email or f"{new_id()}@trends.test", name="Agent", role="agent",
                password_hash="x", timezone="UTC", locale="en", created_at=since)
    session.add(user)
    session.flush()
    if team is not None:
        session.add(TeamMembership(user_id=user.id, team_id=team.id, valid_from=since))
    session.add(Consent(user_id=user.id, team_aggregates=consent, hr_followup=False, policy_version="1",
                        updated_at=since))
    session.add(ConsentChange(user_id=user.id, consent="team_aggregates", granted=consent, policy_version="1",
                              changed_at=since))
    return user


def add_snapshot(session, user: User, at: datetime, score: float | None, expires_at: datetime | None = None) -> None:
    """A stored result; unless told otherwise it stays current for 120 days (through every month the tests release)."""
    if score is not None and expires_at is None:
        expires_at = at + timedelta(days=120)
    session.add(RiskSnapshot(user_id=user.id, computed_at=at, level="moderate" if score is not None else
                             "insufficient_data", score=score, unrounded_score=score, factors=[], flags=[],
                             confidence=1.0, model_version="test", inputs={}, expires_at=expires_at))


def make_team_of(session, org: Organization, name: str, size: int, score: float = 60.0,
                 consent: bool = True) -> tuple[Team, list[User]]:
    """A team of `size` agents, each with one snapshot at SINCE + 1 day (valid through every later month)."""
    team = make_team(session, org, name)
    agents = [make_agent(session, org, team, consent) for _ in range(size)]
    for agent in agents:
        add_snapshot(session, agent, SINCE + timedelta(days=1), score)
    return team, agents


def month_bounds(first) -> tuple[datetime, datetime]:
    """UTC instants [start, end) of the month starting on `first` (the helper orgs are in UTC)."""
    start = datetime(first.year, first.month, 1, tzinfo=timezone.utc)
    end = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end
