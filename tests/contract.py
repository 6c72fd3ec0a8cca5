"""Every response the suite's test client receives is checked against the OpenAPI document.

The whole suite thereby checks the document: a field that can be null but is not declared nullable, an
undocumented status, a body that does not match its schema, each fails the test that met it (endpoints added later
included), instead of waiting for a generated client to break.
"""
from __future__ import annotations

import functools
import json
import os
import re

from flask.testing import FlaskClient
from openapi_schema_validator import OAS30ReadValidator
from werkzeug.exceptions import HTTPException

JSON_TYPES = ("application/json", "application/problem+json")
COLLECT = os.environ.get("CONTRACT_RESPONSES_LOG")  # a file to append violations to, instead of failing


class ContractViolation(AssertionError):
    """A response the OpenAPI document does not describe."""


@functools.cache
def _spec(app) -> dict:
    return app.test_client().get("/openapi.json").get_json()


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


@functools.cache
def _validator(app, path: str, method: str, status: str, media: str):
    spec = _spec(app)
    responses = spec["paths"][path][method]["responses"]
    response = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
    if response is None:
        return f"status {status} is not documented"
    while "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content") or {}
    if media == "none" and not content:
        return None  # documented without a body (a redirect), and sent without one
    if media not in content:
        return f"status {status} documents {sorted(content) or 'no body'}, not {media}"
    schema = dict(content[media].get("schema") or {})
    schema["components"] = spec["components"]
    return OAS30ReadValidator(schema)


def check_response(app, method: str, path: str, response) -> str | None:
    """Why this response breaks the document, or None."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(path, method=method, return_rule=True)
    except HTTPException:
        return None
    openapi_path = _openapi_path(rule.rule)
    operations = _spec(app)["paths"].get(openapi_path)
    if operations is None or method.lower() not in operations:
        return None  # the console, the docs and their assets: not part of the API document
    if response.status_code in (204, 304):
        return f"{response.status_code} with a body" if response.get_data() else None
    media = response.mimetype
    validator = _validator(app, openapi_path, method.lower(), str(response.status_code),
                           media if media in JSON_TYPES else media or "none")
    if isinstance(validator, str):
        return validator
    if media not in JSON_TYPES:
        return None
    body = response.get_json(silent=True)
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
    if errors:
        return "; ".join(f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message[:200]}" for e in errors[:5])
    return None


class ContractClient(FlaskClient):
    """Flask's test client, checking every API response against /openapi.json."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        if request is None or request.path == "/openapi.json":
            return response
        problem = check_response(self.application, request.method, request.path, response)
        if problem:
            where = f"{request.method} {request.path} -> {response.status_code}"
            if COLLECT:
                with open(COLLECT, "a", encoding="utf-8") as log:
                    log.write(json.dumps({"where": where, "problem": problem}) + "\n")
            else:
                raise ContractViolation(f"{where}: the response breaks the OpenAPI document: {problem}")
        return response
