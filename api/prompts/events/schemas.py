"""Schemas of call events."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import ClientId, ReportedTime, RequestSchema, UTCDateTime


class CallStartedSchema(RequestSchema):
    """An agent picked up a call: nothing is pushed to them until it ends."""

    id = ClientId()
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    started_at = ReportedTime("started_at_out_of_range", required=True)


class CallEndedSchema(RequestSchema):
    """A call ended; complaint or abusive calls in a row can trigger a breathing prompt."""

    id = ClientId()
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    ended_at = ReportedTime("ended_at_out_of_range", required=True)
    complaint = fields.Boolean(load_default=False)
    abusive = fields.Boolean(load_default=False)
    duration_seconds = fields.Integer(load_default=None, validate=validate.Range(min=0, max=86_400))


class AcceptedSchema(ma.Schema):
    """The event was recorded."""

    id = fields.String()
    status = fields.String()
