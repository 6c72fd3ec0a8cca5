"""Schemas of consents."""
import marshmallow as ma
from marshmallow import fields

from api.core.schemas import RequestSchema, UTCDateTime


class ConsentsSchema(ma.Schema):
    """The caller's current choices (both false until they choose)."""

    team_aggregates = fields.Boolean(metadata={"description": "Count me in anonymous, published team trends"})
    hr_followup = fields.Boolean(metadata={"description": "Let HR follow up with me (alerts, HR-opened cases)"})
    policy_version = fields.String(allow_none=True, metadata={"description": "Policy version of the last choice"})
    current_policy_version = fields.String(metadata={"description": "The policy version the app shows now"})
    updated_at = UTCDateTime(allow_none=True)


class StrictBoolean(fields.Boolean):
    """JSON true or false only: a consent is never inferred from "yes" or 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ConsentsPutSchema(RequestSchema):
    """Both choices, always together."""

    team_aggregates = StrictBoolean(required=True)
    hr_followup = StrictBoolean(required=True)


class ConsentChangeSchema(ma.Schema):
    """One recorded decision."""

    id = fields.String()
    consent = fields.String()
    granted = fields.Boolean()
    policy_version = fields.String()
    changed_at = UTCDateTime()
