"""Schemas of the questionnaire catalog (localized instruments, their licences and when each is due)."""
import marshmallow as ma
from marshmallow import fields

from api.core.schemas import UTCDateTime


class RecallPeriodSchema(ma.Schema):
    """The period the questions ask about; also how often the instrument is offered."""

    text = fields.String()
    days = fields.Integer()


class LicenseSchema(ma.Schema):
    """What the owner allows; commercial use of some instruments needs their written permission."""

    text = fields.String()
    commercial_use_needs_permission = fields.Boolean()
    attribution = fields.String(metadata={"description": "Line to show with the instrument, where the owner asks"})
    url = fields.String()


class DueSchema(ma.Schema):
    """When the agent last completed the instrument, when it is next due (the prompt scheduler's hint) and from when
    a new answer is accepted."""

    last_completed_at = UTCDateTime(allow_none=True)
    next_due_at = UTCDateTime(metadata={"description": "A recall period after the last completion; now if never taken or overdue"})
    min_interval_days = fields.Integer(metadata={
        "description": "The shortest time between two answers of this instrument"})
    available_from = UTCDateTime(metadata={
        "description": "From when POST /assessments accepts a new answer: min_interval_days after the last completion; "
                       "now if never taken or already open. Sooner is 409 retake_too_soon"})


class InstrumentSummarySchema(DueSchema):
    """An instrument the organization offers, as listed in the catalog."""

    id = fields.String()
    name = fields.String()
    items_count = fields.Integer()
    version = fields.String()
    recall_period = fields.Nested(RecallPeriodSchema)


class OptionSchema(ma.Schema):
    """A response option: the published value to send, and its label."""

    value = fields.Integer()
    label = fields.String()


class ItemSchema(ma.Schema):
    """One question, with the options it accepts."""

    id = fields.String()
    text = fields.String()
    options = fields.List(fields.Nested(OptionSchema))


class BandLabelSchema(ma.Schema):
    """A band a scale score can fall in."""

    key = fields.String()
    label = fields.String()


class ScaleSchema(ma.Schema):
    """A scale and its bands (informal: not published by the instrument's authors)."""

    name = fields.String()
    informal_bands = fields.Boolean()
    bands = fields.List(fields.Nested(BandLabelSchema))


class TranslationSchema(ma.Schema):
    """Provenance of a translated text."""

    status = fields.String(metadata={"description": "own_translation or validated"})
    disclaimer = fields.String(allow_none=True)


class InstrumentSchema(DueSchema):
    """One instrument, localized: items, options, scales, licence and the provenance of the text."""

    id = fields.String()
    version = fields.String()
    language = fields.String()
    name = fields.String()
    instructions = fields.String()
    recall_period = fields.Nested(RecallPeriodSchema)
    items_count = fields.Integer()
    items_required = fields.Boolean(metadata={"description": "false: items may be left out (scales have minimums)"})
    items = fields.List(fields.Nested(ItemSchema))
    scales = fields.List(fields.Nested(ScaleSchema))
    license = fields.Nested(LicenseSchema)
    citation = fields.String()
    translation = fields.Nested(TranslationSchema, allow_none=True)
