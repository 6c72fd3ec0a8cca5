"""Console sign-in, sign-out, session cookie, expiry and token refresh (Flask test client)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from tests.console.helpers import browser, csrf_of, heading, post_form, sign_in, text
from tests.helpers import PASSWORD
from wellbeing.models import AuthSession


def _open_sessions(session, user_id: str) -> int:
    rows = session.scalars(select(AuthSession).where(AuthSession.user_id == user_id)).all()
    return sum(1 for row in rows if row.revoked_at is None)


def test_root_redirects_to_the_console(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/console/"


def test_console_shows_the_sign_in_form_to_a_visitor(client):
    response = client.get("/console/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert heading(response) == "Sign in"
    assert 'name="email"' in text(response) and 'name="password"' in text(response)


def test_each_console_role_lands_on_its_home(app, world):
    homes = {"admin": "/console/admin/teams", "supervisor": "/console/supervisor/", "hr": "/console/hr/"}
    for key, home in homes.items():
        response = sign_in(browser(app), world.emails[key])
        assert response.status_code == 302 and response.headers["Location"] == home, key


def test_agent_is_sent_to_the_phone_app_page_and_not_kept_signed_in(app, world, session):
    client = browser(app)
    response = sign_in(client, world.emails["agent"])
    assert response.headers["Location"] == "/console/for-agents"
    assert "phone app" in text(client.get("/console/for-agents"))
    assert _open_sessions(session, world.ids["agent"]) == 0
    assert client.get("/console/supervisor/").headers["Location"].startswith("/console/?next=")


def test_wrong_password_shows_a_message_without_saying_which_part_was_wrong(app, world):
    response = sign_in(browser(app), world.emails["admin"], "not the password")
    assert response.status_code == 401
    assert "That e-mail and password do not match an account." in text(response)
    assert 'value="admin@a.test"' in text(response)


def test_empty_sign_in_fields_are_marked_next_to_the_fields(app):
    client = browser(app)
    response = client.post("/console/sign-in", data={"csrf_token": csrf_of(client.get("/console/")), "email": ""})
    assert response.status_code == 422
    assert 'id="signin-email-error"' in text(response) and 'id="signin-password-error"' in text(response)
    assert 'aria-invalid="true"' in text(response)


def test_sign_in_returns_to_the_page_asked_for(app, world):
    client = browser(app)
    page = client.get("/console/admin/users?role=hr")
    assert page.headers["Location"] == "/console/?next=/console/admin/users?role%3Dhr"
    response = sign_in(client, world.emails["admin"], next="/console/admin/users?role=hr")
    assert response.headers["Location"] == "/console/admin/users?role=hr"


def test_sign_in_never_redirects_to_another_site(app, world):
    for target in ("https://evil.example/", "//evil.example/console/", "/api/v1/me", "/console\\..\\x"):
        response = sign_in(browser(app), world.emails["admin"], next=target)
        assert response.headers["Location"] == "/console/admin/teams", target


def test_session_cookie_is_httponly_samesite_lax_and_scoped_to_the_console(app, world):
    response = sign_in(browser(app), world.emails["admin"])
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("wellbeing_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app, world):
    client = browser(app)
    token = csrf_of(client.get("/console/", base_url="https://localhost"))
    response = client.post("/console/sign-in", base_url="https://localhost",
                           data={"csrf_token": token, "email": world.emails["admin"], "password": PASSWORD})
    assert response.status_code == 302
    assert "; Secure" in response.headers["Set-Cookie"]


def test_tokens_are_not_in_the_page(app, world):
    client = browser(app)
    sign_in(client, world.emails["admin"])
    page = text(client.get("/console/admin/teams"))
    # No JWT anywhere in the HTML (a random CSRF token may contain "eyJ"; a JWT is eyJ<header>.eyJ<claims>.<sig>).
    assert not re.search(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.", page)


def test_sign_out_ends_the_sign_in_on_the_server(app, world, session):
    client = browser(app)
    sign_in(client, world.emails["supervisor"])
    assert _open_sessions(session, world.ids["supervisor"]) == 1
    response = post_form(client, "/console/supervisor/", "/console/sign-out", follow_redirects=True)
    assert heading(response) == "Sign in" and "You have signed out." in text(response)
    assert _open_sessions(session, world.ids["supervisor"]) == 0
    assert client.get("/console/supervisor/").status_code == 302


def test_expired_access_token_is_refreshed_without_bothering_the_user(app, world, session):
    client = browser(app)
    sign_in(client, world.emails["supervisor"])
    before = session.scalar(select(AuthSession.refresh_jti).where(AuthSession.user_id == world.ids["supervisor"]))
    with time_machine.travel(now_utc() + timedelta(minutes=20), tick=False):
        response = client.get("/console/supervisor/")
    assert response.status_code == 200 and heading(response) == "My teams"
    after = session.scalar(select(AuthSession.refresh_jti).where(AuthSession.user_id == world.ids["supervisor"]))
    assert after != before


def test_idle_session_expires_back_to_sign_in_and_is_revoked(app, world, session):
    client = browser(app)
    sign_in(client, world.emails["hr"])
    with time_machine.travel(now_utc() + timedelta(minutes=31), tick=False):
        response = client.get("/console/hr/")
        assert response.status_code == 302 and response.headers["Location"] == "/console/?next=/console/hr/"
        page = client.get(response.headers["Location"])
    assert "Your session expired. Please sign in again." in text(page)
    assert _open_sessions(session, world.ids["hr"]) == 0


def test_activity_keeps_the_session_but_not_past_its_lifetime(app, world):
    client = browser(app)
    start = now_utc()
    sign_in(client, world.emails["hr"])
    for minutes in range(25, 10 * 60, 25):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/console/hr/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=10, minutes=1), tick=False):
        assert client.get("/console/hr/").headers["Location"].startswith("/console/?next=")


def test_a_revoked_sign_in_sends_the_console_back_to_sign_in(app, world, client):
    browser_client = browser(app)
    sign_in(browser_client, world.emails["supervisor"])
    # The admin changes the supervisor's role: the API ends their sign-ins.
    client.patch(f"/api/v1/users/{world.ids['supervisor']}", json={"role": "hr"}, headers=world.as_("admin"))
    response = browser_client.get("/console/supervisor/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/?next=")
    assert "Your session has ended" in text(browser_client.get(response.headers["Location"]))


def test_signed_in_visitor_of_the_start_page_goes_home(app, world):
    client = browser(app)
    sign_in(client, world.emails["admin"])
    assert client.get("/console/").headers["Location"] == "/console/admin/teams"


def test_demo_logins_are_listed_only_when_configured(app, monkeypatch):
    assert "Demo logins" not in text(app.test_client().get("/console/"))
    monkeypatch.setitem(app.config, "CONSOLE_SHOW_DEMO_LOGINS", True)
    page = text(app.test_client().get("/console/"))
    assert "Demo logins" in page and "admin@demo.example" in page and "supervisor4@demo.example" in page
    assert "demo-password" in page


def test_demo_login_button_signs_in(app, monkeypatch, session):
    from wellbeing import demo

    demo.seed_demo(session, now_utc(), agents=10, teams=2)
    monkeypatch.setitem(app.config, "CONSOLE_SHOW_DEMO_LOGINS", True)
    response = sign_in(browser(app), "supervisor1@demo.example", demo.DEMO_PASSWORD)
    assert response.headers["Location"] == "/console/supervisor/"


def test_repeated_failures_are_throttled_with_a_readable_message(app, world):
    client = browser(app)
    for _ in range(5):
        assert sign_in(client, world.emails["hr"], "wrong password").status_code == 401
    response = sign_in(client, world.emails["hr"], "wrong password")
    assert response.status_code == 429
    assert "Too many sign-in attempts. Try again in" in text(response)


def test_demo_logins_cannot_be_listed_in_production(tmp_path):
    from api.config import Config, ConfigError
    from wellbeing.core.crypto import generate_key

    env = {"WELLBEING_ENV": "production", "SECRET_KEY": "s" * 48, "JWT_SECRET_KEY": "j" * 32, "DATA_KEYS": generate_key("p"),
           "DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path), "CONSOLE_SHOW_DEMO_LOGINS": "1"}
    with pytest.raises(ConfigError, match="CONSOLE_SHOW_DEMO_LOGINS"):
        Config(env)


def _cookie_refresh_token(app, client) -> str:
    """The refresh token inside the console's session cookie (signed, not encrypted: whoever holds it can read it)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], path="/console")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)["refresh"]


