"""GET /auth/sso/start (the app or console leaves for the provider), GET /auth/sso/callback (it comes back)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, url_for
from flask.views import MethodView

from api.core.extensions import Blueprint, limiter
from api.core.keyring import keyring
from api.org.sso.schemas import CallbackQuerySchema, StartQuerySchema
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.org.sso import config as sso_config
from wellbeing.org.sso import signin

blp = Blueprint("sso", __name__, url_prefix="/auth/sso", description="Single sign-on with the organization's "
                "OpenID provider")

REDIRECT = {"description": "To the provider (start), or back to the app or console (callback)",
            "headers": {"Location": {"schema": {"type": "string"}}}}


def _redirect(location: str, status: int = 302) -> Response:
    """A redirect with an empty body, as the document describes it (Flask's own adds a small HTML page)."""
    response = Response(status=status, headers={"Location": location})
    del response.headers["Content-Type"]
    return response


def _callback_url() -> str:
    return url_for("sso.Callback", _external=True)


def _with_query(uri: str, params: dict) -> str:
    query = urlencode({name: value for name, value in params.items() if value is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


@blp.route("/start")
class Start(MethodView):
    decorators = [limiter.limit("60/minute")]

    @blp.arguments(StartQuerySchema, location="query")
    @blp.doc(responses={"302": REDIRECT})
    @blp.alt_response(400, description="code redirect_uri_unregistered: not one of the organization's redirect URIs "
                                       "(never redirected to); code provider_unreachable / provider_invalid")
    @blp.alt_response(404, description="code sso_unknown_org: no organization signs in by this name or domain")
    def get(self, query):
        """Start a single sign-on: redirects the browser to the organization's OpenID provider"""
        config = sso_config.find_config(db.session, query["org"])
        url = signin.start(db.session, config, query["client"], query.get("redirect_uri"), query["code_challenge"],
                           query.get("state"), _callback_url(), utcnow())
        return _redirect(url, 302)


@blp.route("/callback")
class Callback(MethodView):
    decorators = [limiter.limit("60/minute")]

    @blp.arguments(CallbackQuerySchema, location="query")
    @blp.doc(responses={"302": REDIRECT})
    @blp.alt_response(400, description="code sso_state_invalid: an unknown, used or expired sign-in")
    def get(self, query):
        """The provider's return: redirects to the app (one-time code, or error) or to the console"""
        try:
            attempt, code = signin.finish(db.session, query["state"], query.get("code"), query.get("error"),
                                          query.get("iss"), _callback_url(), keyring(), utcnow())
        except signin.SignInRefused as refused:
            attempt = refused.attempt
            if attempt.client == "console":
                return _redirect(url_for("console.sso_finish", error=refused.code), 302)
            return _redirect(_with_query(attempt.redirect_uri, {
                "error": "access_denied", "error_description": refused.detail, "error_code": refused.code,
                "state": attempt.app_state}), 302)
        if attempt.client == "console":
            return _redirect(url_for("console.sso_finish", code=code), 302)
        return _redirect(_with_query(attempt.redirect_uri, {"code": code, "state": attempt.app_state}), 302)
