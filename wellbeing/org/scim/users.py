"""SCIM Users: the organization's people as the directory sees them; create, read, list, replace, patch, delete."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from scim2_models import Context, GroupMembership, Meta, Name
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from wellbeing.core.db import new_id
from wellbeing.core.errors import Conflict
from wellbeing.models import Organization, ScimUser, Team, User
from wellbeing.models.users import ROLES, default_work_hours
from wellbeing.org import accounts, users
from wellbeing.org.scim import resources
from wellbeing.org.scim.common import ScimError, apply_patch, not_found, page, parse_filter, validate
from wellbeing.org.scim.resources import ExtendedUser as ScimUserResource
from wellbeing.org.scim.resources import Email, Wellbeing

FILTERABLE = {"username", "externalid", "id"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def external_ids_from_scim(values: list | None) -> dict[str, str]:
    """The extension's ``externalIds`` ([{"platform", "value"}]) as the user's platform ids: {platform: id}.

    These are the person's ids on the contact-centre platforms whose events name them (``amazon_connect``,
    ``genesys``, ...); the last value given for a platform wins.
    """
    return {item.platform: item.value for item in values or [] if item.platform and item.value}


def external_ids_to_scim(mapping: dict[str, str] | None) -> list[resources.PlatformId] | None:
    """The user's platform ids ({platform: id}) as the extension's ``externalIds``, in the order they were given."""
    if not mapping:
        return None
    return [resources.PlatformId(platform=platform, value=value) for platform, value in mapping.items()]


def _visible(org_id: str) -> Select:
    # A user the directory deleted is gone for SCIM (RFC 7644 3.6), though the account stays until erasure.
    return (select(User, ScimUser).outerjoin(ScimUser, ScimUser.user_id == User.id)
            .where(User.org_id == org_id, ScimUser.deleted_at.is_(None)))


def _get(session: Session, org_id: str, user_id: str) -> tuple[User, ScimUser | None]:
    row = session.execute(_visible(org_id).where(User.id == user_id)).first()
    if row is None:
        raise not_found("user")
    return row[0], row[1]


def to_resource(session: Session, user: User, row: ScimUser | None, base_url: str) -> ScimUserResource:
    """The user as a SCIM resource (the directory's own attributes as it sent them)."""
    attributes = row.attributes if row is not None else {}
    team = session.get(Team, user.team_id) if user.team_id else None
    emails = attributes.get("emails") or [{"value": user.email, "type": "work", "primary": True}]
    resource = ScimUserResource(
        id=user.id, external_id=row.external_id if row is not None else None,
        user_name=row.user_name if row is not None else user.email,
        name=Name.model_validate(attributes["name"]) if attributes.get("name") else None,
        display_name=attributes.get("displayName") if row is not None else user.name,
        active=user.active, emails=[Email.model_validate(email) for email in emails],
        groups=[GroupMembership(value=team.id, display=team.name, ref=f"{base_url}/Groups/{team.id}")] if team else None,
        meta=Meta(resource_type="User", created=user.created_at, last_modified=user.created_at,
                  location=f"{base_url}/Users/{user.id}"),
    )
    resource[Wellbeing] = Wellbeing(role=user.role, external_ids=external_ids_to_scim(user.external_ids))
    return resource


def dump(resource: ScimUserResource, **parameters) -> dict:
    """The JSON document of a user resource (``attributes``/``excluded_attributes`` narrow it)."""
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, **parameters)


def list_users(session: Session, org_id: str, filter_text: str | None, start_index: int | None, count: int | None,
               base_url: str) -> tuple[int, int, list[ScimUserResource]]:
    """(totalResults, startIndex, resources) of the organization's users, filtered and paged."""
    stmt = _visible(org_id)
    wanted = parse_filter(filter_text, FILTERABLE)
    if wanted is not None:
        attribute, value = wanted
        if attribute == "username":
            stmt = stmt.where(or_(ScimUser.user_name_key == value.lower(),
                                  and_(ScimUser.user_id.is_(None), User.email == value.lower())))
        elif attribute == "externalid":
            stmt = stmt.where(ScimUser.external_id == value)
        else:
            stmt = stmt.where(User.id == value)
    start, size = page(start_index, count, resources.MAX_RESULTS)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(User.created_at, User.id).offset(start - 1).limit(size)).all() if size else []
    return total, start, [to_resource(session, user, row, base_url) for user, row in rows]


