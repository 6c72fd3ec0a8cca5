"""The Flask application factory: reads like a table of contents of the HTTP layer."""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

from flask import Flask, Response, current_app, g, request, send_from_directory
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from api.config import Config
from api.core.connections import UnreadBodyGuard
from api.core.allow import allowed_methods
from api.core.errors import problem, register_error_handlers
from api.core.openapi import register_field_rules
from api.core.extensions import api, jwt, limiter, migrate
from api.core.json_provider import OrjsonProvider
from api.core import auth as jwt_loaders  # noqa: F401  (importing registers the JWT loaders)
from api.core import limiter_storage  # noqa: F401  (importing registers the wellbeing+sql:// limiter storage)
from wellbeing import reactions  # noqa: F401  (importing registers the cross-feature reactions)
from wellbeing.org import passwords
from wellbeing.core.db import db, ping_idle_connections, set_write_intent
from wellbeing.assessments.catalog import instrument_catalog
from wellbeing.assessments.resources import national_catalog

API_PREFIX = "/api/v1"
JSON_TYPES = ("application/json", "application/problem+json")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ServiceFlask(Flask):
    """Flask, with an ``Allow`` that lists exactly the methods of the matched route."""

    def make_default_options_response(self) -> Response:
        response = self.response_class()
        response.allow.update(allowed_methods(request.path))
        return response


