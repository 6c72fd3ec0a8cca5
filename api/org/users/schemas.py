"""Schemas of users and profiles."""
import re

import marshmallow as ma
from marshmallow import fields, validate

from api.core.pagination import CursorArgsSchema
from api.core.schemas import ClientId, Locale, Name, RequestSchema, TimeZoneName, UTCDateTime, rule_violation
from wellbeing.models import ROLES

PLATFORM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use 24-hour HH:MM.")


class HoursSchema(RequestSchema):
    """A weekly window in the user's own time zone; an end before the start runs past midnight."""

    days = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=7)),
        required=True,
        validate=validate.Length(min=1, max=7),
        metadata={"description": "ISO weekdays, 1 = Monday; the day the window starts", "uniqueItems": True},
    )
    start = fields.String(required=True, validate=HHMM, metadata={"example": "09:00"})
    end = fields.String(required=True, validate=HHMM, metadata={"example": "18:00"})

    @ma.validates_schema
    def _check(self, data, **kwargs):
        if len(set(data["days"])) != len(data["days"]):
            raise ma.ValidationError("Each day at most once.", "days")
        if data["start"] == data["end"]:
            raise rule_violation("empty_window", "The window must not be empty.", "end")


class UserCreateSchema(RequestSchema):
    """A new user."""

    id = ClientId()
    email = fields.Email(required=True, validate=validate.Length(max=320))
    name = Name(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    team_id = fields.String(load_default=None, allow_none=True)
    password = fields.String(load_only=True, validate=validate.Length(min=10, max=200), metadata={
        "description": "temporary: the owner must replace it at first sign-in; omit it to send an e-mail invitation"})
    timezone = TimeZoneName(load_default=None)
    locale = Locale(load_default=None)


class UserPatchSchema(RequestSchema):
    """An admin's change of a user."""

    name = Name()
    role = fields.String(validate=validate.OneOf(ROLES))
    team_id = fields.String(allow_none=True, metadata={"description": "null takes the user out of every team"})
    external_ids = fields.Dict(
        keys=fields.String(), values=fields.String(validate=validate.Length(min=1, max=200)),
        allow_none=True, metadata={"description": "the user's id on each contact-centre platform, e.g. "
                                   "{\"amazon_connect\": \"<user id>\", \"genesys\": \"<user id>\"}; null removes all; "
                                   "at most 10 platforms, each named by lower-case letters, digits and _ "
                                   "(code platform_name)"})

    @ma.validates_schema
    def _platform_names(self, data, **kwargs):
        ids = data.get("external_ids") or {}
        if len(ids) > 10 or not all(PLATFORM_NAME.match(name) for name in ids):
            raise rule_violation("platform_name", "At most 10 platforms, each named by lower-case letters, digits "
                                 "and _ (amazon_connect, genesys).", "external_ids")


class UserSchema(ma.Schema):
    """A user, as administrators and the user see them (never the password)."""

    id = fields.String()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    team_id = fields.String(allow_none=True)
    timezone = fields.String()
    locale = fields.String()
    created_at = UTCDateTime()
    active = fields.Boolean(metadata={"description": "false once an admin deactivated the account"})
    status = fields.String(metadata={"description": "invited (no password chosen yet), active or deactivated"})
    external_ids = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True,
                               metadata={"description": "the user's id on each contact-centre platform"})


class UserQueryArgsSchema(CursorArgsSchema):
    """Filters of the user list."""

    role = fields.String(validate=validate.OneOf(ROLES))
    team_id = fields.String()


class ProfileSchema(UserSchema):
    """The caller's own profile."""

    org_id = fields.String()
    work_hours = fields.Nested(HoursSchema)
    quiet_hours = fields.Nested(HoursSchema, allow_none=True)


class ProfilePatchSchema(RequestSchema):
    """The caller's change of their own profile."""

    name = Name()
    timezone = TimeZoneName()
    locale = Locale()
    work_hours = fields.Nested(HoursSchema)
    quiet_hours = fields.Nested(HoursSchema, allow_none=True)


class AdminResetSchema(ma.Schema):
    """What an admin's password reset did."""

    status = fields.String(metadata={"description": "mail_sent, or temporary_password when e-mail is disabled"})
    temporary_password = fields.String(metadata={"description": "shown once; only when e-mail is disabled"})
