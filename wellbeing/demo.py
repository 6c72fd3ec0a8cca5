"""A demo organization with known logins and plausible structure (extended by each feature's history)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.assessments.demo import seed_assessment_history
from wellbeing.contact_centre.demo import seed_contact_centre
from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id
from wellbeing.counseling.demo import seed_counseling
from wellbeing.diary.demo import DemoAgent, seed_diary_history
from wellbeing.models import Organization, Team, TeamMembership, TeamSupervisor, User
from wellbeing.org import passwords
from wellbeing.prompts.demo import seed_prompt_history
from wellbeing.risk.demo import snapshot_rows
from wellbeing.risk.snapshots import refresh_diary_risk
from wellbeing.shifts.demo import seed_demo_shifts
from wellbeing.trends.release import release_due_periods

DEMO_DOMAIN = "demo.example"
DEMO_PASSWORD = "demo-password"
HISTORY = timedelta(days=400)
# Teams that span the anonymity bands: one under the roster minimum, mid-sized monthly teams, one weekly team.
DEFAULT_TEAM_SIZES = (5, 12, 18, 60)
TEAM_NAMES = ("Escalations", "Billing", "Retention", "Front Line", "Technical Support", "Claims", "Onboarding", "Sales")
ZONES = ("Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "America/New_York", "Europe/London")
# The demo organization's own lines, localized; agents see them first, then the national lines of CN (its time zone's
# country, surveys/resources/CN.json). The external EAP is the confidential route that does not go through HR.
HELP_LINES = [
    {"name": "Employee Assistance Programme", "phone": "+86 400 000 0000", "hours": "08:00-22:00",
     "names": {"en": "Employee Assistance Programme (external, confidential)", "zh-CN": "员工援助计划（外部机构，保密）"},
     "url": "https://eap.demo.example/", "confidential": True},
    {"name": "HR wellbeing desk", "phone": "+86 21 0000 0000", "hours": "Mon-Fri 09:00-18:00",
     "names": {"zh-CN": "人力资源部员工关爱专线"}},
]


@dataclass
class DemoSummary:
    """What seed_demo made (or found), with the logins to print."""

    org_id: str
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, e-mail, team or "")


def agent_strain(agent_index: int, team_index: int, seed: int) -> float:
    """How strained a demo agent is, 0 (thriving) to 1 (burning out); the same for every feature's demo history.

    Indices are 0-based: the agent with login agent{team_index + 1}-{agent_index + 1}. The value blends the
    team's pressure (30 %, a Beta(2, 3) draw) with the agent's own (70 %, Beta(1.2, 1.8)): mean about 0.38,
    about a third of agents at 0.45 or more and a few percent over 0.7. Each draw comes from a generator
    seeded by the seed and the indices alone, so it does not depend on what else was seeded or in which
    order. Questionnaire answers, diary entries and anything else seeded for an agent follow it, so that
    their history tells one story (a CBI scale comes out near 100 x strain).
    """
    team = random.Random(f"{seed}:team:{team_index}").betavariate(2, 3)
    own = random.Random(f"{seed}:agent:{team_index}:{agent_index}").betavariate(1.2, 1.8)
    return 0.3 * team + 0.7 * own


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


def seed_demo(session: Session, now: datetime, agents: int | None = None, teams: int | None = None, seed: int = 7,
              months: int = 6, keyring: Keyring | None = None) -> DemoSummary:
    """Create the demo organization with `months` months of history unless it exists; every login uses DEMO_PASSWORD."""
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
    strains = []
    diarists = []
    first_team: list[User] = []
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
            if index == 0:
                first_team.append(agent)
            strains.append((agent.id, agent_strain(n - 1, index, seed)))
            diarists.append(DemoAgent(agent.id, strains[-1][1], index, agent.timezone))
    session.flush()
    seed_counseling(session, org, now, rng)
    session.commit()
    seed_assessment_history(session, strains, now, months, seed, snapshot_rows)
    seed_diary_history(session, diarists, now, months, seed, keyring)
    refresh_diary_risk(session, now)  # today's risk results, with the diary signals
    seed_prompt_history(session, strains, now, seed)
    # The first team's schedule comes from an iCalendar feed and its calls from Amazon Connect
    seed_demo_shifts(session, org.id, [agent.email for agent in first_team], now)
    seed_contact_centre(session, org.id, first_team, now, seed)
    release_due_periods(session, org.id, now)  # the trends the scheduler would have published by now
    summary = _summary(session, org)
    summary.created = True
    return summary
