"""Schemas of the access log."""
import marshmallow as ma
from marshmallow import fields

from api.core.schemas import UTCDateTime


class ActorSchema(ma.Schema):
    """Who read (the name is null once their account is gone)."""

    id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    role = fields.String()


class AccessLogEntrySchema(ma.Schema):
    """One read of the caller's data."""

    id = fields.String()
    at = UTCDateTime()
    actor = fields.Nested(ActorSchema)
    action = fields.String(metadata={"description": "list_cases, read_case, open_case, update_case, "
                                                    "propose_appointment or update_appointment"})
    resource_type = fields.String()
    resource_id = fields.String()
    disclosed = fields.List(fields.String(), metadata={"description": "What the reader saw, e.g. case, reason, "
                                                                      "appointments, risk_at_opening"})
    purpose = fields.String()
