"""Schemas of the organization settings."""
import marshmallow as ma
from marshmallow import fields, validate

from api.assessments.instruments.schemas import LicenseSchema
from api.core.schemas import Name, RequestSchema, TimeZoneName
from wellbeing.org.countries import is_country_code, org_country


class HelpLineSchema(RequestSchema):
    """A help line agents can call."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Length(min=1, max=50))
    hours = fields.String(load_default="", validate=validate.Length(max=200))


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 code such as ``CN`` (any case on input)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=self._check, metadata={"example": "CN", **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).upper()

    @staticmethod
    def _check(value: str) -> None:
        if not is_country_code(value):
            raise ma.ValidationError("Not an ISO 3166-1 alpha-2 country code (for example CN).")


class OrgSchema(ma.Schema):
    """Organization settings, with the country in effect."""

    id = fields.String(dump_only=True)
    name = fields.String()
    timezone = fields.String()
    roster_min = fields.Integer()
    epsilon_per_month = fields.Float()
    help_lines = fields.List(fields.Nested(HelpLineSchema))
    retention_days = fields.Integer()
    country = fields.String(allow_none=True, metadata={
        "description": "ISO 3166-1 alpha-2 code of the organization's country: the admin's choice, else the country "
                       "of the time zone (null when the zone names none)"})
    country_source = fields.String(metadata={"description": "setting (chosen by an admin) or timezone"})

    @ma.pre_dump
    def _derived(self, org, **kwargs):
        stored = {name: getattr(org, name) for name in self.fields if name not in ("country", "country_source")}
        return stored | {"country": org_country(org), "country_source": "setting" if org.country else "timezone"}


class OrgPatchSchema(RequestSchema):
    """A partial change of organization settings."""

    name = Name()
    timezone = TimeZoneName()
    roster_min = fields.Integer(validate=validate.Range(min=8, max=1000))
    epsilon_per_month = fields.Float(allow_nan=False, validate=validate.Range(min=1, max=10))
    help_lines = fields.List(fields.Nested(HelpLineSchema), validate=validate.Length(max=20))
    retention_days = fields.Integer(validate=validate.Range(min=30, max=3650))
    country = CountryCode(allow_none=True, metadata={"description": "null: follow the time zone's country again"})


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
