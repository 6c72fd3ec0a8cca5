"""Single sign-on with a real OpenID provider (oidc-provider): the app's PKCE flow over real HTTP, and every refusal."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import assert_problem
from tests.org.sso_helpers import APP_REDIRECT, CLIENT_SECRET, pkce, query_of, walk
from wellbeing.models import OidcConfig, SsoAttempt, User

API = "/api/v1"


def configure(world, oidc_provider, live_server, admin="admin", slug="org-a", client_id="wellbeing-a", **changes):
    """The organization's provider settings through the admin API (and the client at the provider)."""
    body = {"slug": slug, "issuer": oidc_provider.issuer, "client_id": client_id, "client_secret": CLIENT_SECRET,
            "email_domains": ["a.test"] if admin == "admin" else ["b.test"], "redirect_uris": [APP_REDIRECT], **changes}
    response = world.client.put(f"{API}/org/sso", json=body, headers=world.as_(admin))
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def sso(world, oidc_provider, live_server):
    """Org A signs in through the test provider (client wellbeing-a); the provider knows both organizations' clients."""
    callback = f"{live_server}{API}/auth/sso/callback"
    oidc_provider.clients({"client_id": "wellbeing-a", "redirect_uris": [callback]},
                          {"client_id": "wellbeing-b", "redirect_uris": [callback]})
    oidc_provider.tamper()
    configure(world, oidc_provider, live_server)
    return world


def app_sign_in(live_server, account, oidc_provider, org="org-a", redirect_uri=APP_REDIRECT, state="app-state"):
    """The phone app's walk: start, the provider signs ``account`` in, back to the app's redirect URI."""
    verifier, challenge = pkce()
    oidc_provider.login_as(account)
    query = {"org": org, "redirect_uri": redirect_uri, "code_challenge": challenge, "code_challenge_method": "S256",
             "state": state}
    landing = walk(f"{live_server}{API}/auth/sso/start?{urlencode(query)}", redirect_uri)
    return query_of(landing), verifier


def exchange(live_server, code, verifier):
    return requests.post(f"{live_server}{API}/auth/token", timeout=10,
                         json={"grant_type": "authorization_code", "code": code, "code_verifier": verifier})


def test_app_signs_in_with_pkce_and_gets_the_usual_token_pair(sso, oidc_provider, live_server, session):
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider)
    assert returned["state"] == "app-state" and "error" not in returned
    tokens = exchange(live_server, returned["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    assert set(tokens.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    me = requests.get(f"{live_server}{API}/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
                      timeout=10)
    assert me.status_code == 200 and me.json()["email"] == "agent@a.test"
    attempt = session.scalar(select(SsoAttempt))
    # Only digests of the state and code are kept.
    assert attempt.code_hash != returned["code"] and attempt.code_used_at is not None


def test_the_e_mail_matches_case_insensitively(sso, oidc_provider, live_server):
    returned, verifier = app_sign_in(live_server, "Agent@A.TEST", oidc_provider)
    assert exchange(live_server, returned["code"], verifier).status_code == 200


def test_a_code_works_once(sso, oidc_provider, live_server):
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider)
    assert exchange(live_server, returned["code"], verifier).status_code == 200
    again = exchange(live_server, returned["code"], verifier)
    assert again.status_code == 400 and again.json()["code"] == "invalid_grant"
    assert again.headers["Content-Type"] == "application/problem+json"


def test_a_wrong_code_verifier_is_refused_and_spends_the_code(sso, oidc_provider, live_server):
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider)
    other_verifier, _ = pkce()
    wrong = exchange(live_server, returned["code"], other_verifier)
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_grant"
    assert exchange(live_server, returned["code"], verifier).status_code == 400


def test_an_expired_code_is_refused(sso, oidc_provider, live_server, session):
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider)
    attempt = session.scalar(select(SsoAttempt))
    attempt.code_expires_at = now_utc() - timedelta(seconds=1)
    session.commit()
    assert exchange(live_server, returned["code"], verifier).json()["code"] == "invalid_grant"


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(sso, live_server):
    _, challenge = pkce()
    query = urlencode({"org": "org-a", "redirect_uri": "https://evil.example/steal", "code_challenge": challenge})
    response = requests.get(f"{live_server}{API}/auth/sso/start?{query}", allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "redirect_uri_unregistered"


def test_an_unknown_organization_is_404(sso, client):
    _, challenge = pkce()
    response = client.get(f"{API}/auth/sso/start", query_string={"org": "nobody", "code_challenge": challenge,
                                                                 "redirect_uri": APP_REDIRECT})
    assert assert_problem(response, 404)["code"] == "sso_unknown_org"


def test_the_organization_is_found_by_e_mail_domain(sso, oidc_provider, live_server):
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider, org="someone@A.test")
    assert exchange(live_server, returned["code"], verifier).status_code == 200


