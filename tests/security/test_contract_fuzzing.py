"""Contract fuzzing: schemathesis generates requests from our own OpenAPI document for every operation.

Each generated case is sent as every role. Whatever the input: no 5xx, every error is
problem+json, and responses match the schemas and status codes the document declares.
"""
from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from api.config import Config
from wellbeing.core.crypto import generate_key

ROLES = ("agent", "supervisor", "hr", "admin")
MAX_EXAMPLES = 12


def not_a_server_error_and_problem_json(ctx, response, case):
    """Any error answer is a problem+json document (SCIM's own error document under /scim/v2) and never a 5xx."""
    assert response.status_code < 500, f"{case.method} {case.path} answered {response.status_code}"
    if response.status_code >= 400:
        expected = "application/scim+json" if case.path.startswith("/scim/v2/") else "application/problem+json"
        assert response.headers.get("content-type", [""])[0].startswith(expected), (
            f"{case.method} {case.path} answered {response.status_code} without {expected}")


def _load_schema() -> schemathesis.BaseSchema:
    """The OpenAPI document as the app serves it (a throwaway app: the schema is needed at collection)."""
    with tempfile.TemporaryDirectory() as instance:
        env = {"DATABASE_URL": "sqlite://", "INSTANCE_PATH": instance, "SECRET_KEY": "x" * 40,
               "DATA_KEYS": generate_key("fuzz")}
        spec = create_app(Config(env)).test_client().get("/openapi.json").get_json()
    return schemathesis.openapi.from_dict(spec)


schema = _load_schema()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_operation_survives_generated_input_as_every_role(case, app, world):
    checks = [not_a_server_error_and_problem_json, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    # Signing out would end the roles' sessions mid-test: the token endpoints are fuzzed without them.
    if case.path.startswith("/api/v1/auth/"):
        case.call_and_validate(app=app, checks=checks)
        return
    for role in ROLES:
        case.call_and_validate(app=app, headers=world.as_(role), checks=checks)
