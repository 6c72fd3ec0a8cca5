"""Schemas of imported shifts: one shape for the import and for the agent's view."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import ClientId, RequestSchema, UTCDateTime, rule_violation
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
            raise rule_violation("to_not_after_from", "`to` must be after `from`.", "to")


class CsvImportArgsSchema(ShiftRangeArgsSchema):
    """The range the file speaks for: each agent's shifts starting in [from, to) are replaced (at most 62 days)."""


class CsvImportResultSchema(ma.Schema):
    """What the upload did."""

    agents = fields.Integer(metadata={"description": "agents named in the file"})
    shifts = fields.Integer(metadata={"description": "shifts stored"})
    changed = fields.Integer(metadata={"description": "agents whose shifts changed (their prompts were replanned)"})


class FeedCreateSchema(RequestSchema):
    """An iCalendar feed: one agent's (`user_id`), or the organization's (agents named as ATTENDEE mailto:)."""

    id = ClientId()
    url = fields.String(required=True, validate=validate.Length(min=8, max=2000), load_only=True)
    user_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))


class FeedSchema(ma.Schema):
    """A feed and how its last reads went (the URL itself is kept encrypted and never shown again)."""

    id = fields.String()
    user_id = fields.String(allow_none=True)
    url_host = fields.String()
    status = fields.String(metadata={"description": "pending (never read), ok, or failing"})
    created_at = UTCDateTime()
    last_checked_at = UTCDateTime(allow_none=True)
    last_success_at = UTCDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    failures = fields.Integer(metadata={"description": "consecutive failed reads"})
    next_check_at = UTCDateTime()


class FeedListSchema(ma.Schema):
    """The organization's feeds."""

    items = fields.List(fields.Nested(FeedSchema))
