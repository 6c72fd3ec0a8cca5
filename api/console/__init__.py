"""The web console for supervisors, HR and admins: server-rendered pages under /console, a thin client of /api/v1.

Every page gets its data from our own JSON API, called in-process with the signed-in user's token
(``client.ApiClient``), never from the domain or the database: the console can show nothing the API
would not show that user. One module per area: ``auth`` (sign-in, language), ``account`` (passwords, links), ``admin_*``,
``supervisor`` and ``hr``; a new area is a new module, imported in ``init_app``.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from api.console import i18n, state
from api.console.display import local_time, role_label
from api.console.i18n import gettext, resolve_language
from api.console.pages import ApiError, api, api_failure, error_page, to_sign_in
from wellbeing.core.clock import utcnow

PREFIX = "/console"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}

bp = Blueprint("console", __name__, url_prefix=PREFIX, template_folder="templates", static_folder="static",
               static_url_path="/static")
root = Blueprint("console_root", __name__)


@root.get("/")
def home():
    """The site's front door is the console."""
    return redirect(url_for("console.index"))


@bp.before_request
def open_request():
    """Language, session expiry and CSRF: checked before any console view runs (static files aside)."""
    if request.endpoint == "console.static":
        return None
    g.console_lang = resolve_language(state.language(), request.headers.get("Accept-Language"), None)
    now = utcnow().timestamp()
    config = current_app.config
    if state.expired(now, config["CONSOLE_IDLE_TIMEOUT"], config["CONSOLE_MAX_SESSION"]):
        api().sign_out()
        return to_sign_in(gettext("Your session expired. Please sign in again."))
    state.touch(now)
    if request.method == "POST" and not state.csrf_valid(request.form.get("csrf_token")):
        return error_page(400, gettext("This form has expired or did not come from this console. "
                                       "Reload the page and try again."))
    return None


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    """An API answer a page could not show becomes a readable page (401: back to sign-in)."""
    return api_failure(error.result)


def _is_console_path() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def init_app(app: Flask) -> None:
    """Mount the console, its session cookie, translations, filters and error pages."""
    # Imported for their routes; the order is the order of each role's navigation.
    from api.console import (  # noqa: F401
        account, admin_teams, admin_users, admin_keys, admin_settings, admin_instruments, auth, hr, hr_cases, sso,
        supervisor, trends,
    )
    from api.core.extensions import api as rest_api

    app.session_interface = state.ConsoleSessionInterface()
    i18n.install(app)
    app.add_template_filter(lambda value: local_time(value, (g.get("me") or {}).get("timezone")), "localtime")
    app.add_template_filter(role_label, "role_label")
    app.register_blueprint(bp)
    app.register_blueprint(root)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # The API answers problem+json; a console URL answers a page (unknown paths and 405s included).
        if not _is_console_path():
            return rest_api.handle_http_exception(error)
        g.setdefault("console_lang", resolve_language(None, request.headers.get("Accept-Language"), None))
        return error_page(error.code or 500)

    @app.after_request
    def console_headers(response):
        if _is_console_path() and request.endpoint != "console.static":
            for name, value in SECURITY_HEADERS.items():
                response.headers[name] = value
        return response
