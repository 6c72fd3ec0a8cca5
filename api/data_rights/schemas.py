"""Schemas of the export and the erasure receipts."""
import marshmallow as ma
from marshmallow import fields

from api.core.schemas import UTCDateTime


class ExportSchema(ma.Schema):
    """Everything the caller owns: one section per feature (profile, consents, counseling, access_log, ...)."""

    class Meta:
        # A feature that adds its own section must not make older clients' documents invalid.
        unknown = ma.INCLUDE

    format = fields.String(metadata={"example": "wellbeing-export/1"})
    exported_at = fields.String()
    user_id = fields.String()
    profile = fields.Dict()
    consents = fields.Dict()
    assessments = fields.Dict()
    counseling = fields.Dict()
    access_log = fields.List(fields.Dict())
    erasure_receipts = fields.List(fields.Dict())


class ReceiptSchema(ma.Schema):
    """What one erasure removed: rows per table."""

    id = fields.String()
    erased_at = UTCDateTime()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
