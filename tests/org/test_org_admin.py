"""Organization administration: teams, users, membership history, supervisors, API keys, settings."""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select

from tests.helpers import PASSWORD, assert_problem
from wellbeing.models import ApiKey, TeamMembership, TeamSupervisor, User


def test_admin_creates_a_team(world):
    response = world.client.post("/api/v1/teams", json={"name": "Night Shift"}, headers=world.as_("admin"))
    assert response.status_code == 201
    assert response.json["name"] == "Night Shift" and response.json["id"]


def test_team_create_is_idempotent_on_the_client_id(world):
    team_id = str(uuid.uuid4())
    body = {"id": team_id, "name": "Night Shift"}
    first = world.client.post("/api/v1/teams", json=body, headers=world.as_("admin"))
    replay = world.client.post("/api/v1/teams", json=body, headers=world.as_("admin"))
    assert (first.status_code, replay.status_code) == (201, 200)
    assert first.json == replay.json and first.json["id"] == team_id
    names = [t["name"] for t in world.client.get("/api/v1/teams", headers=world.as_("admin")).json["items"]]
    assert names.count("Night Shift") == 1
    changed = world.client.post("/api/v1/teams", json={"id": team_id, "name": "Day Shift"}, headers=world.as_("admin"))
    assert assert_problem(changed, 409)["code"] == "id_conflict"


def test_another_organizations_id_cannot_be_replayed(world):
    team_id = str(uuid.uuid4())
    world.client.post("/api/v1/teams", json={"id": team_id, "name": "X"}, headers=world.as_("admin"))
    assert_problem(world.client.post("/api/v1/teams", json={"id": team_id, "name": "X"}, headers=world.as_("other_admin")), 409)


def test_team_names_are_unique_in_an_organization(world):
    assert_problem(world.client.post("/api/v1/teams", json={"name": "Team A"}, headers=world.as_("admin")), 409)
    assert world.client.post("/api/v1/teams", json={"name": "Team A"}, headers=world.as_("other_admin")).status_code == 201


def test_team_list_by_role(world):
    admin = world.client.get("/api/v1/teams", headers=world.as_("admin")).json["items"]
    assert {t["id"] for t in admin} == {world.team_a, world.team_b}
    led = world.client.get("/api/v1/teams", headers=world.as_("supervisor")).json["items"]
    assert [t["id"] for t in led] == [world.team_a]
    assert world.client.get("/api/v1/teams", headers=world.as_("other_admin")).json["items"] == []
    assert_problem(world.client.get("/api/v1/teams", headers=world.as_("agent")), 403)


def test_supervisor_cannot_read_a_team_they_do_not_lead(world):
    assert world.client.get(f"/api/v1/teams/{world.team_a}", headers=world.as_("supervisor")).status_code == 200
    assert_problem(world.client.get(f"/api/v1/teams/{world.team_b}", headers=world.as_("supervisor")), 404)


def test_non_admins_cannot_administer(world):
    for who in ("agent", "supervisor", "hr"):
        assert_problem(world.client.post("/api/v1/teams", json={"name": "T"}, headers=world.as_(who)), 403)
        assert_problem(world.client.post("/api/v1/users", json={}, headers=world.as_(who)), 403)
        assert_problem(world.client.patch(f"/api/v1/users/{world.ids['agent']}", json={"name": "x"}, headers=world.as_(who)), 403)
        assert_problem(world.client.post("/api/v1/api-keys", json={}, headers=world.as_(who)), 403)
        assert_problem(world.client.patch("/api/v1/org", json={"name": "x"}, headers=world.as_(who)), 403)
        assert_problem(world.client.post(f"/api/v1/teams/{world.team_a}/supervisors",
                                         json={"user_id": world.ids["supervisor"]}, headers=world.as_(who)), 403)
    for who in ("agent", "supervisor"):
        assert_problem(world.client.get("/api/v1/org", headers=world.as_(who)), 403)


def test_create_user_never_echoes_the_password(world, session):
    body = {"email": "New@A.test", "name": "New", "role": "agent", "password": PASSWORD, "team_id": world.team_a,
            "timezone": "America/New_York", "locale": "zh-CN"}
    response = world.client.post("/api/v1/users", json=body, headers=world.as_("admin"))
    assert response.status_code == 201
    assert "password" not in response.json and "password_hash" not in response.json
    assert response.json["email"] == "new@a.test" and response.json["team_id"] == world.team_a
    stored = session.get(User, response.json["id"])
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert (stored.timezone, stored.locale) == ("America/New_York", "zh-CN")


