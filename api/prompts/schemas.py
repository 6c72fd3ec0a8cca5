"""Schemas of prompt settings and prompts (breathing, break and questionnaire reminders)."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.pagination import CursorArgsSchema
from api.core.schemas import RequestSchema, UTCDateTime
from wellbeing.models.prompts import PROMPT_KINDS, PROMPT_STATUSES
from wellbeing.prompts.schedule import SETTING_LIMITS


def _limits(path: str, description: str | None = None) -> dict:
    """The range the planner enforces (wellbeing.prompts.schedule.SETTING_LIMITS, 422 naming the dotted path)."""
    low, high = SETTING_LIMITS[path]
    return {"minimum": low, "maximum": high, "description": f"{description + ', ' if description else ''}{low}..{high}"}


class _Strict(RequestSchema):
    """Nested parts of the settings: every field required, no extras."""


class BreathingSettingsSchema(_Strict):
    enabled = fields.Boolean(required=True, truthy={True}, falsy={False})
    every_minutes = fields.Integer(required=True, strict=True, metadata=_limits("breathing.every_minutes"))


class BreakSettingsSchema(_Strict):
    enabled = fields.Boolean(required=True, truthy={True}, falsy={False})
    every_minutes = fields.Integer(required=True, strict=True, metadata=_limits("breaks.every_minutes"))
    minutes = fields.Integer(required=True, strict=True, metadata=_limits("breaks.minutes", "length of a break"))


class ToughCallSettingsSchema(_Strict):
    enabled = fields.Boolean(required=True, truthy={True}, falsy={False})
    threshold = fields.Integer(required=True, strict=True,
                               metadata=_limits("after_tough_calls.threshold", "tough calls in a row"))


class PromptSettingsSchema(RequestSchema):
    """When the agent gets breathing and break prompts (ranges are checked field by field: 422 names each)."""

    breathing = fields.Nested(BreathingSettingsSchema, required=True)
    breaks = fields.Nested(BreakSettingsSchema, required=True)
    after_tough_calls = fields.Nested(ToughCallSettingsSchema, required=True)
    max_per_day = fields.Integer(required=True, strict=True, metadata=_limits("max_per_day"))


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
    exercise_id = fields.String(allow_none=True, metadata={"description": "the exercise of a breathing or break prompt; null for "
                                                         "a questionnaire reminder"})
    instrument_id = fields.String(allow_none=True, metadata={"description": "the instrument a questionnaire reminder asks the agent "
                                                           "to answer (GET /instruments/{id}); null otherwise"})
    source = fields.String(metadata={"description": "schedule or tough_calls"})
    status = fields.String()
    due_at = UTCDateTime()
    valid_until = UTCDateTime()
    sent_at = UTCDateTime(allow_none=True)
    acknowledged_at = UTCDateTime(allow_none=True)
    completed_at = UTCDateTime(allow_none=True)
    dismissed_at = UTCDateTime(allow_none=True)
    snoozed_at = UTCDateTime(allow_none=True)
    expired_at = UTCDateTime(allow_none=True)
    opened_at = UTCDateTime(allow_none=True, metadata={"description": "when a phone first reported showing it"})
    snoozes = fields.Integer(metadata={"description": "how often it was snoozed (at most 3)"})


class OpenedSchema(RequestSchema):
    """Which device showed the prompt (optional): the ledger records it per device."""

    device_id = fields.String(validate=validate.Length(max=64))