def refused(returned: dict, code: str) -> None:
    assert returned["error"] == "access_denied" and returned["error_code"] == code, returned
    assert "code" not in returned and returned["state"] == "app-state"


def test_a_wrong_nonce_is_refused(sso, oidc_provider, live_server):
    oidc_provider.tamper(nonce="not-the-nonce-we-sent")
    returned, _ = app_sign_in(live_server, "agent@a.test", oidc_provider)
    refused(returned, "id_token_invalid")


def test_an_expired_id_token_is_refused_beyond_the_clock_skew(sso, oidc_provider, live_server):
    past = int(now_utc().timestamp())
    oidc_provider.tamper(iat=past - 3600, exp=past - 300)
    returned, _ = app_sign_in(live_server, "agent@a.test", oidc_provider)
    refused(returned, "id_token_invalid")


def test_an_id_token_just_expired_within_the_clock_skew_is_accepted(sso, oidc_provider, live_server):
    past = int(now_utc().timestamp())
    oidc_provider.tamper(iat=past - 600, exp=past - 30)
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider)
    assert exchange(live_server, returned["code"], verifier).status_code == 200


def test_an_id_token_for_another_audience_is_refused(sso, oidc_provider, live_server):
    oidc_provider.tamper(aud="someone-else")
    returned, _ = app_sign_in(live_server, "agent@a.test", oidc_provider)
    refused(returned, "id_token_invalid")


def test_a_key_rotation_at_the_provider_is_followed(sso, oidc_provider, live_server):
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider)
    assert exchange(live_server, returned["code"], verifier).status_code == 200
    new_kid = oidc_provider.rotate()[0]
    returned, verifier = app_sign_in(live_server, "agent2@a.test", oidc_provider)
    assert exchange(live_server, returned["code"], verifier).status_code == 200, new_kid


def test_a_user_of_another_organization_is_refused(sso, oidc_provider, live_server):
    returned, _ = app_sign_in(live_server, "agent@b.test", oidc_provider)
    refused(returned, "sso_other_organization")


def test_a_deactivated_user_is_refused(sso, oidc_provider, live_server):
    assert sso.client.post(f"{API}/users/{sso.ids['agent']}/deactivate", headers=sso.as_("admin")).status_code == 200
    returned, _ = app_sign_in(live_server, "agent@a.test", oidc_provider)
    refused(returned, "sso_account_deactivated")


def test_an_unknown_user_is_refused_without_just_in_time_creation(sso, oidc_provider, live_server, session):
    returned, _ = app_sign_in(live_server, "newcomer@a.test", oidc_provider)
    refused(returned, "sso_unknown_user")
    assert session.scalar(select(User).where(User.email == "newcomer@a.test")) is None


def test_just_in_time_creation_makes_an_agent_without_a_password(sso, oidc_provider, live_server, session):
    configure(sso, oidc_provider, live_server, jit_enabled=True)
    returned, verifier = app_sign_in(live_server, "newcomer@a.test", oidc_provider)
    assert exchange(live_server, returned["code"], verifier).status_code == 200
    user = session.scalar(select(User).where(User.email == "newcomer@a.test"))
    assert user.role == "agent" and user.org_id == sso.org_id and user.password_hash is None


def test_just_in_time_creation_keeps_to_the_organizations_domains(sso, oidc_provider, live_server, session):
    configure(sso, oidc_provider, live_server, jit_enabled=True)
    returned, _ = app_sign_in(live_server, "stranger@elsewhere.test", oidc_provider)
    refused(returned, "sso_unknown_user")


def test_a_used_state_cannot_be_replayed(sso, oidc_provider, live_server):
    verifier, challenge = pkce()
    oidc_provider.login_as("agent@a.test")
    query = urlencode({"org": "org-a", "redirect_uri": APP_REDIRECT, "code_challenge": challenge})
    browser = requests.Session()
    callback_prefix = f"{live_server}{API}/auth/sso/callback"
    callback = walk(f"{live_server}{API}/auth/sso/start?{query}", callback_prefix, browser)
    first = browser.get(callback, allow_redirects=False, timeout=10)
    assert first.status_code == 302 and first.headers["Location"].startswith(APP_REDIRECT)
    again = browser.get(callback, allow_redirects=False, timeout=10)
    assert again.status_code == 400 and again.json()["code"] == "sso_state_invalid"