def get_user(session: Session, org_id: str, user_id: str, base_url: str) -> ScimUserResource:
    """One user of the organization, or 404 (another organization's too)."""
    return to_resource(session, *_get(session, org_id, user_id), base_url)


def _values(resource: ScimUserResource, current_role: str | None) -> dict:
    """What a resource sets on the account: sign-in name, e-mail, name, role, active; checked."""
    user_name = (resource.user_name or "").strip()
    if not user_name:
        raise ScimError("userName is required.", 400, "invalidValue")
    emails = resource.emails or []
    email = next((e.value for e in emails if e.primary and e.value), None) or next(
        (e.value for e in emails if e.value), None) or (user_name if "@" in user_name else None)
    if not email or not _EMAIL.match(email) or len(email) > 320:
        raise ScimError("The user needs an e-mail address (emails, or a userName that is one).", 400, "invalidValue")
    extension = resource[Wellbeing]
    if extension is not None and any(not item.platform or not item.value for item in extension.external_ids or []):
        raise ScimError("Each of externalIds needs a platform and a value.", 400, "invalidValue")
    role = (extension.role if extension is not None else None) or current_role or "agent"
    if role not in ROLES:
        raise ScimError(f"The role must be one of {', '.join(ROLES)}.", 400, "invalidValue")
    name = resource.name
    spelled = name and (name.formatted or " ".join(part for part in (name.given_name, name.family_name) if part))
    attributes = {
        "emails": [e.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for e in emails] or None,
        "name": name.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) if name else None,
        "displayName": resource.display_name,
    }
    return {"user_name": user_name, "email": email.strip().lower(), "role": role,
            "display": (resource.display_name or spelled or user_name)[:200], "active": resource.active is not False,
            "external_id": resource.external_id,
            # The platform ids live on the account (contact-centre events name people by them); without the
            # extension the directory says nothing of them and they stay as they are.
            "platform_ids": external_ids_from_scim(extension.external_ids) if extension is not None else None,
            "attributes": {key: value for key, value in attributes.items() if value is not None}}


def _check_unique(session: Session, org_id: str, values: dict, user_id: str | None) -> None:
    key = values["user_name"].lower()
    taken = session.scalar(select(ScimUser.user_id).where(ScimUser.org_id == org_id, ScimUser.user_name_key == key,
                                                          ScimUser.user_id != (user_id or "")))
    unlinked = session.scalar(select(User.id).outerjoin(ScimUser, ScimUser.user_id == User.id).where(
        User.org_id == org_id, User.email == key, ScimUser.user_id.is_(None), User.id != (user_id or "")))
    if taken or unlinked:
        raise ScimError("A user with this userName already exists.", 409, "uniqueness")
    if session.scalar(select(User.id).where(User.email == values["email"], User.id != (user_id or ""))):
        raise ScimError("A user with this e-mail address already exists.", 409, "uniqueness")


def _store(session: Session, user: User, row: ScimUser, values: dict, now: datetime) -> None:
    user.email, user.name = values["email"], values["display"]
    users.set_role(session, user, values["role"], now)
    accounts.change_active(session, user, values["active"], now)
    row.user_name, row.user_name_key = values["user_name"], values["user_name"].lower()
    row.external_id, row.attributes = values["external_id"], values["attributes"]
    if values["platform_ids"] is not None:
        try:
            users.set_external_ids(session, user, values["platform_ids"])
        except Conflict as error:
            raise ScimError(str(error), 409, "uniqueness") from error


