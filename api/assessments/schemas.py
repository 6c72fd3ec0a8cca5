"""Schemas of completed questionnaires, their scores and the support block alerts call for."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.pagination import CursorArgsSchema
from api.core.schemas import ClientId, RequestSchema, UTCDateTime

ANSWER_DOC = "Item id -> the published option value; null or absent = left out (only where the instrument allows it)"


class AssessmentCreateSchema(RequestSchema):
    """A completed questionnaire: raw option values as answered (never pre-reversed)."""

    id = ClientId()
    instrument = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"example": "cbi"})
    # Values stay raw here: the scorer names each item whose value is not one of its options.
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=16)), values=fields.Raw(allow_none=True),
                          required=True, validate=validate.Length(max=200), metadata={"description": ANSWER_DOC})
    completed_at = UTCDateTime(load_default=None, metadata={"description": "Within the last 30 days, at most 5 minutes ahead; default now"})


class AssessmentQueryArgsSchema(CursorArgsSchema):
    """History filters."""

    instrument = fields.String(validate=validate.Length(min=1, max=64))


class AlertSchema(ma.Schema):
    """An alert rule of the instrument that this result fired."""

    rule_id = fields.String()
    kind = fields.String(metadata={"description": "signpost or crisis"})
    on = fields.String(metadata={"description": "scale or item"})
    target = fields.String()
    value = fields.Float()
    op = fields.String()
    threshold = fields.Float()


class AssessmentSchema(ma.Schema):
    """A stored result: answers, scores per scale (rounded for display), bands, alerts, instrument version."""

    id = fields.String()
    instrument = fields.String(attribute="instrument_id")
    instrument_version = fields.String()
    answers = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    scores = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "Scale -> score; a scale short of its missing-data minimum is absent"})
    bands = fields.Dict(keys=fields.String(), values=fields.String())
    alerts = fields.List(fields.Nested(AlertSchema))
    completed_at = UTCDateTime()
    created_at = UTCDateTime()


class ResourceSchema(ma.Schema):
    """A help line of the organization, or the offer to self-refer (POST /me/counseling)."""

    type = fields.String(metadata={"description": "help_line or self_referral"})
    name = fields.String()
    phone = fields.String()
    hours = fields.String()
    description = fields.String()


class SupportSchema(ma.Schema):
    """Shown to the agent alone when a result fires an alert; nothing is sent to anyone."""

    kind = fields.String(metadata={"description": "signpost or crisis"})
    message = fields.String()
    alerts = fields.List(fields.String())
    resources = fields.List(fields.Nested(ResourceSchema))


class AssessmentCreatedSchema(AssessmentSchema):
    """The stored result, with a support block when it fired an alert."""

    support = fields.Nested(SupportSchema)

    @ma.pre_dump
    def _assessment(self, recorded, **kwargs):
        return recorded.assessment

    @ma.post_dump(pass_original=True)
    def _support(self, body, recorded, **kwargs):
        if recorded.support is not None:
            body["support"] = SupportSchema().dump(recorded.support)
        return body
