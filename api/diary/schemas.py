"""Schemas of diary entries, batches, edits, insights and the chart's query."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.pagination import CursorArgsSchema
from api.core.schemas import ClientId, ReportedTime, RequestSchema, UTCDateTime, rule_violation
from wellbeing.diary.entries import BATCH_MAX, NOTE_MAX
from wellbeing.diary.insights import DAYS_MAX, DAYS_MIN

TAG_LIST_MAX = 20


def _keys(description: str) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=TAG_LIST_MAX),
                       metadata={"description": description})


class EntryFieldsSchema(RequestSchema):
    """The fields an entry is made of (vocabulary keys are checked against GET /emotions)."""

    occurred_at = ReportedTime("occurred_at_out_of_range")
    emotion = fields.String(validate=validate.Length(min=1, max=32), metadata={"example": "frustrated"})
    intensity = fields.Integer(validate=validate.Range(min=1, max=10), strict=True)
    triggers = _keys("Trigger keys")
    signals = _keys("Body and mood signal keys")
    stress = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=10), strict=True,
                            metadata={"description": "Felt stress 0..10"})
    coping = _keys("Coping keys")
    note = fields.String(allow_none=True, validate=validate.Length(max=NOTE_MAX),
                         metadata={"description": "Free text, stored encrypted; never logged"})
    after_call = fields.Boolean(metadata={"description": "Written right after a call"})


class EntryCreateSchema(EntryFieldsSchema):
    """A new entry; `id` makes the create idempotent."""

    id = ClientId()
    occurred_at = ReportedTime("occurred_at_out_of_range", required=True)
    emotion = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "frustrated"})
    intensity = fields.Integer(required=True, validate=validate.Range(min=1, max=10), strict=True)


class EntryPatchSchema(EntryFieldsSchema):
    """Changed fields only; `updated_at` is the device's clock at the edit (the later edit wins)."""

    updated_at = UTCDateTime(metadata={"description": "When the edit was made on the device; default: now"})


class BatchSchema(RequestSchema):
    """Up to 500 entries; each is checked on its own and reported in `results` in the same order."""

    # Each entry is an object checked on its own (a bad one is reported in `results`, the good ones are stored);
    # something that is not an object at all (null, a number, a string) is a broken client: the batch is a 422.
    entries = fields.List(
        fields.Dict(metadata={"description": "An entry as POST /diary takes it (EntryCreate)"}),
        required=True, validate=validate.Length(min=1, max=BATCH_MAX))


class EntrySchema(ma.Schema):
    """A stored entry as its owner sees it."""

    id = fields.String()
    occurred_at = UTCDateTime()
    emotion = fields.String()
    valence = fields.String()
    intensity = fields.Integer()
    triggers = fields.List(fields.String())
    signals = fields.List(fields.String())
    stress = fields.Integer(allow_none=True)
    coping = fields.List(fields.String())
    note = fields.String(allow_none=True)
    after_call = fields.Boolean()
    revision = fields.Integer(metadata={"description": "1 on create, +1 per accepted edit"})
    updated_at = UTCDateTime(metadata={"description": "The device clock of the edit that wrote this revision"})
    created_at = UTCDateTime()
    stored_at = UTCDateTime(metadata={"description": "When the server stored this revision"})


class BatchResultSchema(ma.Schema):
    """One entry's outcome."""

    id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "created, unchanged or error"})
    code = fields.String(metadata={"description": "With errors: a stable code such as invalid_entry, id_conflict"})
    errors = fields.Dict(metadata={"description": "With errors: field -> messages"})
    entry = fields.Nested(EntrySchema)


class BatchResultsSchema(ma.Schema):
    results = fields.List(fields.Nested(BatchResultSchema))


class EntryQueryArgsSchema(CursorArgsSchema):
    """`from`/`to` bound occurred_at (inclusive)."""

    from_ = UTCDateTime(data_key="from")
    to = UTCDateTime()

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise rule_violation("from_after_to", "`from` must not be after `to`.", "to")


class DaysArgsSchema(RequestSchema):
    """The window: the last `days` days."""

    days = fields.Integer(load_default=30, validate=validate.Range(min=DAYS_MIN, max=DAYS_MAX))


class TriggerCountSchema(ma.Schema):
    trigger = fields.String()
    count = fields.Integer()
    mean_intensity = fields.Float(allow_none=True)
    negative_share = fields.Float(allow_none=True, metadata={"description": "Share of these entries with a negative emotion"})


class SignalCountSchema(ma.Schema):
    signal = fields.String()
    count = fields.Integer()
    mean_intensity = fields.Float(allow_none=True)


class CopingCountSchema(ma.Schema):
    coping = fields.String()
    count = fields.Integer()
    mean_stress = fields.Float(allow_none=True, metadata={"description": "Mean felt stress of these entries, 0..10"})


class HourSchema(ma.Schema):
    hour = fields.Integer(metadata={"description": "Local hour 0..23"})
    count = fields.Integer()
    negative_share = fields.Float(allow_none=True)
    mean_intensity = fields.Float(allow_none=True)


class WeekdaySchema(ma.Schema):
    weekday = fields.Integer(metadata={"description": "ISO weekday: 1 = Monday .. 7 = Sunday"})
    count = fields.Integer()
    negative_share = fields.Float(allow_none=True)
    mean_intensity = fields.Float(allow_none=True)


class WeekSchema(ma.Schema):
    week_start = fields.Date(metadata={"description": "The local Monday"})
    entries = fields.Integer()
    negative_share = fields.Float(allow_none=True)
    mean_mood = fields.Float(allow_none=True, metadata={"description": "Mean intensity signed by valence, -10..10"})


class InsightsSchema(ma.Schema):
    """The caller's own diary over the window, in the caller's time zone."""

    days = fields.Integer()
    from_ = UTCDateTime(data_key="from", attribute="from")
    to = UTCDateTime()
    timezone = fields.String()
    entries = fields.Integer()
    mean_intensity = fields.Float(allow_none=True)
    negative_share = fields.Float(allow_none=True)
    mean_stress = fields.Float(allow_none=True)
    by_emotion = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_trigger = fields.List(fields.Nested(TriggerCountSchema))
    by_signal = fields.List(fields.Nested(SignalCountSchema))
    by_coping = fields.List(fields.Nested(CopingCountSchema))
    by_hour = fields.List(fields.Nested(HourSchema), metadata={"description": "24 local hours"})
    by_weekday = fields.List(fields.Nested(WeekdaySchema), metadata={"description": "7 ISO weekdays"})
    trend = fields.List(fields.Nested(WeekSchema), metadata={"description": "Weekly, oldest first"})
