"""Schemas of push targets (the secret goes in, never out)."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import ClientId, RequestSchema, UTCDateTime


class DeviceCreateSchema(RequestSchema):
    """A signed-webhook target: deliveries are POSTed to `url`, signed with HMAC-SHA256 of the body with `secret`."""

    id = ClientId()
    channel = fields.String(required=True, validate=validate.OneOf(["webhook"]))
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))
    secret = fields.String(required=True, load_only=True, validate=validate.Length(min=16, max=200))


class DeviceSchema(ma.Schema):
    """A registered push target."""

    id = fields.String()
    channel = fields.String()
    url = fields.String()
    created_at = UTCDateTime()
    disabled_at = UTCDateTime(allow_none=True, metadata={"description": "Set after repeated permanent delivery failures"})