def test_a_refresh_token_taken_from_the_console_cookie_dies_with_the_idle_console_session(app, world, session):
    client = browser(app)
    start = now_utc()
    with time_machine.travel(start, tick=False):
        sign_in(client, world.emails["supervisor"])
    stolen = _cookie_refresh_token(app, client)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = world.client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {stolen}"})
    assert response.status_code == 401
    reasons = session.scalars(select(AuthSession.revoked_reason).where(AuthSession.user_id == world.ids["supervisor"])).all()
    assert reasons == ["idle"]


def test_a_refresh_token_taken_from_the_console_cookie_dies_after_ten_hours(app, world, session):
    client = browser(app)
    start = now_utc()
    with time_machine.travel(start, tick=False):
        sign_in(client, world.emails["supervisor"])
    # The console stays in use (every 20 minutes), refreshing its tokens; the thief keeps the newest one.
    for minutes in range(20, 10 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/console/supervisor/").status_code == 200
    stolen = _cookie_refresh_token(app, client)
    with time_machine.travel(start + timedelta(hours=10, minutes=1), tick=False):
        response = world.client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {stolen}"})
    assert response.status_code == 401
    stored = session.scalar(select(AuthSession).where(AuthSession.user_id == world.ids["supervisor"]))
    assert stored.expires_at == start + timedelta(hours=10)


def test_an_active_console_refreshes_often_enough_to_stay_within_its_idle_limit(app, world):
    client = browser(app)
    start = now_utc()
    with time_machine.travel(start, tick=False):
        sign_in(client, world.emails["supervisor"])
    # A request every 6 minutes for an hour, then 29 idle minutes: still signed in.
    for minutes in range(6, 61, 6):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/console/supervisor/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=60 + 29), tick=False):
        response = client.get("/console/supervisor/")
    assert response.status_code == 200 and heading(response) == "My teams"


def test_the_phone_apps_sign_in_keeps_its_thirty_days(world, session):
    pair = world.client.post("/api/v1/auth/token", json={"email": world.emails["agent"], "password": PASSWORD}).json
    stored = session.scalar(select(AuthSession).where(AuthSession.user_id == world.ids["agent"]))
    assert stored.idle_timeout is None and stored.expires_at - stored.created_at == timedelta(days=30)
    with time_machine.travel(now_utc() + timedelta(days=2), tick=False):
        refreshed = world.client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {pair['refresh_token']}"})
    assert refreshed.status_code == 200
