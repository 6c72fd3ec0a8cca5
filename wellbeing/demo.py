"""A demo organization with known logins and plausible structure (extended by each feature's history)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing import passwords
from wellbeing.counseling.demo import seed_counseling
from wellbeing.db import new_id
from wellbeing.models import Organization, Team, TeamMembership, TeamSupervisor, User

DEMO_DOMAIN = "demo.example"
DEMO_PASSWORD = "demo-password"
HISTORY = timedelta(days=400)
# Teams that span the anonymity bands: one under the roster minimum, mid-sized monthly teams, one weekly team.
DEFAULT_TEAM_SIZES = (5, 12, 18, 60)
TEAM_NAMES = ("Escalations", "Billing", "Retention", "Front Line", "Technical Support", "Claims", "Onboarding", "Sales")
ZONES = ("Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "America/New_York", "Europe/London")
HELP_LINES = [
    {"name": "Employee Assistance Programme", "phone": "+86 400 000 0000", "hours": "24/7"},
    {"name": "HR wellbeing desk", "phone": "+86 21 0000 0000", "hours": "Mon-Fri 09:00-18:00"},
]


@dataclass
class DemoSummary:
    """What seed_demo made (or found), with the logins to print."""

    org_id: str
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, e-mail, team or "")


def _team_sizes(agents: int | None, teams: int | None) -> list[int]:
    if agents is None and teams is None:
        return list(DEFAULT_TEAM_SIZES)
    teams = teams or len(DEFAULT_TEAM_SIZES)
    agents = agents or sum(DEFAULT_TEAM_SIZES)
    base, extra = divmod(agents, teams)
    return [base + (1 if i < extra else 0) for i in range(teams)]


def _summary(session: Session, org: Organization) -> DemoSummary:
    summary = DemoSummary(org_id=org.id, created=False)
    team_names = dict(session.execute(select(Team.id, Team.name).where(Team.org_id == org.id)).all())
    rows = session.scalars(select(User).where(User.org_id == org.id).order_by(User.role, User.email)).all()
    for user in rows:
        if user.role != "agent" or user.email.endswith(("-1@" + DEMO_DOMAIN, "-2@" + DEMO_DOMAIN)):
            summary.logins.append((user.role, user.email, team_names.get(user.team_id, "")))
    return summary


def seed_demo(session: Session, now: datetime, agents: int | None = None, teams: int | None = None, seed: int = 7) -> DemoSummary:
    """Create the demo organization unless it exists; every login uses DEMO_PASSWORD."""
    existing = session.scalar(select(User).where(User.email == f"admin@{DEMO_DOMAIN}"))
    if existing is not None:
        return _summary(session, session.get(Organization, existing.org_id))
    rng = random.Random(seed)
    # Backdated, so the history later features seed falls inside everyone's membership.
    since = now - HISTORY
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    org = Organization(id=new_id(), name="Demo Contact Center", timezone="Asia/Shanghai", help_lines=HELP_LINES, created_at=now)
    session.add(org)

    def person(email: str, name: str, role: str, tz: str = "Asia/Shanghai") -> User:
        user = User(id=new_id(), org_id=org.id, email=email, name=name, role=role, password_hash=password_hash,
                    timezone=tz, locale="zh-CN" if tz == "Asia/Shanghai" else "en", created_at=now)
        session.add(user)
        return user

    person(f"admin@{DEMO_DOMAIN}", "Demo Admin", "admin")
    person(f"hr@{DEMO_DOMAIN}", "Hannah HR", "hr")
    session.flush()
    for index, size in enumerate(_team_sizes(agents, teams)):
        name = TEAM_NAMES[index % len(TEAM_NAMES)] + ("" if index < len(TEAM_NAMES) else f" {index // len(TEAM_NAMES) + 1}")
        team = Team(id=new_id(), org_id=org.id, name=name, created_at=now)
        session.add(team)
        lead = person(f"supervisor{index + 1}@{DEMO_DOMAIN}", f"Supervisor {name}", "supervisor")
        session.flush()
        session.add(TeamSupervisor(team_id=team.id, user_id=lead.id, created_at=now))
        for n in range(1, size + 1):
            agent = person(f"agent{index + 1}-{n}@{DEMO_DOMAIN}", f"Agent {index + 1}-{n}", "agent", rng.choice(ZONES))
            session.flush()
            session.add(TeamMembership(user_id=agent.id, team_id=team.id, valid_from=since))
    session.flush()
    seed_counseling(session, org, now, rng)
    session.commit()
    summary = _summary(session, org)
    summary.created = True
    return summary
