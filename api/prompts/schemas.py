"""Schemas of prompt settings and prompts (breathing, break and questionnaire reminders)."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.pagination import CursorArgsSchema
from api.core.schemas import RequestSchema, UTCDateTime
from wellbeing.models.prompts import PROMPT_KINDS, PROMPT_STATUSES


class _Strict(RequestSchema):
    """Nested parts of the settings: every field required, no extras."""


class BreathingSettingsSchema(_Strict):
    enabled = fields.Boolean(required=True, truthy={True}, falsy={False})
    every_minutes = fields.Integer(required=True, strict=True, metadata={"description": "15..480"})


class BreakSettingsSchema(_Strict):
    enabled = fields.Boolean(required=True, truthy={True}, falsy={False})
    every_minutes = fields.Integer(required=True, strict=True, metadata={"description": "15..480"})
    minutes = fields.Integer(required=True, strict=True, metadata={"description": "length of a break, 1..30"})


class ToughCallSettingsSchema(_Strict):
    enabled = fields.Boolean(required=True, truthy={True}, falsy={False})
    threshold = fields.Integer(required=True, strict=True, metadata={"description": "tough calls in a row, 1..10"})


class PromptSettingsSchema(RequestSchema):
    """When the agent gets breathing and break prompts (ranges are checked field by field: 422 names each)."""

    breathing = fields.Nested(BreathingSettingsSchema, required=True)
    breaks = fields.Nested(BreakSettingsSchema, required=True)
    after_tough_calls = fields.Nested(ToughCallSettingsSchema, required=True)
    max_per_day = fields.Integer(required=True, strict=True, metadata={"description": "0..48"})


class PromptQueryArgsSchema(CursorArgsSchema):
    """Inbox filter."""

    status = fields.String(validate=validate.OneOf(PROMPT_STATUSES))


class SnoozeSchema(RequestSchema):
    """How long to snooze."""

    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=60))


class PromptSchema(ma.Schema):
    """A prompt in the ledger."""

    id = fields.String()
    kind = fields.String(metadata={"description": "breathing, break or questionnaire (a retake reminder)",
                                   "enum": list(PROMPT_KINDS)})
    exercise_id = fields.String(metadata={"description": "the exercise of a breathing or break prompt; null for "
                                                         "a questionnaire reminder"})
    instrument_id = fields.String(metadata={"description": "the instrument a questionnaire reminder asks the agent "
                                                           "to answer (GET /instruments/{id}); null otherwise"})
    source = fields.String(metadata={"description": "schedule or tough_calls"})
    status = fields.String()
    due_at = UTCDateTime()
    valid_until = UTCDateTime()
    sent_at = UTCDateTime()
    acknowledged_at = UTCDateTime()
    completed_at = UTCDateTime()
    dismissed_at = UTCDateTime()
    snoozed_at = UTCDateTime()
    expired_at = UTCDateTime()
    opened_at = UTCDateTime(allow_none=True, metadata={"description": "when a phone first reported showing it"})
    snoozes = fields.Integer(metadata={"description": "how often it was snoozed (at most 3)"})


class OpenedSchema(RequestSchema):
    """Which device showed the prompt (optional): the ledger records it per device."""

    device_id = fields.String(validate=validate.Length(max=64))
