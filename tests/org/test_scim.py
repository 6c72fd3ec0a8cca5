"""SCIM 2.0 provisioning: the token, Users (filter, paging, replace, patch, delete) and Groups as teams."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import now_utc
from wellbeing.models import AuthSession, ScimToken, ScimUser, TeamMembership, User

SCIM = "/scim/v2"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
EXT = "urn:ietf:params:scim:schemas:extension:wellbeing:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def scim(world):
    """The SCIM token of org A as request headers."""
    response = world.client.post("/api/v1/org/scim-token", headers=world.as_("admin"))
    assert response.status_code == 201, response.json
    world.scim_headers = {"Authorization": f"Bearer {response.json['token']}", "Content-Type": "application/scim+json"}
    return world


def new_user(user_name="ana@a.test", **extra) -> dict:
    return {"schemas": [USER_URN, EXT], "userName": user_name, "name": {"givenName": "Ana", "familyName": "Lima"},
            "emails": [{"value": user_name, "type": "work", "primary": True}], "active": True,
            EXT: {"role": "agent", "externalIds": [{"platform": "genesys", "value": "g-17"}]}, **extra}


def scim_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"] and body["status"] == str(status)
    if scim_type:
        assert body["scimType"] == scim_type
    return body


def test_the_scim_token_is_shown_once_stored_hashed_and_rotation_ends_the_old_one(scim, session):
    old = scim.scim_headers
    assert scim.client.get(f"{SCIM}/Users", headers=old).status_code == 200
    stored = session.scalar(select(ScimToken))
    assert stored.token_hash not in old["Authorization"] and len(stored.token_hash) == 64
    rotated = scim.client.post("/api/v1/org/scim-token", headers=scim.as_("admin")).json["token"]
    scim_error(scim.client.get(f"{SCIM}/Users", headers=old), 401)
    assert scim.client.get(f"{SCIM}/Users", headers={"Authorization": f"Bearer {rotated}"}).status_code == 200
    status = scim.client.get("/api/v1/org/scim-token", headers=scim.as_("admin")).json
    assert "token" not in status and status["base_url"].endswith("/scim/v2")


def test_only_an_admin_makes_the_token_and_user_tokens_do_not_open_scim(scim):
    assert scim.client.post("/api/v1/org/scim-token", headers=scim.as_("hr")).status_code == 403
    scim_error(scim.client.get(f"{SCIM}/Users", headers=scim.as_("admin")), 401)


def test_create_provisions_an_account_without_a_password(scim, session):
    response = scim.client.post(f"{SCIM}/Users", json=new_user(), headers=scim.scim_headers)
    assert response.status_code == 201, response.json
    assert response.mimetype == "application/scim+json"
    body = response.json
    assert body["userName"] == "ana@a.test" and body["active"] is True and body[EXT]["role"] == "agent"
    assert body[EXT]["externalIds"] == [{"platform": "genesys", "value": "g-17"}]
    assert response.headers["Location"] == body["meta"]["location"]
    user = session.get(User, body["id"])
    assert user.org_id == scim.org_id and user.password_hash is None and user.name == "Ana Lima"


def test_platform_ids_from_the_directory_are_the_accounts_own_and_unique_in_the_organization(scim, session):
    """The extension's externalIds are the ids contact-centre events name the person by (users.external_ids)."""
    created = scim.client.post(f"{SCIM}/Users", json=new_user(), headers=scim.scim_headers)
    assert created.status_code == 201, created.json
    user = session.get(User, created.json["id"])
    assert user.external_ids == {"genesys": "g-17"}
    # The admin's view of the account shows what the directory set
    shown = scim.client.get(f"/api/v1/users/{user.id}", headers=scim.as_("admin"))
    assert shown.status_code == 200 and shown.json["external_ids"] == {"genesys": "g-17"}
    # Another person may not hold the same platform id: SCIM's uniqueness, and nothing of theirs is stored
    other = new_user("bo@a.test")
    scim_error(scim.client.post(f"{SCIM}/Users", json=other, headers=scim.scim_headers), 409, "uniqueness")
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "bo@a.test")) is None
    # A replace without the extension leaves the ids alone; one with an empty list removes them
    body = {key: value for key, value in new_user().items() if key != EXT}
    body["schemas"] = [USER_URN]
    replaced = scim.client.put(f"{SCIM}/Users/{user.id}", json=body, headers=scim.scim_headers)
    assert replaced.status_code == 200, replaced.json
    session.expire_all()
    assert session.get(User, user.id).external_ids == {"genesys": "g-17"}
    emptied = scim.client.put(f"{SCIM}/Users/{user.id}", json=new_user(**{EXT: {"role": "agent", "externalIds": []}}),
                              headers=scim.scim_headers)
    assert emptied.status_code == 200, emptied.json
    session.expire_all()
    assert session.get(User, user.id).external_ids is None
    assert EXT not in emptied.json or not emptied.json[EXT].get("externalIds")