def test_create_user_validation(world):
    base = {"email": "v@a.test", "name": "V", "role": "agent", "password": PASSWORD}
    cases = {
        "email": dict(base, email="not-an-email"),
        "role": dict(base, role="superuser"),
        "password": dict(base, password="short"),
        "timezone": dict(base, timezone="Mars/Olympus"),
        "locale": dict(base, locale="fr"),
    }
    for field, body in cases.items():
        errors = assert_problem(world.client.post("/api/v1/users", json=body, headers=world.as_("admin")), 422)["errors"]
        assert field in errors["json"], (field, errors)


def test_duplicate_email_is_a_conflict(world):
    body = {"email": "agent@a.test", "name": "Dup", "role": "agent", "password": PASSWORD}
    assert_problem(world.client.post("/api/v1/users", json=body, headers=world.as_("admin")), 409)


def test_user_create_replay_and_conflict(world):
    user_id = str(uuid.uuid4())
    body = {"id": user_id, "email": "r@a.test", "name": "R", "role": "agent", "password": PASSWORD}
    assert world.client.post("/api/v1/users", json=body, headers=world.as_("admin")).status_code == 201
    assert world.client.post("/api/v1/users", json=body, headers=world.as_("admin")).status_code == 200
    assert_problem(world.client.post("/api/v1/users", json=dict(body, name="Other"), headers=world.as_("admin")), 409)


def test_user_in_another_organizations_team_is_refused(world):
    body = {"email": "x@b.test", "name": "X", "role": "agent", "password": PASSWORD, "team_id": world.team_a}
    assert_problem(world.client.post("/api/v1/users", json=body, headers=world.as_("other_admin")), 404)


def test_moving_an_agent_closes_one_membership_and_opens_another(world, session):
    agent = world.ids["agent"]
    response = world.client.patch(f"/api/v1/users/{agent}", json={"team_id": world.team_b}, headers=world.as_("admin"))
    assert response.status_code == 200 and response.json["team_id"] == world.team_b
    rows = session.scalars(select(TeamMembership).where(TeamMembership.user_id == agent).order_by(TeamMembership.id)).all()
    assert [(r.team_id, r.valid_to is None) for r in rows] == [(world.team_a, False), (world.team_b, True)]
    assert rows[0].valid_to == rows[1].valid_from
    out = world.client.patch(f"/api/v1/users/{agent}", json={"team_id": None}, headers=world.as_("admin"))
    assert out.json["team_id"] is None
    session.expire_all()
    assert all(r.valid_to is not None for r in session.scalars(select(TeamMembership).where(TeamMembership.user_id == agent)))


def test_moving_to_the_same_team_changes_nothing(world, session):
    world.client.patch(f"/api/v1/users/{world.ids['agent']}", json={"team_id": world.team_a}, headers=world.as_("admin"))
    rows = session.scalars(select(TeamMembership).where(TeamMembership.user_id == world.ids["agent"])).all()
    assert len(rows) == 1 and rows[0].valid_to is None


def test_cross_organization_ids_are_404(world):
    other = world.as_("other_admin")
    assert_problem(world.client.get(f"/api/v1/users/{world.ids['agent']}", headers=other), 404)
    assert_problem(world.client.patch(f"/api/v1/users/{world.ids['agent']}", json={"name": "x"}, headers=other), 404)
    assert_problem(world.client.get(f"/api/v1/teams/{world.team_a}", headers=other), 404)
    assert_problem(world.client.post(f"/api/v1/teams/{world.team_a}/supervisors", json={"user_id": world.ids["supervisor"]},
                                     headers=other), 404)
    assert_problem(world.client.patch(f"/api/v1/users/{world.ids['other_agent']}", json={"team_id": world.team_a},
                                      headers=other), 404)


def test_supervisor_assignment_rules(world, session):
    admin = world.as_("admin")
    url = f"/api/v1/teams/{world.team_b}/supervisors"
    assert world.client.post(url, json={"user_id": world.ids["supervisor"]}, headers=admin).status_code == 204
    assert world.client.post(url, json={"user_id": world.ids["supervisor"]}, headers=admin).status_code == 204
    led = {t["id"] for t in world.client.get("/api/v1/teams", headers=world.as_("supervisor")).json["items"]}
    assert led == {world.team_a, world.team_b}
    assert_problem(world.client.post(url, json={"user_id": world.ids["agent"]}, headers=admin), 422)
    assert_problem(world.client.post(url, json={"user_id": world.ids["other_agent"]}, headers=admin), 422)
    assert set(world.client.get(url, headers=admin).json["user_ids"]) == {world.ids["supervisor"], world.ids["supervisor_b"]}
    assert world.client.delete(f"{url}/{world.ids['supervisor']}", headers=admin).status_code == 204
    assert_problem(world.client.delete(f"{url}/{world.ids['supervisor']}", headers=admin), 404)


