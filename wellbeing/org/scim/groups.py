"""SCIM Groups: the organization's teams; members are the team's people now, and a change of members is a move."""
from __future__ import annotations

from datetime import datetime

from scim2_models import Context, Group, GroupMember, Meta
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from wellbeing.core.db import new_id
from wellbeing.models import ScimGroup, ScimUser, Team, TeamMembership, TeamSupervisor, User
from wellbeing.org import users
from wellbeing.org.scim import resources
from wellbeing.org.scim.common import ScimError, apply_patch, not_found, page, parse_filter, validate

FILTERABLE = {"displayname", "externalid", "id"}


def _visible(org_id: str) -> Select:
    return (select(Team, ScimGroup).outerjoin(ScimGroup, ScimGroup.team_id == Team.id)
            .where(Team.org_id == org_id, ScimGroup.deleted_at.is_(None)))


def _get(session: Session, org_id: str, team_id: str) -> tuple[Team, ScimGroup | None]:
    row = session.execute(_visible(org_id).where(Team.id == team_id)).first()
    if row is None:
        raise not_found("group")
    return row[0], row[1]


def to_resource(session: Session, team: Team, row: ScimGroup | None, base_url: str) -> Group:
    """The team as a SCIM group, its current people as members."""
    people = session.execute(select(User.id, User.name).join(TeamMembership, TeamMembership.user_id == User.id).where(
        TeamMembership.team_id == team.id, TeamMembership.valid_to.is_(None)).order_by(TeamMembership.valid_from,
                                                                                      User.id)).all()
    members = [GroupMember(value=user_id, display=name, type="User", ref=f"{base_url}/Users/{user_id}")
               for user_id, name in people]
    return Group(id=team.id, external_id=row.external_id if row is not None else None, display_name=team.name,
                 members=members or None,
                 meta=Meta(resource_type="Group", created=team.created_at, last_modified=team.created_at,
                           location=f"{base_url}/Groups/{team.id}"))


def dump(resource: Group, **parameters) -> dict:
    """The JSON document of a group resource."""
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, **parameters)


def list_groups(session: Session, org_id: str, filter_text: str | None, start_index: int | None, count: int | None,
                base_url: str) -> tuple[int, int, list[Group]]:
    """(totalResults, startIndex, resources) of the organization's teams."""
    stmt = _visible(org_id)
    wanted = parse_filter(filter_text, FILTERABLE)
    if wanted is not None:
        attribute, value = wanted
        column = {"displayname": Team.name, "externalid": ScimGroup.external_id, "id": Team.id}[attribute]
        stmt = stmt.where(column == value)
    start, size = page(start_index, count, resources.MAX_RESULTS)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(Team.created_at, Team.id).offset(start - 1).limit(size)).all() if size else []
    return total, start, [to_resource(session, team, row, base_url) for team, row in rows]


def get_group(session: Session, org_id: str, team_id: str, base_url: str) -> Group:
    """One team of the organization, or 404."""
    return to_resource(session, *_get(session, org_id, team_id), base_url)


def _check(session: Session, org_id: str, resource: Group, team_id: str | None) -> tuple[str, list[str]]:
    name = (resource.display_name or "").strip()
    if not name or len(name) > 200:
        raise ScimError("displayName is required (at most 200 characters).", 400, "invalidValue")
    if session.scalar(select(Team.id).where(Team.org_id == org_id, Team.name == name, Team.id != (team_id or ""))):
        raise ScimError(f"A team named {name!r} already exists.", 409, "uniqueness")
    member_ids = list(dict.fromkeys(member.value for member in resource.members or [] if member.value))
    if any((member.type or "User") != "User" for member in resource.members or []):
        raise ScimError("A team's members are people, not groups.", 400, "invalidValue")
    known = set(session.scalars(select(User.id).outerjoin(ScimUser, ScimUser.user_id == User.id).where(
        User.org_id == org_id, User.id.in_(member_ids), User.deactivated_at.is_(None), ScimUser.deleted_at.is_(None))))
    unknown = [member_id for member_id in member_ids if member_id not in known]
    if unknown:
        raise ScimError(f"No active user with id {unknown[0]!r} in this organization.", 400, "invalidValue")
    return name, member_ids


def _set_members(session: Session, team: Team, member_ids: list[str], now: datetime) -> None:
    """Effective-dated moves: people no longer listed leave the team now; people newly listed move into it now."""
    current = set(session.scalars(select(TeamMembership.user_id).where(TeamMembership.team_id == team.id,
                                                                       TeamMembership.valid_to.is_(None))))
    for user_id in current - set(member_ids):
        users.move_to_team(session, session.get(User, user_id), None, now)
    for user_id in member_ids:
        if user_id not in current:
            users.move_to_team(session, session.get(User, user_id), team.id, now)


def create_group(session: Session, org_id: str, body, base_url: str, now: datetime) -> Group:
    """A new team, with its members moved into it now."""
    resource = validate(Group, body, Context.RESOURCE_CREATION_REQUEST)
    name, member_ids = _check(session, org_id, resource, None)
    team = Team(id=new_id(), org_id=org_id, name=name, created_at=now)
    session.add(team)
    session.flush()
    row = ScimGroup(team_id=team.id, org_id=org_id, external_id=resource.external_id)
    session.add(row)
    session.flush()
    _set_members(session, team, member_ids, now)
    session.commit()
    return to_resource(session, team, row, base_url)


def replace_group(session: Session, org_id: str, team_id: str, body, base_url: str, now: datetime) -> Group:
    """PUT: the team's name and members as the directory has them."""
    resource = validate(Group, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    return _replace(session, org_id, team_id, resource, base_url, now)


def _replace(session: Session, org_id: str, team_id: str, resource: Group, base_url: str, now: datetime) -> Group:
    team, row = _get(session, org_id, team_id)
    name, member_ids = _check(session, org_id, resource, team.id)
    if row is None:
        row = ScimGroup(team_id=team.id, org_id=org_id)
        session.add(row)
    team.name, row.external_id = name, resource.external_id
    _set_members(session, team, member_ids, now)
    session.commit()
    return to_resource(session, team, row, base_url)


def patch_group(session: Session, org_id: str, team_id: str, body, base_url: str, now: datetime) -> Group:
    """PATCH: add or remove members (moves), rename; stored like a PUT."""
    resource = get_group(session, org_id, team_id, base_url)
    return apply_patch(Group, resource, body, lambda patched: _replace(session, org_id, team_id, patched, base_url, now))


def delete_group(session: Session, org_id: str, team_id: str, now: datetime) -> None:
    """DELETE: the team's people leave it now and it has no supervisors; its history (and published trends) stay."""
    team, row = _get(session, org_id, team_id)
    if row is None:
        row = ScimGroup(team_id=team.id, org_id=org_id)
        session.add(row)
    _set_members(session, team, [], now)
    session.execute(delete(TeamSupervisor).where(TeamSupervisor.team_id == team.id))
    row.deleted_at = now
    session.commit()
