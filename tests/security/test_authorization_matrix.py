"""Every route x every kind of caller, with the expected outcome declared in one table.

The table is checked against the app's URL map: a route missing from it fails, so no endpoint
ships without an authorization decision. "ok" means the request got past authorization
(any status but 401, 403 and 404; a 422 for the empty body is fine).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.conftest import now_utc

PRINCIPALS = ("agent", "agent2", "supervisor", "supervisor_b", "hr", "admin", "other_admin",
              "anonymous", "expired", "api_key")
USERS = ("agent", "agent2", "supervisor", "supervisor_b", "hr", "admin", "other_admin")
NO_USER = {"anonymous": 401, "expired": 401, "api_key": 401}
OK = "ok"


def only(*allowed: str, others: int = 403, **special: int) -> dict:
    """Allowed principals get through; the other users get ``others``; tokenless callers 401."""
    table = {p: (OK if p in allowed else others) for p in USERS}
    table.update(NO_USER)
    table.update(special)
    return table


ANY_USER = only(*USERS)
PUBLIC = {p: OK for p in PRINCIPALS}
ADMIN = only("admin", "other_admin", other_admin=404)
ADMIN_NO_TARGET = only("admin", "other_admin")
AGENTS = only("agent", "agent2")
OWN_AGENT_OBJECT = only("agent", "agent2", agent2=404)
OWN_OBJECT_ANY_ROLE = only("agent", others=404)
HR = only("hr")

# (method, rule) -> expected outcome per principal. Targets: the path ids resolve to objects of org A
# owned by `agent` / in team A (see TARGETS), so "another organization's admin" must get 404.
MATRIX = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): {p: 401 for p in PRINCIPALS},  # an access token is not a refresh token
    ("POST", "/api/v1/auth/logout"): ANY_USER,
    ("GET", "/api/v1/me"): ANY_USER,
    ("PATCH", "/api/v1/me"): ANY_USER,
    ("GET", "/api/v1/org"): only("admin", "hr", "other_admin"),
    ("PATCH", "/api/v1/org"): ADMIN_NO_TARGET,
    ("GET", "/api/v1/teams"): only("admin", "hr", "supervisor", "supervisor_b", "other_admin"),
    ("POST", "/api/v1/teams"): ADMIN_NO_TARGET,
    ("GET", "/api/v1/teams/<team_id>"): only("admin", "hr", "supervisor", "supervisor_b", "other_admin",
                                             supervisor_b=404, other_admin=404),
    ("GET", "/api/v1/teams/<team_id>/supervisors"): ADMIN,
    ("POST", "/api/v1/teams/<team_id>/supervisors"): ADMIN,
    ("DELETE", "/api/v1/teams/<team_id>/supervisors/<user_id>"): ADMIN,
    ("GET", "/api/v1/users"): ADMIN_NO_TARGET,
    ("POST", "/api/v1/users"): ADMIN_NO_TARGET,
    ("GET", "/api/v1/users/<user_id>"): ADMIN,
    ("PATCH", "/api/v1/users/<user_id>"): ADMIN,
    ("GET", "/api/v1/api-keys"): ADMIN_NO_TARGET,
    ("POST", "/api/v1/api-keys"): ADMIN_NO_TARGET,
    ("DELETE", "/api/v1/api-keys/<key_id>"): ADMIN,
    ("GET", "/api/v1/org/instruments"): ADMIN_NO_TARGET,
    ("PUT", "/api/v1/org/instruments"): ADMIN_NO_TARGET,
    ("GET", "/api/v1/instruments"): AGENTS,
    ("GET", "/api/v1/instruments/<instrument_id>"): AGENTS,
    ("GET", "/api/v1/assessments"): AGENTS,
    ("POST", "/api/v1/assessments"): AGENTS,
    ("GET", "/api/v1/assessments/<assessment_id>"): OWN_AGENT_OBJECT,
    ("GET", "/api/v1/me/risk"): AGENTS,
    ("GET", "/api/v1/me/consents"): ANY_USER,
    ("PUT", "/api/v1/me/consents"): ANY_USER,
    ("GET", "/api/v1/me/consents/history"): ANY_USER,
    ("GET", "/api/v1/me/export"): ANY_USER,
    ("DELETE", "/api/v1/me/data"): ANY_USER,
    ("GET", "/api/v1/me/data/receipts"): ANY_USER,
    ("GET", "/api/v1/me/data/receipts/<receipt_id>"): OWN_OBJECT_ANY_ROLE,
    ("GET", "/api/v1/me/access-log"): ANY_USER,
    ("GET", "/api/v1/counseling/cases"): HR,
    ("POST", "/api/v1/counseling/cases"): HR,
    ("GET", "/api/v1/counseling/cases/<case_id>"): HR,
    ("PATCH", "/api/v1/counseling/cases/<case_id>"): HR,
    ("POST", "/api/v1/counseling/cases/<case_id>/appointments"): HR,
    ("PATCH", "/api/v1/counseling/appointments/<appointment_id>"): HR,
    ("GET", "/api/v1/me/counseling"): AGENTS,
    ("POST", "/api/v1/me/counseling"): AGENTS,
    ("GET", "/api/v1/me/counseling/notifications"): only("agent", "agent2", "hr"),
    ("GET", "/api/v1/me/counseling/<case_id>"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/counseling/appointments/<appointment_id>/accept"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/counseling/appointments/<appointment_id>/decline"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/counseling/appointments/<appointment_id>/reschedule-request"): OWN_AGENT_OBJECT,
}

# Bodies for routes whose ownership check runs after validation (the others get an empty object).
BODIES = {
    ("POST", "/api/v1/teams/<team_id>/supervisors"): {"user_id": "<user_id>"},
}

SKIPPED_ENDPOINTS = {"static", "docs_assets", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}


def _routes(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


def test_every_route_has_a_declared_outcome_for_every_principal(app):
    missing = [route for route in _routes(app) if route not in MATRIX]
    assert not missing, f"routes without an authorization decision: {missing}"
    stale = [route for route in MATRIX if route not in _routes(app)]
    assert not stale, f"declared routes that no longer exist: {stale}"
    for route, table in MATRIX.items():
        assert set(table) == set(PRINCIPALS), route


def _targets(world, api_key_id: str) -> dict[str, str]:
    """Objects of org A that the path ids point at: team A, its supervisor, and things `agent` owns."""
    receipt = world.client.delete("/api/v1/me/data", headers=world.as_("agent")).headers["Location"].rsplit("/", 1)[1]
    case = world.client.post("/api/v1/me/counseling", json={}, headers=world.as_("agent")).json
    starts = (now_utc() + timedelta(days=3)).replace(microsecond=0).isoformat()
    appointment = world.client.post(f"/api/v1/counseling/cases/{case['id']}/appointments", headers=world.as_("hr"),
                                    json={"starts_at": starts, "duration_minutes": 45, "mode": "video"})
    assert appointment.status_code == 201, appointment.json
    assessment = world.client.post("/api/v1/assessments", headers=world.as_("agent"),
                                   json={"instrument": "phq4", "answers": {"1": 0, "2": 1, "3": 0, "4": 1}})
    assert assessment.status_code == 201, assessment.json
    return {"team_id": world.team_a, "user_id": world.ids["supervisor"], "key_id": api_key_id,
            "instrument_id": "phq4", "assessment_id": assessment.json["id"], "receipt_id": receipt,
            "case_id": case["id"], "appointment_id": appointment.json["id"]}


def _headers(world, principal: str, api_key: str) -> dict:
    if principal in ("anonymous", "expired"):
        return {}
    if principal == "api_key":
        return {"Authorization": f"Bearer {api_key}"}
    return world.as_(principal)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_principal_as_declared(world, route):
    method, rule = route
    key = world.client.post("/api/v1/api-keys", json={}, headers=world.as_("admin")).json
    url = rule
    targets = _targets(world, key["id"])
    for name, value in targets.items():
        url = url.replace(f"<{name}>", value)
    expired = world.login("agent")
    # Allowed callers go last: a successful DELETE must not change what the others are tested against.
    order = sorted(PRINCIPALS, key=lambda p: MATRIX[route][p] == OK)
    for principal in order:
        expected = MATRIX[route][principal]
        headers = expired if principal == "expired" else _headers(world, principal, key["key"])
        call = getattr(world.client, method.lower())
        kwargs = {"headers": headers}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = {k: targets.get(v.strip("<>"), v) for k, v in BODIES.get(route, {}).items()}
        if principal == "expired":
            with time_machine.travel(now_utc() + timedelta(minutes=16), tick=False):
                response = call(url, **kwargs)
        else:
            response = call(url, **kwargs)
        if expected == OK:
            assert response.status_code not in (401, 403, 404, 405), (principal, response.status_code, response.json)
        else:
            assert response.status_code == expected, (principal, expected, response.status_code, response.json)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (principal, response.status_code)
