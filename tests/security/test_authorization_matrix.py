"""Every route x every kind of caller, with the expected outcome declared in one table.

The table is checked against the app's URL map: a route missing from it fails, so no endpoint
ships without an authorization decision. "ok" means the request got past authorization
(any status but 401, 403 and 404; a 422 for the empty body is fine).
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from tests.conftest import now_utc
from tests.console.helpers import browser, csrf_of, sign_in
from tests.prompts.helpers import add_prompt

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
API_KEY_ONLY = {**{p: 401 for p in PRINCIPALS}, "api_key": OK}
SSO_NOT_SET_UP = only("admin", "other_admin", admin=404, other_admin=404)
# SCIM opens with the organization's SCIM token only: no user token or API key gets in (tests/org/test_scim.py).
SCIM_TOKEN_ONLY = {p: 401 for p in PRINCIPALS}
# Team trends: supervisors of the team, admin and HR; another team's supervisor and another org's admin 404.
TEAM_TRENDS = only("supervisor", "supervisor_b", "hr", "admin", "other_admin", supervisor_b=404, other_admin=404)

# (method, rule) -> expected outcome per principal. Targets: the path ids resolve to objects of org A
# owned by `agent` / in team A (see TARGETS), so "another organization's admin" must get 404.
MATRIX = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): {p: 401 for p in PRINCIPALS},  # an access token is not a refresh token
    ("POST", "/api/v1/auth/logout"): ANY_USER,
    ("POST", "/api/v1/auth/password-change"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/confirm"): PUBLIC,
    ("POST", "/api/v1/auth/invitations/accept"): PUBLIC,
    ("PUT", "/api/v1/me/password"): ANY_USER,
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
    ("POST", "/api/v1/users/<user_id>/password-reset"): ADMIN,
    ("POST", "/api/v1/users/<user_id>/invitation"): ADMIN,
    ("POST", "/api/v1/users/<user_id>/deactivate"): ADMIN,
    ("POST", "/api/v1/users/<user_id>/reactivate"): ADMIN,
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
    ("GET", "/api/v1/emotions"): ANY_USER,
    ("GET", "/api/v1/diary"): AGENTS,
    ("POST", "/api/v1/diary"): AGENTS,
    ("POST", "/api/v1/diary/batch"): AGENTS,
    ("GET", "/api/v1/diary/insights"): AGENTS,
    ("GET", "/api/v1/diary/chart.png"): AGENTS,
    ("GET", "/api/v1/diary/chart.svg"): AGENTS,
    ("GET", "/api/v1/diary/<entry_id>"): OWN_AGENT_OBJECT,
    ("PATCH", "/api/v1/diary/<entry_id>"): OWN_AGENT_OBJECT,
    ("DELETE", "/api/v1/diary/<entry_id>"): OWN_AGENT_OBJECT,
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
    ("GET", "/api/v1/exercises"): ANY_USER,
    ("GET", "/api/v1/me/prompt-settings"): AGENTS,
    ("PUT", "/api/v1/me/prompt-settings"): AGENTS,
    ("GET", "/api/v1/me/prompts"): AGENTS,
    ("POST", "/api/v1/me/prompts/<prompt_id>/ack"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/prompts/<prompt_id>/complete"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/prompts/<prompt_id>/dismiss"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/prompts/<prompt_id>/snooze"): OWN_AGENT_OBJECT,
    ("GET", "/api/v1/me/devices"): AGENTS,
    ("POST", "/api/v1/me/devices"): AGENTS,
    ("DELETE", "/api/v1/me/devices/<device_id>"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/devices/<device_id>/test"): OWN_AGENT_OBJECT,
    ("POST", "/api/v1/me/prompts/<prompt_id>/opened"): OWN_AGENT_OBJECT,
    ("GET", "/api/v1/push/vapid-public-key"): PUBLIC,
    ("POST", "/api/v1/events/call-started"): API_KEY_ONLY,
    ("POST", "/api/v1/events/call-ended"): API_KEY_ONLY,
    ("GET", "/api/v1/teams/<team_id>/trends"): TEAM_TRENDS,
    ("GET", "/api/v1/teams/<team_id>/trends.png"): TEAM_TRENDS,
    ("GET", "/api/v1/teams/<team_id>/trends.svg"): TEAM_TRENDS,
    ("GET", "/api/v1/org/trends"): only("admin", "hr", "other_admin"),
    ("GET", "/api/v1/me/visibility"): AGENTS,
    ("GET", "/api/v1/support"): ANY_USER,
    # Shifts: an integration's key or an admin imports; the agent reads their own; supervisors nothing
    ("PUT", "/api/v1/users/<user_id>/shifts"): {**ADMIN, "api_key": OK},
    ("GET", "/api/v1/me/shifts"): AGENTS,
    ("POST", "/api/v1/org/shifts/csv"): ADMIN_NO_TARGET,
    ("GET", "/api/v1/org/shift-feeds"): ADMIN_NO_TARGET,
    ("POST", "/api/v1/org/shift-feeds"): ADMIN_NO_TARGET,
    ("DELETE", "/api/v1/org/shift-feeds/<feed_id>"): ADMIN,
    # The contact-centre platform and recovery breaks
    ("POST", "/api/v1/integrations/amazon-connect/events"): API_KEY_ONLY,
    ("POST", "/api/v1/integrations/genesys/events"): API_KEY_ONLY,
    ("GET", "/api/v1/org/contact-centre/rules"): ADMIN_NO_TARGET,
    ("PUT", "/api/v1/org/contact-centre/rules"): ADMIN_NO_TARGET,
    ("GET", "/api/v1/org/recovery"): ADMIN_NO_TARGET,
    ("PUT", "/api/v1/org/recovery"): ADMIN_NO_TARGET,
    ("GET", "/api/v1/me/recovery"): AGENTS,
    ("PUT", "/api/v1/me/recovery"): AGENTS,
    ("GET", "/api/v1/me/recovery-breaks"): AGENTS,
    ("POST", "/api/v1/me/recovery-breaks/<break_id>/stop"): OWN_AGENT_OBJECT,
    ("GET", "/api/v1/auth/sso/start"): PUBLIC,
    ("GET", "/api/v1/auth/sso/callback"): PUBLIC,
    # Single sign-on is not set up in the world: past the role check, an admin learns there is nothing (404).
    ("GET", "/api/v1/org/sso"): SSO_NOT_SET_UP,
    ("PUT", "/api/v1/org/sso"): ADMIN_NO_TARGET,
    ("DELETE", "/api/v1/org/sso"): SSO_NOT_SET_UP,
    ("POST", "/api/v1/org/sso/test"): SSO_NOT_SET_UP,
    ("GET", "/api/v1/org/scim-token"): ADMIN_NO_TARGET,
    ("POST", "/api/v1/org/scim-token"): ADMIN_NO_TARGET,
    **{(method, f"/scim/v2{path}"): SCIM_TOKEN_ONLY for method, path in (
        ("GET", "/ServiceProviderConfig"), ("GET", "/ResourceTypes"), ("GET", "/ResourceTypes/<name>"),
        ("GET", "/Schemas"), ("GET", "/Schemas/<schema_id>"), ("POST", "/.search"),
        ("GET", "/Users"), ("POST", "/Users"), ("GET", "/Users/<user_id>"), ("PUT", "/Users/<user_id>"),
        ("PATCH", "/Users/<user_id>"), ("DELETE", "/Users/<user_id>"),
        ("GET", "/Groups"), ("POST", "/Groups"), ("GET", "/Groups/<team_id>"), ("PUT", "/Groups/<team_id>"),
        ("PATCH", "/Groups/<team_id>"), ("DELETE", "/Groups/<team_id>"))},
}

# Bodies for routes whose ownership check runs after validation (the others get an empty object).
BODIES = {
    ("POST", "/api/v1/teams/<team_id>/supervisors"): {"user_id": "<user_id>"},
    ("POST", "/api/v1/me/prompts/<prompt_id>/snooze"): {"minutes": 5},
    ("PUT", "/api/v1/users/<user_id>/shifts"): {"from": "2030-03-04T00:00:00Z", "to": "2030-03-05T00:00:00Z",
                                                "shifts": []},
}

SKIPPED_ENDPOINTS = {"static", "docs_assets", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "console.static"}
CONSOLE_ENDPOINTS = ("console.", "console_root.")


def _routes(app, console: bool = False) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS or rule.endpoint.startswith(CONSOLE_ENDPOINTS) != console:
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
    entry = world.client.post("/api/v1/diary", headers=world.as_("agent"),
                              json={"occurred_at": now_utc().isoformat(), "emotion": "calm", "intensity": 3})
    assert entry.status_code == 201, entry.json
    device = world.client.post("/api/v1/me/devices", headers=world.as_("agent"), json={
        "channel": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "a-webhook-secret-of-some-length"})
    assert device.status_code == 201, device.json
    prompt_id = add_prompt(world.client.application, world.ids["agent"], now_utc().replace(microsecond=0),
                           status="sent")
    feed = world.client.post("/api/v1/org/shift-feeds", headers=world.as_("admin"),
                             json={"url": "http://127.0.0.1:9/team.ics"})
    assert feed.status_code == 201, feed.json
    break_id = _recovery_break(world.client.application, world.org_id, world.ids["agent"])
    return {"feed_id": feed.json["id"], "break_id": break_id, "entry_id": entry.json["id"], "team_id": world.team_a, "user_id": world.ids["supervisor"], "key_id": api_key_id,
            "prompt_id": prompt_id, "device_id": device.json["id"],
            "instrument_id": "phq4", "assessment_id": assessment.json["id"], "receipt_id": receipt,
            "case_id": case["id"], "appointment_id": appointment.json["id"], "metric": "burnout_risk"}


def _recovery_break(app, org_id: str, user_id: str) -> str:
    """A recovery break of `agent` not yet applied (stopping it declines it)."""
    from wellbeing.core.db import db
    from wellbeing.models import RecoveryBreak

    now = now_utc()
    with app.app_context():
        item = RecoveryBreak(org_id=org_id, user_id=user_id, connector="webhook", status="requested", minutes=2,
                             requested_at=now, starts_at=now, ends_at=now + timedelta(minutes=2), attempts=0,
                             next_attempt_at=now)
        db.session.add(item)
        db.session.commit()
        break_id = item.id
        db.session.remove()
    return break_id


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
            kwargs["json"] = {k: targets.get(v.strip("<>"), v) if isinstance(v, str) else v
                              for k, v in BODIES.get(route, {}).items()}
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
            # SCIM answers in its own error documents (RFC 7644 3.12); the rest of the API in problem+json.
            error_type = "application/scim+json" if rule.startswith("/scim/v2/") else "application/problem+json"
            assert response.mimetype == error_type, (principal, response.status_code)


# The web console: the same people, signed in through the console's form (a session cookie, not a bearer
# token). "sign-in" means the answer sends the browser to the sign-in page; anonymous visitors and agents
# (who are never kept signed in to the console) get it for every page that needs a sign-in.
CONSOLE_PRINCIPALS = ("anonymous", "agent", "supervisor", "supervisor_b", "hr", "admin", "other_admin")
CONSOLE_USERS = ("supervisor", "supervisor_b", "hr", "admin", "other_admin")
SIGN_IN = "sign-in"


def console_only(*allowed: str, others=403, **special) -> dict:
    """Allowed console users get through, other users ``others``; visitors and agents are sent to sign in."""
    table = {p: (OK if p in allowed else others) for p in CONSOLE_USERS}
    table.update(anonymous=SIGN_IN, agent=SIGN_IN, **special)
    return table


CONSOLE_PUBLIC = {p: OK for p in CONSOLE_PRINCIPALS}
CONSOLE_ADMIN = console_only("admin", "other_admin")
CONSOLE_ADMIN_TARGET = console_only("admin", "other_admin", other_admin=404)

CONSOLE_MATRIX = {
    ("GET", "/"): {p: SIGN_IN for p in CONSOLE_PRINCIPALS},  # the front door is the console's start page
    ("GET", "/console/"): CONSOLE_PUBLIC,
    ("POST", "/console/sign-in"): CONSOLE_PUBLIC,
    ("GET", "/console/sign-in"): {p: SIGN_IN for p in CONSOLE_PRINCIPALS},  # the form is the front page
    ("GET", "/console/accept-invitation"): CONSOLE_PUBLIC,
    ("POST", "/console/accept-invitation"): CONSOLE_PUBLIC,
    ("GET", "/console/reset-password"): CONSOLE_PUBLIC,
    ("POST", "/console/reset-password"): CONSOLE_PUBLIC,
    ("GET", "/console/forgot-password"): CONSOLE_PUBLIC,
    ("POST", "/console/forgot-password"): CONSOLE_PUBLIC,
    ("POST", "/console/first-password"): CONSOLE_PUBLIC,
    ("GET", "/console/account/password"): console_only(*CONSOLE_USERS),
    ("POST", "/console/account/password"): console_only(*CONSOLE_USERS),
    ("POST", "/console/sign-out"): {p: SIGN_IN for p in CONSOLE_PRINCIPALS},
    ("POST", "/console/language"): CONSOLE_PUBLIC,
    ("GET", "/console/for-agents"): CONSOLE_PUBLIC,
    ("GET", "/console/supervisor/"): console_only("supervisor", "supervisor_b"),
    ("GET", "/console/supervisor/teams/<team_id>"): console_only("supervisor", "supervisor_b", supervisor_b=404),
    ("GET", "/console/supervisor/teams/<team_id>/charts/<metric>.svg"): console_only("supervisor", "supervisor_b",
                                                                                  supervisor_b=404),
    ("GET", "/console/hr/"): console_only("hr"),
    ("GET", "/console/hr/cases"): console_only("hr"),
    ("GET", "/console/hr/cases/<case_id>"): console_only("hr"),
    ("POST", "/console/hr/cases/<case_id>/notes"): console_only("hr"),
    ("POST", "/console/hr/cases/<case_id>/follow-up"): console_only("hr"),
    ("POST", "/console/hr/cases/<case_id>/close"): console_only("hr"),
    ("POST", "/console/hr/cases/<case_id>/appointments"): console_only("hr"),
    ("POST", "/console/hr/cases/<case_id>/appointments/<appointment_id>/reschedule"): console_only("hr"),
    ("POST", "/console/hr/cases/<case_id>/appointments/<appointment_id>/outcome"): console_only("hr"),
    ("GET", "/console/trends"): console_only("hr", "admin", "other_admin"),
    ("GET", "/console/admin/instruments"): CONSOLE_ADMIN,
    ("POST", "/console/admin/instruments"): CONSOLE_ADMIN,
    ("GET", "/console/admin/teams"): CONSOLE_ADMIN,
    ("POST", "/console/admin/teams"): CONSOLE_ADMIN,
    ("GET", "/console/admin/teams/<team_id>"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/teams/<team_id>/supervisors"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/teams/<team_id>/supervisors/<user_id>/remove"): CONSOLE_ADMIN_TARGET,
    ("GET", "/console/admin/users"): CONSOLE_ADMIN,
    ("POST", "/console/admin/users"): CONSOLE_ADMIN,
    ("GET", "/console/admin/users/<user_id>"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/users/<user_id>/team"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/users/<user_id>/role"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/users/<user_id>/invitation"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/users/<user_id>/password-reset"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/users/<user_id>/deactivate"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/users/<user_id>/reactivate"): CONSOLE_ADMIN_TARGET,
    ("POST", "/console/admin/users/<user_id>/external-ids"): CONSOLE_ADMIN_TARGET,
    ("GET", "/console/admin/api-keys"): CONSOLE_ADMIN,
    ("POST", "/console/admin/api-keys"): CONSOLE_ADMIN,
    ("POST", "/console/admin/api-keys/<key_id>/revoke"): CONSOLE_ADMIN_TARGET,
    ("GET", "/console/admin/settings"): CONSOLE_ADMIN,
    ("POST", "/console/admin/settings"): CONSOLE_ADMIN,
    ("POST", "/console/admin/settings/help-lines"): CONSOLE_ADMIN,
    ("POST", "/console/admin/settings/help-lines/remove"): CONSOLE_ADMIN,
    ("POST", "/console/sso/start"): CONSOLE_PUBLIC,
    # Without a code from the provider, single sign-on is refused for everyone (the sign-in page says why).
    ("GET", "/console/sso/finish"): {p: 403 for p in CONSOLE_PRINCIPALS},
    ("GET", "/console/admin/sso"): CONSOLE_ADMIN,
    ("POST", "/console/admin/sso"): CONSOLE_ADMIN,
    ("POST", "/console/admin/sso/test"): console_only("admin", "other_admin", admin=404, other_admin=404),
    ("POST", "/console/admin/sso/scim-token"): CONSOLE_ADMIN,
}

# Form bodies for console routes whose ownership check runs after validation (the others post only the token).
CONSOLE_BODIES = {
    ("POST", "/console/language"): {"lang": "en", "next": "/console/for-agents"},
    ("POST", "/console/admin/teams/<team_id>/supervisors"): {"user_id": "<user_id>"},
    ("POST", "/console/admin/users/<user_id>/role"): {"role": "supervisor"},
}


def test_every_console_route_has_a_declared_outcome_for_every_principal(app):
    routes = _routes(app, console=True)
    assert not [route for route in routes if route not in CONSOLE_MATRIX], "console routes without a decision"
    assert not [route for route in CONSOLE_MATRIX if route not in routes], "declared console routes that are gone"
    for route, table in CONSOLE_MATRIX.items():
        assert set(table) == set(CONSOLE_PRINCIPALS), route


def _console_outcome(response):
    if response.status_code in (302, 303) and urlsplit(response.headers["Location"]).path == "/console/":
        return SIGN_IN
    return response.status_code if response.status_code in (401, 403, 404, 405) else OK


@pytest.mark.parametrize("route", sorted(CONSOLE_MATRIX), ids=lambda r: f"console {r[0]} {r[1]}")
def test_console_route_answers_each_principal_as_declared(app, world, route):
    method, rule = route
    key = world.client.post("/api/v1/api-keys", json={}, headers=world.as_("admin")).json
    targets = _targets(world, key["id"])
    url = rule
    for name, value in targets.items():
        url = url.replace(f"<{name}>", value)
    order = sorted(CONSOLE_PRINCIPALS, key=lambda p: CONSOLE_MATRIX[route][p] == OK)
    for principal in order:
        client = browser(app)
        if principal != "anonymous":
            sign_in(client, world.emails[principal])
        kwargs = {}
        if method == "POST":
            body = {k: targets.get(v.strip("<>"), v) for k, v in CONSOLE_BODIES.get(route, {}).items()}
            kwargs["data"] = {"csrf_token": csrf_of(client.get("/console/for-agents")), **body}
        response = client.open(url, method=method, **kwargs)
        expected = CONSOLE_MATRIX[route][principal]
        assert _console_outcome(response) == expected, (principal, expected, response.status_code,
                                                        response.headers.get("Location"))
        # A chart route answers its allowed users with the API's image; every other answer is a page.
        mimetypes = ("text/html", "image/svg+xml") if rule.endswith(".svg") else ("text/html",)
        assert response.status_code < 500 and response.mimetype in mimetypes, (principal, response.status_code)
