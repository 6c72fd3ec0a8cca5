"""Supervisor and HR pages, CSRF, language, times and error pages of the console (Flask test client)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from tests.console.helpers import browser, csrf_of, heading, post_form, sign_in, text
from wellbeing.models import Team


@pytest.fixture
def signed_in(app, world):
    """A function giving a browser signed in as one of the world's people."""

    def make(key: str):
        client = browser(app)
        sign_in(client, world.emails[key])
        return client

    return make


def test_supervisor_sees_only_the_teams_they_lead(signed_in):
    page = text(signed_in("supervisor").get("/console/supervisor/"))
    assert "Team A" in page and "Team B" not in page
    assert "How these numbers protect your team" in page and "See the trends of Team A" in page


def test_supervisor_opens_their_team_but_not_another_by_editing_the_url(signed_in, world):
    supervisor = signed_in("supervisor")
    assert heading(supervisor.get(f"/console/supervisor/teams/{world.team_a}")) == "Team A"
    response = supervisor.get(f"/console/supervisor/teams/{world.team_b}")
    assert response.status_code == 404 and heading(response) == "Not found"
    assert "Team B" not in text(response)


def test_path_values_cannot_smuggle_a_query_into_the_api_call(signed_in, world):
    response = signed_in("supervisor").get(f"/console/supervisor/teams/{world.team_b}%3Fx=1")
    assert response.status_code == 404


def test_supervisor_gets_a_readable_refusal_on_admin_pages(signed_in):
    response = signed_in("supervisor").get("/console/admin/users")
    assert response.status_code == 403 and heading(response) == "Not allowed"


def test_hr_sees_help_lines_teams_and_the_case_list(signed_in, client, world):
    client.patch("/api/v1/org", headers=world.as_("admin"),
                 json={"help_lines": [{"name": "EAP", "phone": "+86 400", "hours": "24/7"}]})
    page = text(signed_in("hr").get("/console/hr/"))
    assert "EAP" in page and "+86 400" in page and "Team A" in page and "Team B" in page
    assert 'data-list="cases"' in page or "No cases." in page


@pytest.mark.parametrize("action", [
    "/console/sign-in", "/console/sign-out", "/console/language", "/console/admin/teams", "/console/admin/users",
    "/console/admin/api-keys", "/console/admin/settings", "/console/admin/settings/help-lines",
    "/console/admin/settings/help-lines/remove", "/console/admin/instruments",
])
def test_a_form_posted_without_its_csrf_token_is_refused(signed_in, action):
    admin = signed_in("admin")
    response = admin.post(action, data={"name": "X", "email": "x@a.test", "password": "p", "lang": "zh-CN"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "This form has expired or did not come from this console." in text(response)


def test_every_console_form_route_checks_the_csrf_token(app, signed_in, world):
    admin = signed_in("admin")
    targets = {"team_id": world.team_a, "user_id": world.ids["supervisor"], "key_id": "k", "case_id": "c",
               "appointment_id": "a"}
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("console.") and "POST" in r.methods]
    assert len(rules) == 35
    for rule in rules:
        url = rule
        for name, value in targets.items():
            url = url.replace(f"<{name}>", value)
        assert admin.post(url, data={"csrf_token": "forged"}).status_code == 400, rule


def test_refused_forms_change_nothing(signed_in, session):
    admin = signed_in("admin")
    admin.post("/console/admin/teams", data={"name": "Sneaky"})
    assert session.scalar(select(func.count()).select_from(Team).where(Team.name == "Sneaky")) == 0
    admin.post("/console/sign-out")
    assert admin.get("/console/admin/teams").status_code == 200


def test_a_token_from_another_browser_is_refused(app, signed_in):
    stranger = csrf_of(browser(app).get("/console/"))
    response = signed_in("admin").post("/console/admin/teams", data={"csrf_token": stranger, "name": "X"})
    assert response.status_code == 400


def test_language_follows_the_browser_by_default(app):
    page = app.test_client().get("/console/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-CN">' in text(page) and heading(page) == "登录"


def test_language_switch_is_kept_for_the_session_and_returns_to_the_page(signed_in):
    admin = signed_in("admin")
    response = post_form(admin, "/console/admin/users", "/console/language",
                         {"lang": "zh-CN", "next": "/console/admin/users?role=hr"})
    assert response.headers["Location"] == "/console/admin/users?role=hr"
    page = admin.get("/console/admin/users", headers={"Accept-Language": "en"})
    assert heading(page) == "用户" and "退出登录" in text(page)
    post_form(admin, "/console/admin/users", "/console/language", {"lang": "en"})
    assert heading(admin.get("/console/admin/users")) == "Users"


def test_times_are_shown_in_the_users_own_time_zone(signed_in, client, world):
    # A fixed instant after every token of the world was issued (tokens are signed in afresh inside).
    with time_machine.travel(datetime(2030, 3, 1, 20, 0, tzinfo=timezone.utc), tick=False):
        client.post("/api/v1/teams", json={"name": "Night Shift"}, headers=world.login("admin"))
        admin = signed_in("admin")
        page = text(admin.get("/console/admin/teams"))
        assert '<time datetime="2030-03-01T20:00:00Z" title="Asia/Shanghai">2030-03-02 04:00 CST</time>' in page
        client.patch("/api/v1/me", json={"timezone": "America/New_York"}, headers=world.as_("admin"))
        page = text(admin.get("/console/admin/teams"))
    assert "2030-03-01 15:00 EST" in page and "America/New_York" in page


def test_unknown_console_page_is_a_page_not_a_problem_document(client):
    response = client.get("/console/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html" and heading(response) == "Not found"


def test_wrong_method_on_a_console_url_is_a_page(client):
    response = client.get("/console/sign-out")
    assert response.status_code == 405 and response.mimetype == "text/html"


def test_api_urls_still_answer_problem_json(client):
    assert client.get("/api/v1/no-such").mimetype == "application/problem+json"


def test_a_server_error_in_the_api_shows_a_calm_page_without_internals(signed_in, monkeypatch):
    from wellbeing.org import organizations
    supervisor = signed_in("supervisor")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(organizations, "teams_visible_to", broken)
    response = supervisor.get("/console/supervisor/")
    page = text(response)
    assert response.status_code == 500 and heading(response) == "Something went wrong on our side"
    assert "secret internals" not in page and "Traceback" not in page


def test_a_failure_inside_the_console_shows_a_calm_page(signed_in, monkeypatch):
    from api.console import supervisor as supervisor_pages

    client = signed_in("supervisor")
    monkeypatch.setattr(supervisor_pages, "render", lambda *a, **k: 1 / 0)
    response = client.get("/console/supervisor/")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "ZeroDivisionError" not in text(response) and "Traceback" not in text(response)


def test_an_oversized_form_is_refused_with_a_page(signed_in):
    admin = signed_in("admin")
    response = admin.post("/console/admin/teams", data={"csrf_token": "x", "name": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413 and response.mimetype == "text/html"


def test_console_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/console/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in text(response) and " on" + "click=" not in text(response)
