"""Schemas of the exercise catalog."""
import marshmallow as ma
from marshmallow import fields


class PhaseSchema(ma.Schema):
    """One step of an exercise."""

    key = fields.String()
    label = fields.String()
    seconds = fields.Integer()


class ExerciseSchema(ma.Schema):
    """A breathing or break exercise, localized, with its phases, timings and safety note."""

    class Meta:
        unknown = ma.INCLUDE

    id = fields.String()
    kind = fields.String(metadata={"description": "breathing or break"})
    title = fields.String()
    instructions = fields.String()
    phases = fields.List(fields.Nested(PhaseSchema))
    cycles = fields.Integer()
    cycle_seconds = fields.Integer()
    duration_seconds = fields.Integer()
    breaths_per_minute = fields.Float()
    safety_note = fields.String()
    source = fields.String()


class ExerciseListSchema(ma.Schema):
    """Every exercise, breathing first."""

    items = fields.List(fields.Nested(ExerciseSchema))