def test_filter_by_user_name_finds_provisioned_and_existing_accounts(scim):
    scim.client.post(f"{SCIM}/Users", json=new_user(), headers=scim.scim_headers)
    found = scim.client.get(f"{SCIM}/Users", query_string={"filter": 'userName eq "ANA@a.test"'},
                            headers=scim.scim_headers).json
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "ana@a.test"
    existing = scim.client.get(f"{SCIM}/Users", query_string={"filter": 'userName eq "agent@a.test"'},
                               headers=scim.scim_headers).json
    assert existing["totalResults"] == 1 and existing["Resources"][0]["id"] == scim.ids["agent"]
    other_org = scim.client.get(f"{SCIM}/Users", query_string={"filter": 'userName eq "agent@b.test"'},
                                headers=scim.scim_headers).json
    assert other_org["totalResults"] == 0 and other_org["Resources"] == []


def test_unsupported_filters_are_invalid_filter(scim):
    response = scim.client.get(f"{SCIM}/Users", query_string={"filter": 'userName co "a"'}, headers=scim.scim_headers)
    scim_error(response, 400, "invalidFilter")


def test_paging_with_start_index_and_count(scim):
    listed = scim.client.get(f"{SCIM}/Users", query_string={"startIndex": 2, "count": 3}, headers=scim.scim_headers).json
    everyone = scim.client.get(f"{SCIM}/Users", headers=scim.scim_headers).json
    assert everyone["totalResults"] == 7 and listed["totalResults"] == 7
    assert listed["startIndex"] == 2 and listed["itemsPerPage"] == 3
    assert [u["id"] for u in listed["Resources"]] == [u["id"] for u in everyone["Resources"][1:4]]


def test_a_duplicate_user_name_is_uniqueness(scim):
    scim.client.post(f"{SCIM}/Users", json=new_user(), headers=scim.scim_headers)
    scim_error(scim.client.post(f"{SCIM}/Users", json=new_user(), headers=scim.scim_headers), 409, "uniqueness")
    scim_error(scim.client.post(f"{SCIM}/Users", json=new_user("agent@b.test"), headers=scim.scim_headers), 409,
               "uniqueness")


def test_bad_input_is_a_scim_400_and_stores_nothing(scim, session):
    bad_role = new_user(**{EXT: {"role": "owner"}})
    scim_error(scim.client.post(f"{SCIM}/Users", json=bad_role, headers=scim.scim_headers), 400, "invalidValue")
    no_mail = {"schemas": [USER_URN], "userName": "no-mail"}
    scim_error(scim.client.post(f"{SCIM}/Users", json=no_mail, headers=scim.scim_headers), 400, "invalidValue")
    scim_error(scim.client.post(f"{SCIM}/Users", data="{", headers=scim.scim_headers), 400, "invalidSyntax")
    scim_error(scim.client.post(f"{SCIM}/Users", data="x", headers={**scim.scim_headers, "Content-Type": "text/plain"}),
               415)
    assert session.scalar(select(User).where(User.email.in_(("ana@a.test", "no-mail")))) is None


def test_replace_changes_name_role_and_e_mail(scim, session):
    user_id = scim.client.post(f"{SCIM}/Users", json=new_user(), headers=scim.scim_headers).json["id"]
    replaced = new_user("ana.lima@a.test", displayName="Ana L.", **{EXT: {"role": "supervisor"}})
    response = scim.client.put(f"{SCIM}/Users/{user_id}", json=replaced, headers=scim.scim_headers)
    assert response.status_code == 200, response.json
    user = session.get(User, user_id)
    assert (user.email, user.name, user.role) == ("ana.lima@a.test", "Ana L.", "supervisor")


