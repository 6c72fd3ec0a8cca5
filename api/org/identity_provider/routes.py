"""GET, PUT, DELETE /org/sso; POST /org/sso/test; GET, POST /org/scim-token."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.keyring import keyring
from api.org.identity_provider.schemas import (
    ScimStatusSchema,
    ScimTokenSchema,
    SsoConfigPutSchema,
    SsoConfigSchema,
    SsoTestSchema,
)
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.org.scim import tokens
from wellbeing.org.sso import config as sso_config
from wellbeing.org.sso.provider import SCOPES

blp = Blueprint("identity_provider", __name__, url_prefix="/org", description="Single sign-on and SCIM provisioning "
                "settings (admin)")


def _view(config) -> dict:
    body = {name: getattr(config, name) for name in ("slug", "email_domains", "issuer", "client_id", "email_claim",
                                                     "password_sign_in", "jit_enabled", "redirect_uris", "updated_at")}
    return {**body, "client_secret_set": True, "jit_role": "agent", "scopes": SCOPES,
            "callback_url": url_for("sso.Callback", _external=True)}


def scim_base_url() -> str:
    """Where the identity provider reaches the SCIM service."""
    return url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0]


@blp.route("/sso")
class SsoSettings(MethodView):
    @login_required("admin")
    @blp.response(200, SsoConfigSchema)
    @blp.alt_response(404, description="Single sign-on is not set up")
    def get(self):
        """The organization's OpenID provider"""
        return _view(sso_config.get_config(db.session, current_user.org_id))

    @login_required("admin")
    @blp.arguments(SsoConfigPutSchema)
    @blp.response(200, SsoConfigSchema)
    @blp.alt_response(409, description="code slug_taken: another organization uses this slug")
    def put(self, data):
        """Set the organization's OpenID provider (the client secret is stored encrypted)"""
        return _view(sso_config.save_config(db.session, current_user.org_id, data, keyring(), utcnow()))

    @login_required("admin")
    @blp.response(204)
    @blp.alt_response(404, description="Single sign-on is not set up")
    def delete(self):
        """Turn single sign-on off (everyone signs in with a password again)"""
        sso_config.delete_config(db.session, current_user.org_id)


@blp.route("/sso/test")
class SsoTest(MethodView):
    @login_required("admin")
    @blp.response(200, SsoTestSchema)
    @blp.alt_response(400, description="code provider_unreachable or provider_invalid, with what went wrong")
    @blp.alt_response(404, description="Single sign-on is not set up")
    def post(self):
        """Test the connection: fetch the provider's discovery document and JWKS now"""
        return sso_config.test_connection(sso_config.get_config(db.session, current_user.org_id))


@blp.route("/scim-token")
class ScimTokenResource(MethodView):
    @login_required("admin")
    @blp.response(200, ScimStatusSchema)
    def get(self):
        """The SCIM base URL and when the current token was made (never the token)"""
        return {"base_url": scim_base_url(), "token_created_at": tokens.token_created_at(db.session, current_user.org_id)}

    @login_required("admin")
    @blp.response(201, ScimTokenSchema)
    def post(self):
        """Create or rotate the SCIM token (shown once; the previous one stops working)"""
        return {"token": tokens.rotate_token(db.session, current_user.org_id, utcnow()), "base_url": scim_base_url()}
