"""Generic rules of the OpenAPI document, checked over every operation (endpoints added later included)."""
from __future__ import annotations

import re

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SAMPLE_ID = "6f1c1a52-3f63-4d0e-9b7e-3a4c1d2e5f60"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE_ID, path)


def test_options_allow_lists_exactly_the_documented_methods_of_each_path(client):
    """Regression: /diary/batch advertised the GET, PATCH and DELETE of its sibling /diary/{entry_id}."""
    spec = client.get("/openapi.json").json
    wrong = {}
    for path, item in spec["paths"].items():
        documented = {method.upper() for method in item if method in HTTP_METHODS}
        expected = documented | {"OPTIONS"} | ({"HEAD"} if "GET" in documented else set())
        response = client.options(_concrete(path))
        advertised = {method.strip() for method in response.headers.get("Allow", "").split(",") if method.strip()}
        if response.status_code != 200 or advertised != expected:
            wrong[path] = (response.status_code, sorted(advertised), sorted(expected))
    assert not wrong, wrong


def test_a_405_names_the_methods_of_the_path_itself(client, world):
    response = client.put("/api/v1/diary/batch", json={}, headers=world.as_("agent"))
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"POST", "OPTIONS"}


def _responses(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                for status, response in operation.get("responses", {}).items():
                    yield f"{method.upper()} {path} {status}", _resolve(spec, response)


def _resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_every_documented_status_describes_its_body(client):
    """Each response names its media type and schema, except those that have no body (204, 304, HEAD-like)."""
    spec = client.get("/openapi.json").json
    missing = []
    for where, response in _responses(spec):
        status = where.rsplit(" ", 1)[1]
        if status in ("204", "304"):
            assert not response.get("content"), f"{where} documents a body it never sends"
            continue
        if status.startswith("3"):
            # A redirect (single sign-on's way to the provider and back) has no body; where it goes is the header
            assert not response.get("content") and "Location" in response.get("headers", {}), where
            continue
        content = response.get("content") or {}
        if not content or not all(media.get("schema") for media in content.values()):
            missing.append(where)
    assert not missing, missing


def _error_media(where: str) -> set[str]:
    # SCIM speaks its own error document (RFC 7644 3.12) in application/scim+json; the rest of the API problem+json
    path = where.split(" ", 2)[1]
    return {"application/scim+json"} if path.startswith("/scim/v2/") else {"application/problem+json"}


def test_error_responses_are_problem_json(client):
    spec = client.get("/openapi.json").json
    wrong = [where for where, response in _responses(spec)
             if where.rsplit(" ", 1)[1] not in ("default",) and where.rsplit(" ", 1)[1] >= "400"
             and set(response.get("content") or {}) != _error_media(where)]
    assert not wrong, wrong
