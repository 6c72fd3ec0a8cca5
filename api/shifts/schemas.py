"""Schemas of imported shifts: one shape for the import and for the agent's view."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import RequestSchema, UTCDateTime
from wellbeing.models.shifts import ACTIVITY_KINDS


class ActivitySchema(RequestSchema):
    """A scheduled stretch inside the shift that is not work time for prompts."""

    kind = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    start = UTCDateTime(required=True)
    end = UTCDateTime(required=True)


class ShiftSchema(RequestSchema):
    """One shift; its activities lie inside it."""

    start = UTCDateTime(required=True)
    end = UTCDateTime(required=True)
    activities = fields.List(fields.Nested(ActivitySchema), load_default=list, validate=validate.Length(max=20))


class ShiftRangeSchema(RequestSchema):
    """The agent's shifts starting in [from, to): an import replaces exactly that range."""

    from_ = UTCDateTime(required=True, data_key="from")
    to = UTCDateTime(required=True)
    shifts = fields.List(fields.Nested(ShiftSchema), required=True, validate=validate.Length(max=500))


class ShiftRangeArgsSchema(RequestSchema):
    """The range to read: shifts starting in [from, to), at most 62 days."""

    from_ = UTCDateTime(required=True, data_key="from")
    to = UTCDateTime(required=True)

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if data["from_"] >= data["to"]:
            raise ma.ValidationError("`to` must be after `from`.", "to")
