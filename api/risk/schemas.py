"""Schemas of the burnout-risk indicator."""
import marshmallow as ma
from marshmallow import fields

from api.core.schemas import UTCDateTime


class FactorSchema(ma.Schema):
    """One input of the model: its risk points (0..100) and its effective weight."""

    name = fields.String()
    value = fields.Float(metadata={"description": "Risk points 0..100, higher = more risk"})
    weight = fields.Float(metadata={"description": "Effective weight; the weights of a result sum to 1"})
    input_value = fields.Float(metadata={"description": "The input as given (scale score, share, count)"})


class RiskSchema(ma.Schema):
    """A screening indicator for the agent's own self-care, not a diagnosis (docs/risk-model.md)."""

    level = fields.String(metadata={"description": "low, moderate, high, very_high or insufficient_data"})
    score = fields.Float(allow_none=True, metadata={"description": "0..100; null when insufficient_data"})
    factors = fields.List(fields.Nested(FactorSchema))
    model_version = fields.String()
    computed_at = UTCDateTime(metadata={"description": "When this result was computed; it holds until the next one"})
    confidence = fields.Float(metadata={"description": "Share of the model's nominal weight that had fresh data, 0..1"})
    flags = fields.List(fields.String(), metadata={"description": "Clinical screen flags (PHQ-4), never part of the score"})
    notice = fields.String()
