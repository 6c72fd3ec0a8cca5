"""Schemas of the organization settings."""
import marshmallow as ma
from marshmallow import fields, validate

from api.assessments.instruments.schemas import LicenseSchema
from api.core.schemas import Name, RequestSchema, TimeZoneName


class HelpLineSchema(RequestSchema):
    """A help line agents can call."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Length(min=1, max=50))
    hours = fields.String(load_default="", validate=validate.Length(max=200))


class OrgSchema(ma.Schema):
    """Organization settings."""

    id = fields.String(dump_only=True)
    name = fields.String()
    timezone = fields.String()
    roster_min = fields.Integer()
    epsilon_per_month = fields.Float()
    help_lines = fields.List(fields.Nested(HelpLineSchema))
    retention_days = fields.Integer()


class OrgPatchSchema(RequestSchema):
    """A partial change of organization settings."""

    name = Name()
    timezone = TimeZoneName()
    roster_min = fields.Integer(validate=validate.Range(min=8, max=1000))
    epsilon_per_month = fields.Float(allow_nan=False, validate=validate.Range(min=1, max=10))
    help_lines = fields.List(fields.Nested(HelpLineSchema), validate=validate.Length(max=20))
    retention_days = fields.Integer(validate=validate.Range(min=30, max=3650))


class OrgInstrumentSchema(ma.Schema):
    """An available questionnaire, whether the organization offers it, and what its licence allows."""

    id = fields.String()
    name = fields.String()
    version = fields.String()
    items_count = fields.Integer()
    enabled = fields.Boolean()
    enabled_by_default = fields.Boolean()
    license = fields.Nested(LicenseSchema)
    citation = fields.String()


class OrgInstrumentsPutSchema(RequestSchema):
    """Exactly the instruments to offer; every other one is switched off."""

    enabled = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                          validate=validate.Length(max=100), metadata={"example": ["cbi", "phq4", "burnout1"]})
