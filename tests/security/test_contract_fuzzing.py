"""Contract fuzzing: schemathesis generates requests from our own OpenAPI document for every operation.

Every operation the document lists (endpoints added later included) is fuzzed with schema-valid and schema-violating
data, each case sent as every role, under ALL of schemathesis' checks: no 5xx, errors are problem+json, status codes,
content types, headers and bodies conform to the document, invalid data is refused, valid data is accepted, `Allow`
lists exactly the documented methods, undocumented methods are 405.

The one allowance, stated here rather than hidden: JSON Schema cannot express a rule that depends on the clock or on
stored state (an occurred_at within the last 30 days, a questionnaire's own items, a wrong current password, a used
invitation link). Such a rule may refuse schema-valid data, and only as a problem document carrying a stable
``code`` that names it (the document describes each one). A refusal by the schema layer has no ``code`` and still
fails the check: what the schema says is valid, the service's validation must accept.
"""
from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance


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


def schema_valid_data_is_accepted(ctx, response, case):
    """positive_data_acceptance, allowing only a named domain rule (a problem with a `code`) to refuse valid data."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        body = response.json() if response.headers.get("content-type", [""])[0].startswith(
            "application/problem+json") else {}
        if response.status_code in (400, 422) and isinstance(body, dict) and body.get("code"):
            return None
        raise


def _load_schema() -> schemathesis.BaseSchema:
    """The OpenAPI document as the app serves it (a throwaway app: the schema is needed at collection)."""
    with tempfile.TemporaryDirectory() as instance:
        env = {"DATABASE_URL": "sqlite://", "INSTANCE_PATH": instance, "SECRET_KEY": "x" * 40,
               "DATA_KEYS": generate_key("fuzz")}
        spec = create_app(Config(env)).test_client().get("/openapi.json").get_json()
    loaded = schemathesis.openapi.from_dict(spec)
    # Text travels as UTF-8 JSON: NUL and lone surrogates are refused by every request schema (RequestSchema), which
    # JSON Schema cannot say; the negative phase still sends them.
    loaded.config.generation.update(allow_x00=False, codec="utf-8", max_examples=MAX_EXAMPLES)
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_operation_survives_generated_input_as_every_role(case, live_server, world):
    checks = dict(base_url=live_server, additional_checks=[not_a_server_error_and_problem_json, schema_valid_data_is_accepted],
                  excluded_checks=[positive_data_acceptance])
    # Signing out would end the roles' sessions mid-test: the token endpoints are fuzzed without them.
    if case.path.startswith("/api/v1/auth/"):
        case.call_and_validate(**checks)
        return
    for role in ROLES:
        case.call_and_validate(headers=world.as_(role), **checks)