def create_app(config: Config | None = None, **overrides) -> Flask:
    """Build the app from the environment (or a given Config), with optional setting overrides."""
    config = config or Config()
    app = ServiceFlask(__name__, instance_path=config.INSTANCE_PATH)
    app.json = OrjsonProvider(app)
    app.config.update(config.as_dict())
    app.config.update(overrides)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    """Log lines carry the request id; bodies are never logged."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config["ENV"] != "production":
        logging.getLogger("api").warning(
            "development mode (WELLBEING_ENV is not 'production'): generated secrets, mail to the log, no Secure cookies")


def register_extensions(app: Flask) -> None:
    """Initialise the database, migrations, JWT, the limiter and the API with its OpenAPI document."""
    if app.config["PASSWORD_HASH_COST"] == "low":
        passwords.configure(time_cost=1, memory_cost=1024)
    # Outermost: whatever answers early, the body it did not read never breaks the next request on the connection.
    app.wsgi_app = UnreadBodyGuard(app.wsgi_app, app.config.get("MAX_CONTENT_LENGTH"))
    if app.config["TRUST_PROXY"]:
        hops = app.config["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    # The survey and national help-line files are checked once, at start: a broken file stops the boot, naming the
    # file and JSON path.
    instrument_catalog()
    national_catalog()
    db.init_app(app)
    with app.app_context():
        # A server database without SQLAlchemy's per-checkout ping (DB_PRE_PING=idle) pings idle connections only
        if db.engine.dialect.name != "sqlite" and not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
            ping_idle_connections(db.engine)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    jwt.init_app(app)
    limiter.init_app(app)
    api.init_app(app, spec_kwargs={"info": {"description": "Wellbeing backend for contact-center agents."}})
    register_field_rules(api.ma_plugin)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.components.security_scheme(
        "scimToken", {"type": "http", "scheme": "bearer", "description": "The organization's SCIM token (wbscim_...)"})
    api.spec.components.security_scheme(
        "apiKey", {"type": "http", "scheme": "bearer", "description": "An organization API key (wbk_...)"})


def register_blueprints(app: Flask) -> None:
    """Every resource, under /api/v1 (health and docs at the root), and the web console under /console."""
    from api import assessments, contact_centre, counseling, data_rights, diary, org, prompts, risk, shifts, trends
    from api.assessments import instruments, support
    from api.core import health
    from api.counseling import my_counseling
    from api.diary import emotions
    from api.org import access_log, api_keys, auth, consents, identity_provider, me, sso, teams, users
    from api.prompts import devices, events, exercises, vapid

    api.register_blueprint(health.blp)
    resources = (
        auth, sso, org, identity_provider, teams, users, api_keys, me,
        emotions, diary,
        instruments, assessments, risk,
        consents, data_rights, access_log, counseling, my_counseling,
        exercises, prompts, devices, events, vapid,
        shifts, contact_centre,
        trends,
        support,
    )
    for module in resources:
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.blp.url_prefix)
    from api.org import scim

    api.register_blueprint(scim.blp)

    from swagger_ui_bundle import swagger_ui_path

    @app.get("/docs-assets/<path:filename>")
    def docs_assets(filename: str):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    from api import console

    console.init_app(app)
    _scim_routing_errors(app)


def _scim_routing_errors(app: Flask) -> None:
    """Under /scim/v2 even routing errors (an unknown path, an unsupported method) are SCIM error documents."""
    from api.org.scim import blp as scim_blp
    from api.org.scim.protocol import handle_error

    others = app.error_handler_spec[None][None][HTTPException]

    @app.errorhandler(HTTPException)
    def scim_or_others(error: HTTPException):
        if request.path.startswith(scim_blp.url_prefix + "/"):
            return handle_error(error)
        return others(error)


SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"))


def register_request_hooks(app: Flask) -> None:
    """Request ids, JSON-only bodies, SQLite write intent, security headers."""

    @app.before_request
    def start_request():
        g.request_id = request.environ.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex
        set_write_intent(request.method in UNSAFE)
        _cap_streamed_body()
        # The console's HTML forms post form data, the shift upload takes CSV, SCIM checks its own
        # (application/scim+json); everything else speaks JSON only.
        json_only = request.blueprint not in ("console", "scim")
        if request.endpoint == "shifts.ShiftsCsv":
            if request.method in UNSAFE and request.mimetype not in ("text/csv", *JSON_TYPES):
                return problem(415, "Unsupported media type", "Send the file as text/csv (or JSON {\"csv\": ...}).")
        elif json_only and request.method in UNSAFE and request.content_length and request.mimetype not in JSON_TYPES:
            return problem(415, "Unsupported media type", "Send the body as application/json.")
        return None

    @app.teardown_request
    def end_write_intent(error=None):
        # The flag lives in the thread's context: clear it so nothing after the request inherits it.
        set_write_intent(False)

    @app.after_request
    def finish_request(response):
        headers = response.headers
        headers["X-Request-ID"] = g.get("request_id", "")
        # A header the view set stays. (One look at the names: werkzeug's own lookups raise and catch a
        # KeyError for every header that is missing, which is most of these on most answers.)
        present = {name.lower() for name, _ in headers.items()}
        defaults = list(SECURITY_HEADERS)
        if request.is_secure or app.config["ENV"] == "production":
            defaults.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        if response.mimetype in JSON_TYPES:
            defaults.append(("Cache-Control", "no-store"))
        for name, value in defaults:
            if name.lower() not in present:
                headers.add(name, value)
        return response


def _cap_streamed_body() -> None:
    """A chunked body (no Content-Length) over MAX_CONTENT_LENGTH is a 413, not silently cut at the cap.

    Werkzeug stops reading a streamed body at the cap and hands back the first part, which the JSON
    parser then refuses as a 400 (or, for a bare number, could even accept truncated). Reading it here,
    cached for the handler, tells "exactly the cap" from "more than the cap".
    """
    cap = current_app.config.get("MAX_CONTENT_LENGTH")
    if not cap or request.method not in UNSAFE or request.content_length is not None:
        return
    if not request.environ.get("wsgi.input_terminated"):
        return  # Werkzeug then reads no body at all
    data = request.get_data(cache=True)
    if len(data) >= cap and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def register_commands(app: Flask) -> None:
    """The command line: bootstrap, seed-demo, generate-data-key."""
    from api.cli import register

    register(app)
