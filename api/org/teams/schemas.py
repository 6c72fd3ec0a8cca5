"""Schemas of teams."""
import marshmallow as ma
from marshmallow import fields

from api.core.schemas import ClientId, Name, RequestSchema, UTCDateTime


class TeamCreateSchema(RequestSchema):
    """A new team."""

    id = ClientId()
    name = Name(required=True)


class TeamSchema(ma.Schema):
    """A team."""

    id = fields.String()
    name = fields.String()
    created_at = UTCDateTime()


class TeamListSchema(ma.Schema):
    """The teams visible to the caller."""

    items = fields.List(fields.Nested(TeamSchema))
    next_cursor = fields.String(allow_none=True)


class SupervisorAssignSchema(RequestSchema):
    """The supervisor who is to lead the team."""

    user_id = fields.String(required=True)


class SupervisorListSchema(ma.Schema):
    """The supervisors who lead a team."""

    user_ids = fields.List(fields.String())
