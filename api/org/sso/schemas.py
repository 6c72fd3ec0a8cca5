"""Schemas of the single sign-on endpoints."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import RequestSchema


class StartQuerySchema(RequestSchema):
    """Which organization, where the app wants the one-time code, and the app's PKCE challenge."""

    org = fields.String(required=True, validate=validate.Length(min=1, max=320), metadata={
        "description": "The organization's single sign-on slug, or an e-mail address (or domain) of its people"})
    client = fields.String(load_default="app", validate=validate.OneOf(("app", "console")), metadata={
        "description": "console: the web console's own sign-in (its return page is fixed; redirect_uri is not used)"})
    redirect_uri = fields.String(validate=validate.Length(min=1, max=1000), metadata={
        "description": "app: one of the organization's registered redirect URIs; anything else is refused (400)"})
    code_challenge = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{43}$"), metadata={
        "description": "BASE64URL(SHA-256(code_verifier)) without padding (RFC 7636)"})
    code_challenge_method = fields.String(load_default="S256", validate=validate.OneOf(("S256",)))
    state = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "The app's own value, handed back with the code"})


class CallbackQuerySchema(ma.Schema):
    """The provider's answer (RFC 6749 4.1.2); other parameters a provider adds are ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    state = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(validate=validate.Length(min=1, max=2000))
    error = fields.String(validate=validate.Length(max=200))
    iss = fields.String(validate=validate.Length(max=500))
