"""POST /auth/token, /auth/refresh, /auth/logout."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import create_access_token, create_refresh_token, current_user
from api.core.extensions import Blueprint

from api.core.auth import login_required, token_claims
from api.core.extensions import limiter
from api.org.mail import link_base
from api.org.auth.schemas import (
    CodeGrantSchema,
    InvitationAcceptSchema,
    MailAcceptedSchema,
    PasswordGrantSchema,
    PasswordChangeSchema,
    ResetRequestSchema,
    TokenPairSchema,
    TokenPasswordSchema,
    TokenRequestSchema,
)
from wellbeing.org import accounts, identity
from wellbeing.org.sso import signin
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import AuthSession, User

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Sign-in and tokens")


def _open_session(user: User, client: str, now) -> AuthSession:
    """A new sign-in; the console's is bound to the console's own limits (its refresh token is useless later)."""
    if client == "console":
        config = current_app.config
        return identity.start_session(db.session, user, now, config["CONSOLE_MAX_SESSION"], config["CONSOLE_IDLE_TIMEOUT"])
    return identity.start_session(db.session, user, now)


def _token_pair(user: User, auth: AuthSession) -> dict:
    claims = {"sid": auth.id, "role": user.role, "org": user.org_id}
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return {
        "access_token": create_access_token(identity=user.id, additional_claims=claims),
        "refresh_token": create_refresh_token(identity=user.id, additional_claims={"sid": auth.id, "jti": auth.refresh_jti}),
        "token_type": "Bearer",
        "expires_in": int(lifetime.total_seconds()),
    }


@blp.route("/token")
class Token(MethodView):
    decorators = [limiter.limit("30/minute")]

    @blp.arguments(TokenRequestSchema)
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
        "oneOf": [PasswordGrantSchema, CodeGrantSchema]}}}})
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(400, description="code invalid_grant: the single sign-on code was used, expired, or its "
                                       "code_verifier does not match")
    @blp.alt_response(401, description="Wrong e-mail or password (the same answer for both, and a deactivated account)")
    @blp.alt_response(403, description="code password_change_required: a temporary password (no token issued); "
                                       "code password_sign_in_disabled: the organization signs in by single sign-on")
    @blp.alt_response(429, description="Too many failed sign-ins for this account or address")
    def post(self, data):
        """Sign in with e-mail and password, or with the one-time code of a single sign-on (PKCE)"""
        now = utcnow()
        if data["grant_type"] == "authorization_code":
            user, client = signin.exchange(db.session, data["code"], data["code_verifier"], now)
            return _token_pair(user, _open_session(user, client, now))
        user = identity.authenticate(db.session, data["email"], data["password"], request.remote_addr or "-", now)
        return _token_pair(user, _open_session(user, data["client"], now))


@blp.route("/refresh")
class Refresh(MethodView):
    decorators = [limiter.limit("60/minute")]

    @login_required(refresh=True)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Not a current refresh token; a reused one revokes its whole family")
    def post(self):
        """Swap a refresh token for a new token pair"""
        claims = token_claims()
        auth = identity.rotate_session(db.session, claims["sid"], claims["jti"], utcnow())
        return _token_pair(current_user, auth)


@blp.route("/logout")
class Logout(MethodView):
    @login_required(any_token=True)
    @blp.response(204)
    def post(self):
        """Sign out: the refresh token and its access tokens stop working"""
        identity.revoke_session(db.session, token_claims()["sid"], utcnow())


@blp.route("/password-change")
class PasswordChange(MethodView):
    decorators = [limiter.limit("30/minute")]

    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong e-mail or password (the same answer as POST /auth/token)")
    @blp.alt_response(422, description="The new password breaks a rule (the code names it)")
    def post(self, data):
        """Replace a password (a temporary one, or your own) and sign in"""
        now = utcnow()
        user = identity.check_credentials(db.session, data["email"], data["password"], request.remote_addr or "-", now)
        identity.check_password_sign_in(db.session, user)
        accounts.change_password(db.session, user, data["new_password"], None, now)
        return _token_pair(user, _open_session(user, data["client"], now))


@blp.route("/password-reset")
class PasswordReset(MethodView):
    decorators = [limiter.limit("10/minute")]

    @blp.arguments(ResetRequestSchema)
    @blp.response(202, MailAcceptedSchema)
    def post(self, data):
        """Mail a password reset link (the same answer whether or not the address has an account)"""
        accounts.request_reset(db.session, data["email"], link_base(), utcnow())
        return {"status": "accepted"}


@blp.route("/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    decorators = [limiter.limit("30/minute")]

    @blp.arguments(TokenPasswordSchema)
    @blp.response(204)
    @blp.alt_response(400, description="code invalid_link: the link was used, expired or never existed")
    @blp.alt_response(422, description="The new password breaks a rule (the code names it)")
    def post(self, data):
        """Set a new password through a reset link; every session of the account ends"""
        accounts.confirm_reset(db.session, data["token"], data["new_password"], utcnow())


@blp.route("/invitations/accept")
class InvitationAccept(MethodView):
    decorators = [limiter.limit("30/minute")]

    @blp.arguments(InvitationAcceptSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(400, description="code invalid_link: the link was used, expired or never existed")
    @blp.alt_response(422, description="The new password breaks a rule (the code names it)")
    def post(self, data):
        """Accept an invitation: choose a password and sign in"""
        now = utcnow()
        user = accounts.accept_invitation(db.session, data["token"], data["new_password"], now)
        return _token_pair(user, _open_session(user, data["client"], now))