def create_user(session: Session, org_id: str, body, base_url: str, now: datetime) -> ScimUserResource:
    """Provision a person: an account without a password (they sign in by SSO, or accept an invitation)."""
    resource = validate(ScimUserResource, body, Context.RESOURCE_CREATION_REQUEST)
    values = _values(resource, None)
    returning = session.scalar(select(ScimUser).where(ScimUser.org_id == org_id, ScimUser.deleted_at.is_not(None),
                                                      ScimUser.user_name_key == values["user_name"].lower(),
                                                      ScimUser.erased_at.is_(None)))
    if returning is not None:
        # The directory deleted this person and now assigns them again: the same account comes back.
        returning.deleted_at = returning.erase_at = None
        user = session.get(User, returning.user_id)
        _check_unique(session, org_id, values, user.id)
        _store(session, user, returning, values, now)
        session.commit()
        return to_resource(session, user, returning, base_url)
    _check_unique(session, org_id, values, None)
    user = User(id=new_id(), org_id=org_id, email=values["email"], name=values["display"], role=values["role"],
                password_hash=None, work_hours=default_work_hours(), created_at=now)
    session.add(user)
    session.flush()
    row = ScimUser(user_id=user.id, org_id=org_id, user_name=values["user_name"],
                   user_name_key=values["user_name"].lower(), attributes={})
    session.add(row)
    session.flush()
    _store(session, user, row, values, now)
    session.commit()
    return to_resource(session, user, row, base_url)


def _link(session: Session, user: User, row: ScimUser | None) -> ScimUser:
    """The user's SCIM row, made for an account the directory adopts (created in the app before)."""
    if row is None:
        row = ScimUser(user_id=user.id, org_id=user.org_id, user_name=user.email, user_name_key=user.email,
                       attributes={})
        session.add(row)
    return row


def replace_user(session: Session, org_id: str, user_id: str, body, base_url: str, now: datetime) -> ScimUserResource:
    """PUT: the directory's full view of the user replaces ours."""
    resource = validate(ScimUserResource, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    return _replace(session, org_id, user_id, resource, base_url, now)


def _replace(session: Session, org_id: str, user_id: str, resource: ScimUserResource, base_url: str,
             now: datetime) -> ScimUserResource:
    user, row = _get(session, org_id, user_id)
    values = _values(resource, user.role)
    _check_unique(session, org_id, values, user.id)
    row = _link(session, user, row)
    _store(session, user, row, values, now)
    session.commit()
    return to_resource(session, user, row, base_url)


def patch_user(session: Session, org_id: str, user_id: str, body, base_url: str, now: datetime) -> ScimUserResource:
    """PATCH: the operations applied to the stored resource, then stored like a PUT (active=false deactivates)."""
    resource = get_user(session, org_id, user_id, base_url)
    return apply_patch(ScimUserResource, resource, body,
                       lambda patched: _replace(session, org_id, user_id, patched, base_url, now))


def delete_user(session: Session, org_id: str, user_id: str, now: datetime) -> None:
    """DELETE: the account is deactivated now and its wellbeing data erased after the organization's retention."""
    user, row = _get(session, org_id, user_id)
    row = _link(session, user, row)
    retention = session.scalar(select(Organization.retention_days).where(Organization.id == org_id))
    accounts.change_active(session, user, False, now)
    users.move_to_team(session, user, None, now)
    row.deleted_at, row.erase_at = now, now + timedelta(days=retention)
    session.commit()


def export_directory(session: Session, user: User, keyring) -> dict | None:
    """What the organization's directory provisioned about the user (None when it never did)."""
    row = session.get(ScimUser, user.id)
    if row is None:
        return None
    return {"user_id": row.user_id, "user_name": row.user_name, "external_id": row.external_id,
            "attributes": row.attributes, "deleted_at": row.deleted_at, "erase_at": row.erase_at}


def due_erasures(session: Session, now: datetime) -> list[User]:
    """Users the directory deleted whose erasure date has come."""
    return list(session.scalars(select(User).join(ScimUser, ScimUser.user_id == User.id).where(
        ScimUser.erase_at <= now, ScimUser.erased_at.is_(None))))


def mark_erased(session: Session, user_id: str, now: datetime) -> None:
    """Record that a deleted user's data was erased (in the caller's transaction)."""
    session.get(ScimUser, user_id).erased_at = now