def test_password_sign_in_can_be_reserved_for_admins(sso, oidc_provider, live_server, client):
    configure(sso, oidc_provider, live_server, password_sign_in=False)
    from tests.helpers import PASSWORD
    body = assert_problem(client.post(f"{API}/auth/token", json={"email": "agent@a.test", "password": PASSWORD}), 403)
    assert body["code"] == "password_sign_in_disabled"
    wrong = client.post(f"{API}/auth/token", json={"email": "agent@a.test", "password": "not the password"})
    assert wrong.status_code == 401
    assert client.post(f"{API}/auth/token", json={"email": "admin@a.test", "password": PASSWORD}).status_code == 200
    other_org = client.post(f"{API}/auth/token", json={"email": "agent@b.test", "password": PASSWORD})
    assert other_org.status_code == 200


def test_the_client_secret_is_stored_encrypted_and_never_returned(sso, session):
    config = session.scalar(select(OidcConfig))
    assert CLIENT_SECRET not in config.client_secret_ciphertext and config.client_secret_ciphertext.startswith("v1.")
    shown = sso.client.get(f"{API}/org/sso", headers=sso.as_("admin")).json
    assert "client_secret" not in shown and shown["client_secret_set"] is True
    assert shown["callback_url"].endswith("/api/v1/auth/sso/callback")


def test_test_connection_reads_discovery_and_the_keys(sso, oidc_provider):
    response = sso.client.post(f"{API}/org/sso/test", headers=sso.as_("admin"))
    assert response.status_code == 200, response.json
    assert response.json["issuer"] == oidc_provider.issuer and response.json["pkce_s256"] is True
    assert response.json["key_ids"]


def test_test_connection_reports_an_unreachable_provider(sso, oidc_provider, live_server):
    from tests.faults.server import free_port
    configure(sso, oidc_provider, live_server, issuer=f"http://127.0.0.1:{free_port()}")
    body = assert_problem(sso.client.post(f"{API}/org/sso/test", headers=sso.as_("admin")), 400)
    assert body["code"] == "provider_unreachable"


def test_only_admins_see_or_change_the_settings(sso):
    assert sso.client.get(f"{API}/org/sso", headers=sso.as_("hr")).status_code == 403
    assert sso.client.put(f"{API}/org/sso", json={}, headers=sso.as_("agent")).status_code == 403
    assert sso.client.get(f"{API}/org/sso", headers=sso.as_("other_admin")).status_code == 404


def test_redirect_uris_that_could_run_code_are_refused(sso, oidc_provider, live_server):
    body = {"slug": "org-a", "issuer": oidc_provider.issuer, "client_id": "x",
            "redirect_uris": ["javascript:alert(1)", "http://evil.example/cb"]}
    response = sso.client.put(f"{API}/org/sso", json=body, headers=sso.as_("admin"))
    errors = assert_problem(response, 422)["errors"]["json"]["redirect_uris"]
    assert set(errors) == {"0", "1"}


def test_a_slug_is_one_organizations(sso, oidc_provider, live_server):
    body = {"slug": "ORG-A", "issuer": oidc_provider.issuer, "client_id": "wellbeing-b", "client_secret": "s"}
    response = sso.client.put(f"{API}/org/sso", json=body, headers=sso.as_("other_admin"))
    assert assert_problem(response, 409)["code"] == "slug_taken"


def test_the_token_endpoint_refuses_mixed_bodies(client):
    verifier, _ = pkce()
    response = client.post(f"{API}/auth/token", json={"grant_type": "authorization_code", "code": "x",
                                                       "code_verifier": verifier, "password": "p"})
    assert "password" in assert_problem(response, 422)["errors"]["json"]
    missing = client.post(f"{API}/auth/token", json={"grant_type": "authorization_code"})
    assert set(assert_problem(missing, 422)["errors"]["json"]) == {"code", "code_verifier"}


def test_the_retention_job_forgets_finished_sign_in_attempts(sso, oidc_provider, live_server, session, app):
    from wellbeing.core.db import db
    from wellbeing.data_rights import purge_expired
    returned, verifier = app_sign_in(live_server, "agent@a.test", oidc_provider)
    with app.app_context():
        assert "sso_attempts" not in purge_expired(db.session, now_utc() + timedelta(hours=1))
        db.session.remove()
    assert session.scalar(select(SsoAttempt)) is not None
    with app.app_context():
        assert purge_expired(db.session, now_utc() + timedelta(days=2))["sso_attempts"] == 1
        db.session.remove()
    assert session.scalar(select(SsoAttempt)) is None
