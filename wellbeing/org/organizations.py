"""Organizations and teams: bootstrap, settings, teams and who leads them."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.db import new_id
from wellbeing.core.errors import Conflict, Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.models import Organization, Team, TeamSupervisor, User
from wellbeing.org import passwords

ORG_SETTINGS = ("name", "timezone", "roster_min", "epsilon_per_month", "help_lines", "retention_days", "country")


def bootstrap(session: Session, org_name: str, email: str, password: str, timezone: str, now: datetime) -> Organization:
    """Create an organization and its first admin (the command line's way in)."""
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"A user with e-mail {email} already exists.")
    org = Organization(id=new_id(), name=org_name, timezone=timezone, created_at=now, help_lines=[])
    session.add(org)
    session.add(User(org_id=org.id, email=email, name="Administrator", role="admin",
                     password_hash=passwords.hash_password(password), timezone=timezone, created_at=now))
    session.commit()
    return org


def update_settings(session: Session, org: Organization, changes: dict) -> Organization:
    """Apply a partial settings change; the database constraints back the schema's ranges."""
    for field in ORG_SETTINGS:
        if field in changes:
            value = changes[field]
            setattr(org, field, Decimal(str(value)) if field == "epsilon_per_month" else value)
    session.commit()
    return org


def get_team(session: Session, org_id: str, team_id: str) -> Team:
    """A team of this organization, or NotFound (another organization's team is not found either)."""
    team = session.get(Team, team_id)
    if team is None or team.org_id != org_id:
        raise NotFound("No such team.")
    return team


def create_team(session: Session, org_id: str, name: str, team_id: str | None, fingerprint: str, now: datetime) -> tuple[Team, bool]:
    """A new team; idempotent on the client's id; names are unique inside the organization."""
    if session.scalar(select(Team.id).where(Team.org_id == org_id, Team.name == name, Team.id != (team_id or ""))):
        raise Conflict(f"A team named {name!r} already exists.", code="team_name_taken")
    try:
        return create_once(session, Team, team_id, fingerprint,
                           lambda: Team(id=team_id or new_id(), org_id=org_id, name=name, created_at=now),
                           lambda t: t.org_id == org_id)
    except IntegrityError:
        raise Conflict(f"A team named {name!r} already exists.", code="team_name_taken") from None


def teams_visible_to(session: Session, user: User) -> list[Team]:
    """Every team for an admin or HR; the teams they lead for a supervisor."""
    stmt = select(Team).where(Team.org_id == user.org_id).order_by(Team.name, Team.id)
    if user.role == "supervisor":
        stmt = stmt.join(TeamSupervisor, TeamSupervisor.team_id == Team.id).where(TeamSupervisor.user_id == user.id)
    return list(session.scalars(stmt))


def led_team_ids(session: Session, supervisor_id: str) -> set[str]:
    """Ids of the teams a supervisor leads."""
    return set(session.scalars(select(TeamSupervisor.team_id).where(TeamSupervisor.user_id == supervisor_id)))


def assign_supervisor(session: Session, org_id: str, team_id: str, user_id: str, now: datetime) -> None:
    """Make a supervisor lead a team (again is harmless)."""
    get_team(session, org_id, team_id)
    user = session.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise Invalid("No such user in this organization.", fields={"user_id": ["Unknown user."]}, code="unknown_user")
    if user.role != "supervisor":
        raise Invalid("Only a supervisor can lead a team.", fields={"user_id": ["This user is not a supervisor."]},
                      code="not_a_supervisor")
    if session.get(TeamSupervisor, (team_id, user_id)) is None:
        session.add(TeamSupervisor(team_id=team_id, user_id=user_id, created_at=now))
        session.commit()


def remove_supervisor(session: Session, org_id: str, team_id: str, user_id: str) -> None:
    """Stop a supervisor leading a team."""
    get_team(session, org_id, team_id)
    link = session.get(TeamSupervisor, (team_id, user_id))
    if link is None:
        raise NotFound("This user does not lead this team.")
    session.delete(link)
    session.commit()


def supervisor_ids(session: Session, team_id: str) -> list[str]:
    """Ids of the supervisors who lead a team."""
    return list(session.scalars(select(TeamSupervisor.user_id).where(TeamSupervisor.team_id == team_id).order_by(TeamSupervisor.user_id)))
