"""Schemas of the identity-provider settings."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import RequestSchema, UTCDateTime

DOMAIN = r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"


class SsoConfigPutSchema(RequestSchema):
    """The organization's OpenID provider."""

    slug = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]{1,62}$"), metadata={
        "description": "What people type at 'Sign in with your organization' (and the app passes as ?org=)"})
    email_domains = fields.List(fields.String(validate=validate.Regexp(DOMAIN)), load_default=list,
                                validate=validate.Length(max=20), metadata={
                                    "description": "E-mail domains that lead to this provider; just-in-time "
                                                   "creation accepts only these when any are given"})
    # The URL rules beyond its scheme are named domain rules (issuer_invalid, issuer_not_https, issuer_has_query).
    issuer = fields.String(required=True, validate=[validate.Length(max=500), validate.Regexp(r"^https?://")],
                           metadata={"description": "The provider's issuer; discovery at "
                                                    "<issuer>/.well-known/openid-configuration. Refused with code "
                                                    "issuer_invalid, issuer_not_https or issuer_has_query"})
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=300))
    client_secret = fields.String(load_only=True, validate=validate.Length(min=1, max=1000), metadata={
        "description": "Required the first time; left out, the stored secret stays (it is never shown again)"})
    email_claim = fields.String(load_default="email", validate=validate.Regexp(r"^[A-Za-z0-9_.:/-]{1,100}$"),
                                metadata={"description": "The ID-token claim with the user's e-mail (email, upn, ...)"})
    password_sign_in = fields.Boolean(load_default=True, metadata={
        "description": "false: only admins may still sign in with a password"})
    jit_enabled = fields.Boolean(load_default=False, metadata={
        "description": "Create an unknown user (as an agent) at their first sign-in"})
    redirect_uris = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), load_default=list,
                                validate=validate.Length(max=20), metadata={
                                    "description": "The phone app's redirect URIs (com.example.app:/sso)"})


class SsoConfigSchema(ma.Schema):
    """The organization's OpenID provider as stored (the client secret is never returned)."""

    slug = fields.String()
    email_domains = fields.List(fields.String())
    issuer = fields.String()
    client_id = fields.String()
    client_secret_set = fields.Boolean(metadata={"description": "Always true: a secret is stored, encrypted"})
    email_claim = fields.String()
    password_sign_in = fields.Boolean()
    jit_enabled = fields.Boolean()
    jit_role = fields.String(metadata={"description": "The role of users created just in time", "example": "agent"})
    redirect_uris = fields.List(fields.String())
    callback_url = fields.String(metadata={"description": "The redirect URI to register at the provider"})
    scopes = fields.String(metadata={"example": "openid email profile"})
    updated_at = UTCDateTime()


class SsoTestSchema(ma.Schema):
    """What the provider answered just now."""

    issuer = fields.String()
    authorization_endpoint = fields.String()
    token_endpoint = fields.String()
    jwks_uri = fields.String()
    key_ids = fields.List(fields.String(), metadata={"description": "The key ids its JWKS publishes"})
    pkce_s256 = fields.Boolean(metadata={"description": "Whether it announces PKCE with S256"})


class ScimTokenSchema(ma.Schema):
    """A new SCIM bearer token, shown once."""

    token = fields.String()
    base_url = fields.String(metadata={"description": "The SCIM base URL to enter at the identity provider"})


class ScimStatusSchema(ma.Schema):
    """Whether the organization has a SCIM token, and since when."""

    base_url = fields.String()
    token_created_at = UTCDateTime(allow_none=True)
