"""Schemas of the token endpoints."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import RequestSchema


class LoginSchema(RequestSchema):
    """E-mail and password."""

    email = fields.String(required=True, validate=validate.Length(min=3, max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenPairSchema(ma.Schema):
    """An access token and the refresh token that renews it."""

    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires"})
