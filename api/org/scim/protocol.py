"""SCIM on the wire: the token check, application/scim+json in and out, SCIM error documents, list responses."""
from __future__ import annotations

from functools import wraps

from flask import g, json, request, url_for
from pydantic import ValidationError
from scim2_models import ResponseParameters, SCIMException
from werkzeug.exceptions import HTTPException

from api.core.auth import _with_security
from wellbeing.core.db import db
from wellbeing.org.scim import tokens
from wellbeing.org.scim.common import ScimError

SCIM_JSON = "application/scim+json"
BODY_TYPES = (SCIM_JSON, "application/json")
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SECURITY = [{"scimToken": []}]


def scim_response(body: dict, status: int = 200, headers: dict | None = None):
    """A SCIM document (application/scim+json)."""
    return json.dumps(body), status, {"Content-Type": SCIM_JSON, "Cache-Control": "no-store", **(headers or {})}


def scim_error(status: int, detail: str, scim_type: str | None = None, headers: dict | None = None):
    """An RFC 7644 3.12 error document."""
    body = {"schemas": [ERROR_URN], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim_response(body, status, headers)


def handle_error(error: Exception):
    """Every refusal under /scim/v2 as a SCIM error (the rest of the service speaks problem+json)."""
    if isinstance(error, ScimError):
        headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if error.status == 401 else None
        return scim_error(error.status, error.detail, error.scim_type, headers)
    if isinstance(error, HTTPException):
        status = error.code or 500
        messages = (getattr(error, "data", None) or {}).get("messages")
        if status in (400, 422) and messages:
            return scim_error(400, f"Invalid query parameter: {json.dumps(messages)}", "invalidValue")
        headers = {"Allow": ", ".join(error.valid_methods)} if status == 405 and getattr(error, "valid_methods", None) \
            else None
        return scim_error(status, error.description or error.name, None, headers)
    raise error


def token_required(fn):
    """The organization's current SCIM token as the bearer credential."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        org_id = tokens.organization_of(db.session, presented.strip()) if scheme.lower() == "bearer" else None
        if org_id is None:
            raise ScimError("A valid SCIM token is required.", 401)
        g.scim_org_id = org_id
        return fn(*args, **kwargs)

    return _with_security(wrapper, fn, SECURITY)


def body() -> dict:
    """The request's JSON object (application/scim+json or application/json)."""
    if request.mimetype not in BODY_TYPES:
        raise ScimError(f"Send the body as {SCIM_JSON}.", 415)
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise ScimError("The body is not a JSON object.", 400, "invalidSyntax")
    return data


def base_url() -> str:
    """The SCIM base URL as the client reached it (resource locations are built on it)."""
    return url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0]


def response_parameters(model, query: dict) -> dict:
    """``attributes`` / ``excludedAttributes`` as model_dump arguments (RFC 7644 3.9)."""
    given = {name: query[name] for name in ("attributes", "excluded_attributes") if query.get(name)}
    if not given:
        return {}
    try:
        return {"response_parameters": ResponseParameters[model].model_validate(given)}
    except (ValidationError, SCIMException):
        raise ScimError("attributes and excludedAttributes name attributes, and not both.", 400,
                        "invalidValue") from None


def list_response(total: int, start: int, documents: list[dict]) -> dict:
    return {"schemas": [LIST_URN], "totalResults": total, "startIndex": start, "itemsPerPage": len(documents),
            "Resources": documents}