def test_patch_active_false_deactivates_and_ends_sessions(scim, session):
    agent = scim.ids["agent"]
    scim.login("agent")
    patch = {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    response = scim.client.patch(f"{SCIM}/Users/{agent}", json=patch, headers=scim.scim_headers)
    assert response.status_code == 200 and response.json["active"] is False
    assert session.get(User, agent).deactivated_at is not None
    assert session.scalar(select(AuthSession).where(AuthSession.user_id == agent,
                                                    AuthSession.revoked_at.is_(None))) is None
    assert scim.client.get("/api/v1/me", headers=scim.headers["agent"]).status_code == 401


def test_patch_without_path_and_on_the_extension(scim, session):
    agent = scim.ids["agent"]
    patch = {"schemas": [PATCH_URN], "Operations": [
        {"op": "replace", "value": {"displayName": "Renamed"}},
        {"op": "replace", "path": f"{EXT}:role", "value": "hr"}]}
    response = scim.client.patch(f"{SCIM}/Users/{agent}", json=patch, headers=scim.scim_headers)
    assert response.status_code == 200, response.json
    assert (session.get(User, agent).name, session.get(User, agent).role) == ("Renamed", "hr")


def test_delete_deactivates_hides_and_schedules_erasure_by_retention(scim, session):
    from wellbeing.data_rights import purge_expired
    from wellbeing.models import DiaryEntry, ErasureReceipt
    agent = scim.ids["agent"]
    entry = scim.client.post("/api/v1/diary", headers=scim.as_("agent"), json={
        "occurred_at": now_utc().isoformat(), "emotion": "calm", "intensity": 3, "triggers": []})
    assert entry.status_code == 201
    assert scim.client.delete(f"{SCIM}/Users/{agent}", headers=scim.scim_headers).status_code == 204
    scim_error(scim.client.get(f"{SCIM}/Users/{agent}", headers=scim.scim_headers), 404)
    row = session.get(ScimUser, agent)
    assert session.get(User, agent).deactivated_at is not None
    assert row.erase_at - row.deleted_at == timedelta(days=730)
    with scim.client.application.app_context():
        from wellbeing.core.db import db
        purge_expired(db.session, now_utc() + timedelta(days=1))
        assert session.scalar(select(DiaryEntry).where(DiaryEntry.user_id == agent)) is not None
        purge_expired(db.session, row.erase_at + timedelta(seconds=1))
    assert session.scalar(select(DiaryEntry).where(DiaryEntry.user_id == agent)) is None
    assert session.get(ScimUser, agent).erased_at is not None
    receipt = session.scalar(select(ErasureReceipt).where(ErasureReceipt.user_id == agent))
    assert receipt is not None and receipt.erased_at == session.get(ScimUser, agent).erased_at


def test_another_organizations_user_is_404(scim):
    scim_error(scim.client.get(f"{SCIM}/Users/{scim.ids['other_agent']}", headers=scim.scim_headers), 404)
    patch = {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    scim_error(scim.client.patch(f"{SCIM}/Users/{scim.ids['other_agent']}", json=patch, headers=scim.scim_headers), 404)


def test_groups_are_teams_and_members_move_effective_dated(scim, session):
    groups = scim.client.get(f"{SCIM}/Groups", query_string={"filter": 'displayName eq "Team A"'},
                             headers=scim.scim_headers).json
    assert groups["totalResults"] == 1
    team_a = groups["Resources"][0]
    assert {m["value"] for m in team_a["members"]} == {scim.ids["agent"], scim.ids["agent2"]}
    created = scim.client.post(f"{SCIM}/Groups", headers=scim.scim_headers, json={
        "schemas": [GROUP_URN], "displayName": "Night Shift", "members": [{"value": scim.ids["agent"]}]})
    assert created.status_code == 201, created.json
    night = created.json["id"]
    history = session.scalars(select(TeamMembership).where(TeamMembership.user_id == scim.ids["agent"])
                              .order_by(TeamMembership.id)).all()
    assert [(m.team_id, m.valid_to is None) for m in history] == [(scim.team_a, False), (night, True)]
    assert history[0].valid_to == history[1].valid_from
    patch = {"schemas": [PATCH_URN], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": scim.ids["agent2"]}]},
        {"op": "remove", "path": f'members[value eq "{scim.ids["agent"]}"]'}]}
    response = scim.client.patch(f"{SCIM}/Groups/{night}", json=patch, headers=scim.scim_headers)
    assert response.status_code == 200, response.json
    assert [m["value"] for m in response.json["members"]] == [scim.ids["agent2"]]
    user = session.get(User, scim.ids["agent"])
    session.refresh(user)
    assert user.team_id is None


def test_a_group_member_of_another_organization_is_refused(scim):
    response = scim.client.post(f"{SCIM}/Groups", headers=scim.scim_headers, json={
        "schemas": [GROUP_URN], "displayName": "X", "members": [{"value": scim.ids["other_agent"]}]})
    scim_error(response, 400, "invalidValue")


def test_discovery_documents(scim):
    spc = scim.client.get(f"{SCIM}/ServiceProviderConfig", headers=scim.scim_headers).json
    assert spc["patch"]["supported"] is True and spc["bulk"]["supported"] is False
    types = scim.client.get(f"{SCIM}/ResourceTypes", headers=scim.scim_headers).json
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    schemas = scim.client.get(f"{SCIM}/Schemas", headers=scim.scim_headers).json
    assert {s["id"] for s in schemas["Resources"]} == {USER_URN, GROUP_URN, EXT}
    role = scim.client.get(f"{SCIM}/Schemas/{EXT}", headers=scim.scim_headers).json["attributes"][0]
    assert role["name"] == "role" and role["canonicalValues"] == ["agent", "supervisor", "hr", "admin"]
