"""Schemas of the token endpoints."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import RequestSchema

# RFC 7636 section 4.1: 43-128 characters of the unreserved set.
VERIFIER = r"^[A-Za-z0-9._~-]{43,128}$"


def Client() -> fields.String:  # noqa: N802 (reads like the other field types)
    """Which kind of sign-in the token pair is for."""
    return fields.String(load_default="app", validate=validate.OneOf(("app", "console")), metadata={
        "description": "console: the web console's sign-in, which ends after 30 idle minutes or 10 hours"})


class LoginSchema(RequestSchema):
    """E-mail and password."""

    email = fields.String(required=True, validate=validate.Length(min=3, max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    client = Client()


class PasswordGrantSchema(LoginSchema):
    """Sign in with e-mail and password (``grant_type`` may be left out)."""

    grant_type = fields.String(validate=validate.OneOf(("password",)))


class CodeGrantSchema(RequestSchema):
    """Sign in with the one-time code of a single sign-on (``/auth/sso/start``) and the PKCE verifier it is bound to."""

    grant_type = fields.String(required=True, validate=validate.OneOf(("authorization_code",)))
    code = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    code_verifier = fields.String(required=True, load_only=True, validate=validate.Regexp(VERIFIER),
                                  metadata={"description": "The PKCE verifier whose S256 challenge started the sign-in"})


class TokenRequestSchema(RequestSchema):
    """Either body of POST /auth/token (parsed as one; documented as oneOf the two)."""

    grant_type = fields.String(load_default="password", validate=validate.OneOf(("password", "authorization_code")))
    # For a code the client (app or console) is the one that started the sign-in; a given one is ignored.
    email = fields.String(validate=validate.Length(min=3, max=320))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=200))
    client = Client()
    code = fields.String(load_only=True, validate=validate.Length(min=1, max=200))
    code_verifier = fields.String(load_only=True, validate=validate.Regexp(VERIFIER))

    @ma.validates_schema
    def _one_grant(self, data, **kwargs):
        wanted = ("code", "code_verifier") if data["grant_type"] == "authorization_code" else ("email", "password")
        other = ("email", "password") if data["grant_type"] == "authorization_code" else ("code", "code_verifier")
        errors = {name: ["Missing data for required field."] for name in wanted if name not in data}
        errors.update({name: [f"Not used with grant_type {data['grant_type']}."] for name in other if name in data})
        if errors:
            raise ma.ValidationError(errors)


class TokenPairSchema(ma.Schema):
    """An access token and the refresh token that renews it."""

    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires"})


def NewPassword() -> fields.String:  # noqa: N802 (reads like the other field types)
    """A password its owner chooses (the rules are checked by the service, which names the one broken)."""
    return fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class PasswordChangeSchema(LoginSchema):
    """The current e-mail and password (temporary or not) and the owner's new password."""

    new_password = NewPassword()


class ResetRequestSchema(RequestSchema):
    """The address to send a reset link to."""

    email = fields.String(required=True, validate=validate.Length(min=3, max=320))


class TokenPasswordSchema(RequestSchema):
    """A one-time link's token and the password its owner chooses."""

    token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    new_password = NewPassword()


class InvitationAcceptSchema(TokenPasswordSchema):
    """An invitation's token, the password its owner chooses, and which sign-in to open."""

    client = Client()


class MailAcceptedSchema(ma.Schema):
    """The request was taken; whatever follows goes by e-mail."""

    status = fields.String(metadata={"example": "accepted"})
