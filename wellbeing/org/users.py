"""Users: creation, profile changes, roles and effective-dated team membership."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core import reactions
from wellbeing.core.clock import utcnow
from wellbeing.core.db import new_id
from wellbeing.core.errors import Conflict, Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.models import TeamMembership, TeamSupervisor, User
from wellbeing.models.users import default_work_hours
from wellbeing.org import accounts, identity, passwords
from wellbeing.org.events import WorkingTimeChanged
from wellbeing.org.organizations import get_team

PROFILE_FIELDS = ("name", "timezone", "locale", "work_hours", "quiet_hours")


def get_user(session: Session, org_id: str, user_id: str) -> User:
    """A user of this organization, or NotFound."""
    user = session.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise NotFound("No such user.")
    return user


def team_at(session: Session, user_id: str, at: datetime) -> str | None:
    """The team the user belonged to at a given instant (membership history)."""
    return session.scalar(
        select(TeamMembership.team_id).where(
            TeamMembership.user_id == user_id,
            TeamMembership.valid_from <= at,
            (TeamMembership.valid_to.is_(None)) | (TeamMembership.valid_to > at),
        )
    )


def memberships(session: Session, user_id: str) -> list[TeamMembership]:
    """The user's whole membership history, oldest first."""
    return list(session.scalars(
        select(TeamMembership).where(TeamMembership.user_id == user_id).order_by(TeamMembership.valid_from, TeamMembership.id)
    ))


def _move(session: Session, user: User, team_id: str | None, now: datetime) -> None:
    """Close the open membership and open one in the new team (None: leave every team)."""
    open_row = session.scalar(
        select(TeamMembership).where(TeamMembership.user_id == user.id, TeamMembership.valid_to.is_(None))
    )
    if open_row is not None and open_row.team_id == team_id:
        return
    if open_row is not None:
        open_row.valid_to = now
        session.flush()
    if team_id is not None:
        session.add(TeamMembership(user_id=user.id, team_id=team_id, valid_from=now))
    session.flush()
    session.expire(user, ["team_id"])


def create_user(session: Session, org_id: str, data: dict, user_id: str | None, fingerprint: str, now: datetime,
                base_url: str | None) -> tuple[User, bool]:
    """A new user of the organization, in a team if one is given; idempotent on the client's id.

    A given password is temporary (its owner replaces it at first sign-in); without one the user is mailed
    an invitation link to ``base_url``'s console (None: no e-mail, so a password is required).
    """
    email = data["email"].strip().lower()
    team_id = data.get("team_id")
    if team_id is not None:
        get_team(session, org_id, team_id)
    if not data.get("password") and base_url is None:
        raise Invalid("E-mail is disabled: give a temporary password.", code="password_required",
                      fields={"password": ["E-mail is disabled: give a temporary password."]})
    if user_id is not None and session.get(User, user_id) is not None:
        return create_once(session, User, user_id, fingerprint, _unused, lambda u: u.org_id == org_id)
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("A user with this e-mail already exists.", code="email_taken")

    def build() -> User:
        return User(
            id=user_id or new_id(), org_id=org_id, email=email, name=data["name"], role=data["role"],
            password_hash=passwords.hash_password(data["password"]) if data.get("password") else None,
            password_temporary=bool(data.get("password")),
            timezone=data.get("timezone") or "UTC", locale=data.get("locale") or "en",
            work_hours=default_work_hours(), created_at=now,
        )

    def join_team_and_invite(user: User) -> None:
        if team_id is not None:
            _move(session, user, team_id, now)
        if user.password_hash is None:
            accounts.invite(session, user, base_url, now)

    try:
        return create_once(session, User, user_id, fingerprint, build, lambda u: u.org_id == org_id,
                           after=join_team_and_invite)
    except IntegrityError:
        raise Conflict("A user with this e-mail already exists.", code="email_taken") from None


def _unused() -> User:
    raise AssertionError("a replayed create never builds")


def update_user(session: Session, org_id: str, user_id: str, changes: dict, now: datetime) -> User:
    """An admin's change of a user's name, role or team; a move is a new membership stretch."""
    user = get_user(session, org_id, user_id)
    if "team_id" in changes:
        team_id = changes["team_id"]
        if team_id is not None:
            get_team(session, org_id, team_id)
        _move(session, user, team_id, now)
    if "name" in changes:
        user.name = changes["name"]
    if "external_ids" in changes:
        set_external_ids(session, user, changes["external_ids"])
    if "role" in changes:
        set_role(session, user, changes["role"], now)
    session.commit()
    return user


def set_external_ids(session: Session, user: User, ids: dict[str, str] | None) -> None:
    """Replace the user's platform ids ({"amazon_connect": "<id>", ...}; None or {} removes them).

    A platform id belongs to one user of the organization: another user holding it is a 409. The caller commits
    (the admin's PATCH /users/{id}; provisioning may call it too).
    """
    ids = {platform: str(value) for platform, value in (ids or {}).items()}
    for platform, value in ids.items():
        holder = session.scalar(select(User.id).where(
            User.org_id == user.org_id, User.id != user.id, User.external_ids[platform].as_string() == value).limit(1))
        if holder is not None:
            raise Conflict(f"Another user of the organization has the {platform} id {value}.",
                           code="external_id_taken")
    user.external_ids = ids or None


def set_role(session: Session, user: User, role: str, now: datetime) -> None:
    """A new role (in the caller's transaction): a supervisor's teams are let go, and every sign-in ends."""
    if role == user.role:
        return
    if user.role == "supervisor":
        session.execute(delete(TeamSupervisor).where(TeamSupervisor.user_id == user.id))
    user.role = role
    # Tokens carry no authority of their own, but a role change is a good moment to sign out everywhere.
    identity.revoke_user_sessions(session, user.id, now, reason="role_change")


def move_to_team(session: Session, user: User, team_id: str | None, now: datetime) -> None:
    """Move a user (in the caller's transaction): the open membership closes now and one opens in the new team."""
    _move(session, user, team_id, now)


def update_profile(session: Session, user: User, changes: dict) -> User:
    """The user's own change of name, time zone, locale, working and quiet hours."""
    hours_before = (user.timezone, user.work_hours, user.quiet_hours)
    for field in PROFILE_FIELDS:
        if field in changes:
            setattr(user, field, changes[field])
    if user.role == "agent" and (user.timezone, user.work_hours, user.quiet_hours) != hours_before:
        # Prompts follow the agent's clock: a new zone or new hours replans the coming ones now
        reactions.announce(session, WorkingTimeChanged(user, utcnow()))
    session.commit()
    return user


def users_query(org_id: str, role: str | None = None, team_id: str | None = None) -> Select:
    """The organization's users for its admin, optionally by role or current team."""
    stmt = select(User).where(User.org_id == org_id)
    if role:
        stmt = stmt.where(User.role == role)
    if team_id:
        stmt = stmt.join(TeamMembership, TeamMembership.user_id == User.id).where(
            TeamMembership.team_id == team_id, TeamMembership.valid_to.is_(None))
    return stmt
