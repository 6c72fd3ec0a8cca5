"""One error path: every 4xx and 5xx leaves as RFC 9457 application/problem+json."""
from __future__ import annotations

import http
import logging
from datetime import datetime, timezone

import marshmallow as ma
from flask import Flask, g, json, request
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from api.core.allow import allowed_methods
from wellbeing.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Throttled,
    Unauthorized,
    Unavailable,
)

PROBLEM = "application/problem+json"
log = logging.getLogger("api.errors")

# Each kind of domain error, as an HTTP status and problem title (anything else a service raises on purpose: 400).
STATUSES: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not found"),
    Forbidden: (403, "Forbidden"),
    Conflict: (409, "Conflict"),
    Invalid: (422, "Unprocessable content"),
    Unauthorized: (401, "Unauthorized"),
    Throttled: (429, "Too many requests"),
    Unavailable: (503, "Service unavailable"),
}


class HttpProblem(Exception):
    """A refusal of the HTTP layer itself (a query parameter, a cursor): status, title and errors by location."""

    def __init__(self, status: int, title: str, detail: str, *, errors: dict | None = None,
                 code: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors, self.code = status, title, detail, errors, code


def status_of(error: DomainError) -> tuple[int, str]:
    """The HTTP status and title of a domain error (by its nearest mapped class)."""
    return next((STATUSES[kind] for kind in type(error).__mro__ if kind in STATUSES), (400, "Bad request"))


def domain_problem_errors(error: DomainError) -> dict | None:
    """The problem's `errors` member: field messages belong to the JSON body; a conflict names the stored state."""
    if isinstance(error, Conflict) and error.current:
        return {"current": error.current}
    return {"json": error.fields} if error.fields else None


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document (documentation only)."""

    type = ma.fields.String(metadata={"description": "A URI naming the problem type"})
    title = ma.fields.String(metadata={"description": "Short summary of the problem type"})
    status = ma.fields.Integer(metadata={"description": "The HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong, for this request"})
    code = ma.fields.String(metadata={"description": "A stable machine-readable code, where there is one"})
    errors = ma.fields.Dict(metadata={"description": "Field errors by location and field name (422)"})
    available_from = ma.fields.String(metadata={
        "description": "code retake_too_soon (409): when the questionnaire can be answered again (RFC 3339, UTC)"})
    request_id = ma.fields.String(metadata={"description": "The id under which the server logged this request"})


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def problem(status: int, title: str, detail: str | None = None, *, errors=None, code=None, headers=None,
            extensions=None):
    """A problem+json response tuple; `extensions` are extra members (RFC 9457 section 3.2), never the standard ones."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    for name, value in (extensions or {}).items():
        body.setdefault(name, _rfc3339(value) if isinstance(value, datetime) else value)
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return json.dumps(body), status, {"Content-Type": PROBLEM, **(headers or {})}


class ProblemApi(Api):
    """flask-smorest's Api, answering and documenting errors as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(allowed_methods(request.path) or error.valid_methods))
        if error.code == 429 and "Retry-After" not in headers:
            retry = getattr(error, "retry_after", None)
            headers["Retry-After"] = str(retry or 60)
        errors = data.get("errors") or data.get("messages")
        detail = data.get("message") or (error.description if error.code != 500 else None)
        if error.code == 500:
            original = getattr(error, "original_exception", None)
            log.error("unhandled error (request %s)", getattr(g, "request_id", "-"), exc_info=original)
            detail = "An unexpected error occurred; it has been logged."
        # A rule across fields (api.core.schemas.rule_violation) names itself with a code.
        code = g.pop("problem_code", None) if error.code == 422 else None
        return problem(error.code or 500, error.name, detail, errors=errors, headers=headers, code=code)

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def register_error_handlers(app: Flask) -> None:
    """Domain errors, database outages and bad values all become problem+json."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        retry_after = getattr(error, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        status, title = status_of(error)
        return problem(status, title, error.detail, errors=domain_problem_errors(error), code=error.code,
                       headers=headers, extensions=getattr(error, "extensions", None))

    @app.errorhandler(HttpProblem)
    def http_problem(error: HttpProblem):
        return problem(error.status, error.title, error.detail, errors=error.errors, code=error.code)

    @app.errorhandler(DataError)
    def data_error(error: DataError):
        # A value the schema let through but the database refused (out of range, bad encoding).
        log.warning("database refused a value (request %s): %s", getattr(g, "request_id", "-"), type(error.orig).__name__)
        return problem(422, "Unprocessable content", "A value is out of the range this service can store.")

    @app.errorhandler(OperationalError)
    @app.errorhandler(SAInterfaceError)
    def database_unavailable(error):
        log.error("database unavailable (request %s): %s", getattr(g, "request_id", "-"), type(error.orig).__name__, exc_info=error)
        return problem(503, "Service unavailable", "The database is not reachable; try again shortly.",
                       headers={"Retry-After": "5"})

    @app.errorhandler(PoolTimeout)
    def database_busy(error):
        # Every pooled connection stayed busy for pool_timeout (a slow or locked database): shed the load.
        log.error("database connection pool exhausted (request %s)", getattr(g, "request_id", "-"))
        return problem(503, "Service unavailable", "The database is busy; try again shortly.",
                       headers={"Retry-After": "5"})
