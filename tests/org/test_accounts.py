"""Accounts that belong to their owners: temporary passwords, invitations, changes, resets, deactivation."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import PASSWORD, TEMPORARY_PASSWORD, assert_problem
from tests.org.accounts_helpers import last_token, mailed_links
from wellbeing.models import AccessLogEntry, AccountToken, AuthSession, OutgoingMail, User

NEW_PASSWORD = "a brand new passphrase"


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def _create(world, email="new@a.test", **extra):
    body = {"email": email, "name": "New Person", "role": "agent", "team_id": world.team_a, **extra}
    response = world.client.post("/api/v1/users", json=body, headers=world.as_("admin"))
    assert response.status_code == 201, response.json
    return response.json


def _reset_requested(client, email):
    return client.post("/api/v1/auth/password-reset", json={"email": email})


# Temporary passwords and the first change

def test_a_temporary_password_is_refused_at_sign_in_and_issues_no_token(world, session):
    user = _create(world, password=TEMPORARY_PASSWORD)
    assert user["status"] == "active" and user["active"] is True and "password" not in user
    body = assert_problem(_login(world.client, "new@a.test", TEMPORARY_PASSWORD), 403)
    assert body["code"] == "password_change_required"
    assert "access_token" not in body
    assert session.scalars(select(AuthSession).where(AuthSession.user_id == user["id"])).all() == []


def test_password_change_replaces_a_temporary_password_and_signs_in(world, session):
    user = _create(world, password=TEMPORARY_PASSWORD)
    response = world.client.post("/api/v1/auth/password-change", json={
        "email": "new@a.test", "password": TEMPORARY_PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    assert world.client.get("/api/v1/me", headers=_bearer(response.json["access_token"])).json["id"] == user["id"]
    assert session.get(User, user["id"]).password_temporary is False
    assert _login(world.client, "new@a.test", NEW_PASSWORD).status_code == 200
    assert_problem(_login(world.client, "new@a.test", TEMPORARY_PASSWORD), 401)


def test_password_change_with_a_wrong_pair_is_the_same_401_as_sign_in(world):
    changed = assert_problem(world.client.post("/api/v1/auth/password-change", json={
        "email": "agent@a.test", "password": "not the password", "new_password": NEW_PASSWORD}), 401)
    signed = assert_problem(_login(world.client, "agent@a.test", "not the password"), 401)
    for body in (changed, signed):
        body.pop("request_id")
    assert changed == signed


def test_password_change_works_for_an_ordinary_password_too(world):
    response = world.client.post("/api/v1/auth/password-change", json={
        "email": "agent@a.test", "password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    assert _login(world.client, "agent@a.test", NEW_PASSWORD).status_code == 200


def test_new_password_rules_name_the_rule_broken(world, session):
    cases = {"short one": "password_too_short", "agent@a.test": "password_is_email",
             "Password123": "password_too_common", PASSWORD: "password_unchanged"}
    for new, code in cases.items():
        body = assert_problem(world.client.put("/api/v1/me/password", headers=world.as_("agent"),
                                               json={"password": PASSWORD, "new_password": new}), 422)
        assert body["code"] == code and "new_password" in body["errors"]["json"], body
    assert _login(world.client, "agent@a.test").status_code == 200


# PUT /me/password

def test_changing_ones_password_ends_every_other_session(world, session):
    phone = _login(world.client, "agent@a.test").json
    laptop = _login(world.client, "agent@a.test").json
    response = world.client.put("/api/v1/me/password", headers=_bearer(laptop["access_token"]),
                                json={"password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(phone["access_token"])), 401)
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(phone["refresh_token"])), 401)
    assert world.client.get("/api/v1/me", headers=_bearer(laptop["access_token"])).status_code == 200
    reasons = session.scalars(select(AuthSession.revoked_reason).where(AuthSession.user_id == world.ids["agent"])).all()
    assert sorted(map(str, reasons)) == ["None", "password_change"]
    assert _login(world.client, "agent@a.test", NEW_PASSWORD).status_code == 200


def test_changing_ones_password_needs_the_current_one(world):
    body = assert_problem(world.client.put("/api/v1/me/password", headers=world.as_("agent"),
                                           json={"password": "not the password", "new_password": NEW_PASSWORD}), 422)
    assert body["code"] == "wrong_password"
    assert _login(world.client, "agent@a.test").status_code == 200


# Invitations

def test_a_user_created_without_password_is_invited_by_mail(world, session, app):
    user = _create(world, locale="zh-CN")
    assert user["status"] == "invited"
    stored = session.get(User, user["id"])
    assert stored.password_hash is None
    [(link, page, token)] = mailed_links(session, "new@a.test")
    assert link.startswith(app.config["PUBLIC_BASE_URL"] + "/console/accept-invitation?token=")
    assert len(token) >= 43  # 32 random bytes, base64url
    mail = session.scalar(select(OutgoingMail).where(OutgoingMail.recipient == "new@a.test"))
    assert "邀请" in mail.subject and token in mail.html_body
    # Only the hash of the token is stored.
    stored_hashes = session.scalars(select(AccountToken.token_hash)).all()
    assert token not in stored_hashes and len(stored_hashes) == 1
    assert_problem(_login(world.client, "new@a.test", "anything at all"), 401)


def test_accepting_an_invitation_sets_the_password_and_signs_in(world, session):
    user = _create(world)
    token = last_token(session, "new@a.test", "accept-invitation")
    response = world.client.post("/api/v1/auth/invitations/accept", json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 200 and response.json["token_type"] == "Bearer"
    assert world.client.get("/api/v1/me", headers=_bearer(response.json["access_token"])).json["id"] == user["id"]
    assert _login(world.client, "new@a.test", NEW_PASSWORD).status_code == 200
    listed = world.client.get(f"/api/v1/users/{user['id']}", headers=world.as_("admin")).json
    assert listed["status"] == "active"


def test_an_invitation_link_works_once(world, session):
    _create(world)
    token = last_token(session, "new@a.test", "accept-invitation")
    first = world.client.post("/api/v1/auth/invitations/accept", json={"token": token, "new_password": NEW_PASSWORD})
    assert first.status_code == 200
    again = assert_problem(world.client.post("/api/v1/auth/invitations/accept",
                                             json={"token": token, "new_password": "another passphrase"}), 400)
    assert again["code"] == "invalid_link"
    assert _login(world.client, "new@a.test", NEW_PASSWORD).status_code == 200


def test_an_invitation_link_expires_after_seven_days(world, session):
    start = now_utc()
    with time_machine.travel(start, tick=False):
        _create(world)
    token = last_token(session, "new@a.test", "accept-invitation")
    with time_machine.travel(start + timedelta(days=7, seconds=1), tick=False):
        body = assert_problem(world.client.post("/api/v1/auth/invitations/accept",
                                                json={"token": token, "new_password": NEW_PASSWORD}), 400)
    assert body["code"] == "invalid_link"
    with time_machine.travel(start + timedelta(days=6, hours=23), tick=False):
        assert world.client.post("/api/v1/auth/invitations/accept",
                                 json={"token": token, "new_password": NEW_PASSWORD}).status_code == 200


def test_a_weak_password_does_not_spend_the_invitation(world, session):
    _create(world)
    token = last_token(session, "new@a.test", "accept-invitation")
    assert_problem(world.client.post("/api/v1/auth/invitations/accept", json={"token": token, "new_password": "short"}), 422)
    assert world.client.post("/api/v1/auth/invitations/accept",
                             json={"token": token, "new_password": NEW_PASSWORD}).status_code == 200


def test_resending_an_invitation_replaces_the_link(world, session):
    user = _create(world)
    old = last_token(session, "new@a.test", "accept-invitation")
    response = world.client.post(f"/api/v1/users/{user['id']}/invitation", headers=world.as_("admin"))
    assert response.status_code == 202
    new = last_token(session, "new@a.test", "accept-invitation")
    assert new != old
    assert_problem(world.client.post("/api/v1/auth/invitations/accept", json={"token": old, "new_password": NEW_PASSWORD}), 400)
    assert world.client.post("/api/v1/auth/invitations/accept",
                             json={"token": new, "new_password": NEW_PASSWORD}).status_code == 200
    again = assert_problem(world.client.post(f"/api/v1/users/{user['id']}/invitation", headers=world.as_("admin")), 400)
    assert again["code"] == "not_invited"


def test_unknown_tokens_are_400(world):
    for path in ("/api/v1/auth/invitations/accept", "/api/v1/auth/password-reset/confirm"):
        body = assert_problem(world.client.post(path, json={"token": "x" * 43, "new_password": NEW_PASSWORD}), 400)
        assert body["code"] == "invalid_link"


# Password reset by the owner

def test_password_reset_answers_the_same_whether_or_not_the_address_exists(world, session):
    known = _reset_requested(world.client, "agent@a.test")
    unknown = _reset_requested(world.client, "nobody@a.test")
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json
    assert mailed_links(session, "nobody@a.test") == []
    assert len(mailed_links(session, "agent@a.test")) == 1


def test_reset_link_sets_a_new_password_once_and_ends_every_session(world, session):
    pair = _login(world.client, "agent@a.test").json
    _reset_requested(world.client, "Agent@A.test ")
    token = last_token(session, "agent@a.test", "reset-password")
    response = world.client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])), 401)
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(pair["refresh_token"])), 401)
    assert _login(world.client, "agent@a.test", NEW_PASSWORD).status_code == 200
    again = assert_problem(world.client.post("/api/v1/auth/password-reset/confirm",
                                             json={"token": token, "new_password": "yet another passphrase"}), 400)
    assert again["code"] == "invalid_link"


def test_reset_link_expires_after_thirty_minutes(world, session):
    start = now_utc()
    with time_machine.travel(start, tick=False):
        _reset_requested(world.client, "agent@a.test")
    token = last_token(session, "agent@a.test", "reset-password")
    with time_machine.travel(start + timedelta(minutes=30, seconds=1), tick=False):
        assert_problem(world.client.post("/api/v1/auth/password-reset/confirm",
                                         json={"token": token, "new_password": NEW_PASSWORD}), 400)
    assert _login(world.client, "agent@a.test").status_code == 200


def test_a_reset_link_cannot_accept_an_invitation(world, session):
    _reset_requested(world.client, "agent@a.test")
    token = last_token(session, "agent@a.test", "reset-password")
    assert_problem(world.client.post("/api/v1/auth/invitations/accept", json={"token": token, "new_password": NEW_PASSWORD}), 400)


# Password reset by an administrator

def test_admin_reset_mails_the_owner_ends_sessions_and_shows_in_their_access_log(world, session):
    pair = _login(world.client, "agent@a.test").json
    response = world.client.post(f"/api/v1/users/{world.ids['agent']}/password-reset", headers=world.as_("admin"))
    assert response.status_code == 202 and response.json == {"status": "mail_sent"}
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])), 401)
    token = last_token(session, "agent@a.test", "reset-password")
    assert world.client.post("/api/v1/auth/password-reset/confirm",
                             json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    own = _login(world.client, "agent@a.test", NEW_PASSWORD).json
    log = world.client.get("/api/v1/me/access-log", headers=_bearer(own["access_token"])).json["items"]
    [entry] = [e for e in log if e["action"] == "password_reset"]
    assert entry["purpose"] == "password reset by an administrator" and entry["at"]
    assert entry["actor"]["id"] == world.ids["admin"] and entry["actor"]["role"] == "admin"


def test_admin_without_mail_gets_a_temporary_password_the_owner_must_replace(world, session, app):
    app.config["MAIL_DISABLED"] = True
    try:
        response = world.client.post(f"/api/v1/users/{world.ids['agent']}/password-reset", headers=world.as_("admin"))
    finally:
        app.config["MAIL_DISABLED"] = False
    assert response.status_code == 202
    temporary = response.json["temporary_password"]
    # The admin cannot use it to act as the agent: it must be changed, and the change is the owner's to see.
    assert assert_problem(_login(world.client, "agent@a.test", temporary), 403)["code"] == "password_change_required"
    assert_problem(_login(world.client, "agent@a.test"), 401)
    entries = session.scalars(select(AccessLogEntry).where(AccessLogEntry.subject_id == world.ids["agent"])).all()
    assert [(e.action, e.actor_id) for e in entries] == [("password_reset", world.ids["admin"])]


def test_admin_reset_is_refused_for_other_roles_and_organizations(world):
    for who in ("agent", "supervisor", "hr"):
        assert_problem(world.client.post(f"/api/v1/users/{world.ids['agent2']}/password-reset", headers=world.as_(who)), 403)
    assert_problem(world.client.post(f"/api/v1/users/{world.ids['agent']}/password-reset",
                                     headers=world.as_("other_admin")), 404)


# Deactivation

def test_deactivation_takes_effect_on_the_next_request(world, session):
    pair = _login(world.client, "agent@a.test").json
    response = world.client.post(f"/api/v1/users/{world.ids['agent']}/deactivate", headers=world.as_("admin"))
    assert response.status_code == 200 and response.json["active"] is False and response.json["status"] == "deactivated"
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])), 401)
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(pair["refresh_token"])), 401)
    assert session.get(User, world.ids["agent"]).deactivated_at is not None


def test_a_deactivated_user_signs_in_like_a_wrong_password(world):
    world.client.post(f"/api/v1/users/{world.ids['agent']}/deactivate", headers=world.as_("admin"))
    deactivated = assert_problem(_login(world.client, "agent@a.test"), 401)
    wrong = assert_problem(_login(world.client, "agent2@a.test", "not the password"), 401)
    for body in (deactivated, wrong):
        body.pop("request_id")
    assert deactivated == wrong
    assert _reset_requested(world.client, "agent@a.test").status_code == 202


def test_deactivated_tokens_stop_even_without_revocation(world, session):
    """The check is on the account itself, so a session that escaped revocation still stops."""
    pair = _login(world.client, "agent@a.test").json
    user = session.get(User, world.ids["agent"])
    user.deactivated_at = now_utc()
    session.commit()
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])), 401)


def test_reactivation_lets_the_user_sign_in_again_with_their_data(world, session):
    entry = world.client.post("/api/v1/diary", headers=world.as_("agent"), json={
        "occurred_at": (now_utc() - timedelta(hours=1)).isoformat(), "emotion": "calm", "intensity": 3})
    assert entry.status_code == 201, entry.json
    world.client.post(f"/api/v1/users/{world.ids['agent']}/deactivate", headers=world.as_("admin"))
    response = world.client.post(f"/api/v1/users/{world.ids['agent']}/reactivate", headers=world.as_("admin"))
    assert response.status_code == 200 and response.json["active"] is True
    pair = _login(world.client, "agent@a.test").json
    diary = world.client.get("/api/v1/diary", headers=_bearer(pair["access_token"])).json["items"]
    assert [e["id"] for e in diary] == [entry.json["id"]]


def test_deactivation_is_for_admins_of_the_same_organization(world):
    for who in ("agent", "supervisor", "hr"):
        assert_problem(world.client.post(f"/api/v1/users/{world.ids['agent2']}/deactivate", headers=world.as_(who)), 403)
    assert_problem(world.client.post(f"/api/v1/users/{world.ids['agent']}/deactivate", headers=world.as_("other_admin")), 404)
