"""Schemas of completed questionnaires, their scores and the support block alerts call for."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.language import request_language
from api.core.pagination import CursorArgsSchema
from api.core.schemas import ClientId, ReportedTime, RequestSchema, UTCDateTime
from wellbeing.assessments.support import RESULT_NOTICE

ANSWER_DOC = "Item id -> the published option value; null or absent = left out (only where the instrument allows it)"


class AssessmentCreateSchema(RequestSchema):
    """A completed questionnaire: raw option values as answered (never pre-reversed)."""

    id = ClientId()
    instrument = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"example": "cbi"})
    # Values stay raw here: the scorer names each item whose value is not one of its options.
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          required=True, validate=validate.Length(max=200), metadata={"description": ANSWER_DOC})
    completed_at = ReportedTime("completed_at_out_of_range", default_now=True, load_default=None)


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
    notice = fields.Function(lambda assessment: RESULT_NOTICE[request_language()], dump_only=True, metadata={
        "description": "One line in the caller's language: self-rated screening scores, not a diagnosis, the "
                       "caller's alone"})


class ResourceSchema(ma.Schema):
    """A help line (the organization's own lines first, then the national ones of its country), or the offer to
    self-refer (POST /me/counseling)."""

    type = fields.String(metadata={"description": "help_line or self_referral"})
    id = fields.String(metadata={"description": "org_<position> for the organization's lines (in their order in "
                                                "GET /org), the data file's id for national ones (cn_12356), "
                                                "self_referral for the offer"})
    origin = fields.String(metadata={"description": "help_line: organization or national"})
    name = fields.String()
    phone = fields.String(metadata={"description": "Absent for a line reached by url only"})
    url = fields.String()
    hours = fields.String()
    confidential = fields.Boolean(metadata={
        "description": "A route outside the organization's HR that the person contacts directly; nothing about its "
                       "use is recorded or told to anyone in the organization"})
    emergency = fields.Boolean(metadata={"description": "An emergency service for immediate danger (120, 110)"})
    source = fields.String(metadata={"description": "National lines: where the number and its hours come from"})
    description = fields.String()


class ChoiceSchema(ma.Schema):
    """One of the answers an alert asks the agent to choose between; the choice is made on the phone, never recorded."""

    id = fields.String(metadata={
        "description": "hr_contact: HR contacts the agent (unless arranged, the client self-refers through POST "
                       "/me/counseling); confidential: show the confidential resources, which the agent contacts "
                       "directly; none: nothing happens"})
    label = fields.String()
    description = fields.String()
    resources = fields.List(fields.String(), metadata={"description": "Ids of the resources this choice leads to"})
    arranged = fields.Boolean(metadata={
        "description": "hr_contact only: the agent consented to hr_followup, so HR already has a follow-up case"})


class SupportSchema(ma.Schema):
    """Shown to the agent alone when a result fires an alert; nothing is sent to anyone unless the agent consented
    to hr_followup or chooses to self-refer."""

    kind = fields.String(metadata={"description": "signpost or crisis"})
    message = fields.String()
    alerts = fields.List(fields.String())
    resources = fields.List(fields.Nested(ResourceSchema))
    choices = fields.List(fields.Nested(ChoiceSchema), metadata={
        "description": "HR contact, the confidential options (when there are any), or neither"})


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