def test_demoting_a_supervisor_drops_their_teams(world, session):
    world.client.patch(f"/api/v1/users/{world.ids['supervisor']}", json={"role": "agent"}, headers=world.as_("admin"))
    assert session.scalars(select(TeamSupervisor).where(TeamSupervisor.user_id == world.ids["supervisor"])).all() == []


def test_users_list_pages_with_a_cursor(world):
    admin = world.as_("admin")
    seen, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = world.client.get("/api/v1/users" + query, headers=admin).json
        assert len(body["items"]) <= 3
        seen += [u["id"] for u in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7  # admin, 3 agents, 2 supervisors, hr; never org B's
    assert world.ids["other_agent"] not in seen
    agents = world.client.get("/api/v1/users?role=agent", headers=admin).json["items"]
    assert {u["id"] for u in agents} == {world.ids["agent"], world.ids["agent2"], world.ids["agent_b"]}
    in_a = world.client.get(f"/api/v1/users?team_id={world.team_a}", headers=admin).json["items"]
    assert {u["id"] for u in in_a} == {world.ids["agent"], world.ids["agent2"]}


def test_list_limits_and_cursors_are_validated(world):
    admin = world.as_("admin")
    for query in ("limit=0", "limit=501", "limit=abc", "limit=100000000000000000000000", "cursor=garbage", "bogus=1"):
        assert_problem(world.client.get(f"/api/v1/users?{query}", headers=admin), 422)


def test_api_key_is_shown_once_and_stored_hashed(world, session):
    key_id = str(uuid.uuid4())
    first = world.client.post("/api/v1/api-keys", json={"id": key_id, "name": "CTI"}, headers=world.as_("admin"))
    assert first.status_code == 201 and first.json["key"].startswith("wbk_")
    stored = session.get(ApiKey, key_id)
    assert stored.key_hash == hashlib.sha256(first.json["key"].encode()).hexdigest()
    assert first.json["key"] not in str(vars(stored))
    replay = world.client.post("/api/v1/api-keys", json={"id": key_id, "name": "CTI"}, headers=world.as_("admin"))
    assert replay.status_code == 200 and "key" not in replay.json
    listed = world.client.get("/api/v1/api-keys", headers=world.as_("admin")).json["items"]
    assert [k["id"] for k in listed] == [key_id] and "key" not in listed[0]
    assert world.client.get("/api/v1/api-keys", headers=world.as_("other_admin")).json["items"] == []
    assert_problem(world.client.delete(f"/api/v1/api-keys/{key_id}", headers=world.as_("other_admin")), 404)
    assert world.client.delete(f"/api/v1/api-keys/{key_id}", headers=world.as_("admin")).status_code == 204
    session.expire_all()
    assert session.get(ApiKey, key_id).revoked_at is not None


def test_org_settings_read_and_change(world):
    admin = world.as_("admin")
    org = world.client.get("/api/v1/org", headers=admin).json
    assert org == {"id": world.org_id, "name": "Org A", "timezone": "Asia/Shanghai", "roster_min": 8,
                   "epsilon_per_month": 3.0, "help_lines": [], "retention_days": 730,
                   "country": "CN", "country_source": "timezone", "warnings": ["no_own_help_lines"]}
    change = {"name": "Org A+", "roster_min": 10, "epsilon_per_month": 2.5, "retention_days": 365,
              "help_lines": [{"name": "EAP", "phone": "+86 400 000", "hours": "24/7"}], "timezone": "Europe/London"}
    updated = world.client.patch("/api/v1/org", json=change, headers=admin).json
    assert {k: updated[k] for k in change} == change
    assert world.client.get("/api/v1/org", headers=world.as_("hr")).json["help_lines"] == change["help_lines"]
    assert world.client.get("/api/v1/org", headers=world.as_("other_admin")).json["name"] == "Org B"


def test_org_settings_are_validated(world):
    admin = world.as_("admin")
    for field, value in (("roster_min", 7), ("epsilon_per_month", 0.5), ("epsilon_per_month", 11),
                         ("retention_days", 1), ("timezone", "CET+1"), ("help_lines", [{"name": "x"}]), ("id", "x")):
        errors = assert_problem(world.client.patch("/api/v1/org", json={field: value}, headers=admin), 422)["errors"]
        assert field in errors["json"]
    assert world.client.get("/api/v1/org", headers=admin).json["roster_min"] == 8
