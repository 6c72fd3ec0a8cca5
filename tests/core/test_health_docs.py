"""Health probes and the OpenAPI document."""
from __future__ import annotations

from openapi_spec_validator import validate

from tests.helpers import assert_problem

PUBLIC = {("/api/v1/auth/token", "post"), ("/healthz", "get"), ("/readyz", "get"),
          # Account recovery: the caller proves who they are with a password or a mailed one-time link.
          ("/api/v1/auth/password-change", "post"), ("/api/v1/auth/password-reset", "post"),
          ("/api/v1/auth/password-reset/confirm", "post"), ("/api/v1/auth/invitations/accept", "post"),
          # A public key: a browser or PWA subscribes to Web Push with it before anyone signs in.
          ("/api/v1/push/vapid-public-key", "get"),
          # Single sign-on: the browser on its way to the identity provider and back.
          ("/api/v1/auth/sso/start", "get"), ("/api/v1/auth/sso/callback", "get")}
# SCIM's optional search across resource types (RFC 7644 3.4.3) only answers 501 Not Implemented.
UNDOCUMENTED = {"scim.search_everything"}


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json == {"status": "ok", "database": "ok"}


def test_readyz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from wellbeing.core.db import db

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("refused"))

    monkeypatch.setattr(db.session, "execute", down)
    assert_problem(client.get("/readyz"), 503)


def test_openapi_document_is_valid_openapi_3(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_openapi_lists_every_endpoint_with_schemas_and_security(app, client):
    spec = client.get("/openapi.json").json
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        # The web console is HTML pages, not part of the API's document.
        if rule.endpoint in {"static", "docs_assets", *UNDOCUMENTED} or rule.endpoint.startswith(("api-docs.", "console")):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
            op = spec["paths"][path][method.lower()]
            assert op.get("summary"), (path, method)
            assert any(code.startswith(("2", "3")) for code in op["responses"]), (path, method)
            if (path, method.lower()) not in PUBLIC:
                assert op.get("security"), (path, method)
            if method in {"POST", "PUT", "PATCH"} and op.get("requestBody"):
                assert "application/json" in op["requestBody"]["content"]


def test_openapi_errors_are_documented_as_problem_json(client):
    spec = client.get("/openapi.json").json
    assert "application/problem+json" in spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200 and b"swagger" in page.data.lower()
    asset = client.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
