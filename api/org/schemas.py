"""Schemas of the organization settings."""
import marshmallow as ma
from marshmallow import fields, validate

from api.assessments.instruments.schemas import LicenseSchema
from api.core.schemas import Name, RequestSchema, TimeZoneName
from wellbeing.assessments.catalog import MAX_REMINDER_DAYS, instrument_catalog
from wellbeing.assessments.resources import NO_NATIONAL_LINES, NO_OWN_LINES, help_line_warnings
from wellbeing.core.language import LANGUAGES
from wellbeing.org.countries import country_codes, is_country_code, org_country

WARNINGS_DOC = (f"What to fix so that agents always find help: {NO_OWN_LINES} (the organization has added no line "
                f"of its own), {NO_NATIONAL_LINES} (no national lines are known for its country)")


class HelpLineSchema(RequestSchema):
    """A help line of the organization; agents see these first, before the national ones (GET /support)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "The name shown in any language without its own entry in names"})
    phone = fields.String(required=True, validate=validate.Length(min=1, max=50))
    hours = fields.String(load_default="", validate=validate.Length(max=200))
    names = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                        values=fields.String(validate=validate.Length(min=1, max=200)),
                        metadata={"description": "Optional localized names by language (en, zh-CN)",
                                  "example": {"en": "Employee Assistance Programme", "zh-CN": "员工援助计划"}})
    url = fields.Url(schemes={"https", "http"}, validate=validate.Length(max=500),
                     metadata={"description": "Optional web page or chat of the service"})
    confidential = fields.Boolean(metadata={
        "description": "A service outside HR (an external EAP) that agents contact directly; nothing about its use "
                       "is recorded or visible to anyone in the organization. Default false"})


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 code such as ``CN`` (any case on input)."""

    def __init__(self, **kwargs) -> None:
        # Upper case in the document (any case is taken on input and stored upper case).
        metadata = {"example": "CN", "enum": sorted(country_codes()), **kwargs.pop("metadata", {})}
        super().__init__(validate=self._check, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).upper()

    @staticmethod
    def _check(value: str) -> None:
        if not is_country_code(value):
            raise ma.ValidationError("Not an ISO 3166-1 alpha-2 country code (for example CN).")


class OrgSchema(ma.Schema):
    """Organization settings, with the country in effect and what an admin should fix."""

    id = fields.String(dump_only=True)
    name = fields.String()
    timezone = fields.String()
    roster_min = fields.Integer()
    epsilon_per_month = fields.Float()
    help_lines = fields.List(fields.Nested(HelpLineSchema))
    retention_days = fields.Integer()
    country = fields.String(allow_none=True, metadata={
        "description": "ISO 3166-1 alpha-2 code whose national help lines agents see after the organization's own: "
                       "the admin's choice, else the country of the time zone (null when the zone names none)"})
    country_source = fields.String(metadata={"description": "setting (chosen by an admin) or timezone"})
    warnings = fields.List(fields.String(), metadata={"description": WARNINGS_DOC})

    @ma.pre_dump
    def _derived(self, org, **kwargs):
        derived = ("country", "country_source", "warnings")
        stored = {name: getattr(org, name) for name in self.fields if name not in derived}
        return stored | {"country": org_country(org), "country_source": "setting" if org.country else "timezone",
                         "warnings": help_line_warnings(org)}


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
    reminder_days = fields.Integer(metadata={"description": "Days between retake reminders in this organization"})
    reminder_days_default = fields.Integer(metadata={"description": "The instrument's own rhythm (surveys/*.json)"})
    min_interval_days = fields.Integer(metadata={"description": "Shortest retake interval: the lowest reminder_days"})
    license = fields.Nested(LicenseSchema)
    citation = fields.String()


class OrgInstrumentsPutSchema(RequestSchema):
    """Exactly the instruments to offer (every other one is switched off), and optionally their retake rhythm."""

    # The catalog (surveys/*.json, loaded at start-up) is the single list: documented here, checked by the domain.
    enabled = fields.List(fields.String(validate=validate.Length(min=1, max=64),
                                        metadata={"enum": sorted(instrument_catalog())}), required=True,
                          validate=validate.Length(max=100), metadata={"example": ["cbi", "phq4", "burnout1"]})
    reminder_days = fields.Dict(
        keys=fields.String(),  # unknown ids: a 422 with code invalid_reminder_days from the catalog
        values=fields.Integer(strict=True, metadata={"minimum": 1, "maximum": MAX_REMINDER_DAYS}),
        validate=validate.Length(max=100), metadata={
            "description": "Optional retake rhythm per instrument id, from its min_interval_days to 90; the ones "
                           "not named go back to their default. Left out, the rhythm chosen before stays.",
            "example": {"phq4": 28}})
