"""The admin pages: teams, users, supervisors, API keys and settings, all through the API (Flask test client)."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from tests.console.helpers import browser, heading, post_form, sign_in, text
from tests.helpers import PASSWORD
from wellbeing.models import ApiKey, Organization, Team, TeamSupervisor, User


@pytest.fixture
def admin(app, world):
    """A browser signed in to the console as org A's admin."""
    client = browser(app)
    sign_in(client, world.emails["admin"])
    return client


def test_teams_page_lists_the_organizations_teams_only(admin):
    page = text(admin.get("/console/admin/teams"))
    assert "Team A" in page and "Team B" in page
    assert "Org B" not in page


def test_admin_creates_a_team(admin, session, world):
    response = post_form(admin, "/console/admin/teams", "/console/admin/teams", {"name": "Night Shift"})
    team = session.scalar(select(Team).where(Team.name == "Night Shift"))
    assert team.org_id == world.org_id
    assert response.headers["Location"] == f"/console/admin/teams/{team.id}"
    assert "Team Night Shift created." in text(admin.get(response.headers["Location"]))


def test_posting_the_same_create_form_twice_creates_one_team(admin, session):
    form = {"name": "Night Shift", "request_id": str(uuid.uuid4())}
    post_form(admin, "/console/admin/teams", "/console/admin/teams", form)
    again = post_form(admin, "/console/admin/teams", "/console/admin/teams", form, follow_redirects=True)
    assert "Team Night Shift had already been created." in text(again)
    assert len(session.scalars(select(Team).where(Team.name == "Night Shift")).all()) == 1


def test_duplicate_team_name_is_shown_on_the_form(admin):
    response = post_form(admin, "/console/admin/teams", "/console/admin/teams", {"name": "Team A"})
    assert response.status_code == 409
    assert "already exists" in text(response) and 'class="error-summary"' in text(response)


def test_admin_creates_a_user_in_a_team(admin, session, world):
    form = {"name": "New Agent", "email": "new@a.test", "role": "agent", "team_id": world.team_a,
            "password": PASSWORD, "timezone": "Europe/London", "locale": "zh-CN"}
    response = post_form(admin, "/console/admin/users", "/console/admin/users", form)
    user = session.scalar(select(User).where(User.email == "new@a.test"))
    assert (user.org_id, user.role, user.team_id, user.timezone, user.locale) == (
        world.org_id, "agent", world.team_a, "Europe/London", "zh-CN")
    assert response.headers["Location"] == f"/console/admin/users/{user.id}"


def test_invalid_user_fields_are_shown_next_to_the_fields_and_the_form_keeps_its_values(admin):
    form = {"name": "New Agent", "email": "not-an-address", "role": "agent", "password": "short"}
    response = post_form(admin, "/console/admin/users", "/console/admin/users", form)
    page = text(response)
    assert response.status_code == 422
    assert re.search(r'id="user-email-error">.*Not a valid email address\.', page, re.S)
    assert re.search(r'id="user-password-error">.*Length must be between 10 and 200\.', page, re.S)
    assert 'value="New Agent"' in page and 'value="short"' not in page


def test_duplicate_e_mail_is_a_readable_conflict(admin, world):
    form = {"name": "Copy", "email": world.emails["agent"], "role": "agent", "password": PASSWORD}
    response = post_form(admin, "/console/admin/users", "/console/admin/users", form)
    assert response.status_code == 409 and "A user with this e-mail already exists." in text(response)


def test_admin_moves_a_user_to_another_team(admin, session, world):
    url = f"/console/admin/users/{world.ids['agent']}"
    response = post_form(admin, url, url + "/team", {"team_id": world.team_b}, follow_redirects=True)
    assert "Agent has moved." in text(response)
    assert re.search(r'data-field="team">Team B<', text(response))
    assert session.get(User, world.ids["agent"]).team_id == world.team_b


def test_admin_takes_a_user_out_of_every_team(admin, session, world):
    url = f"/console/admin/users/{world.ids['agent']}"
    post_form(admin, url, url + "/team", {"team_id": ""})
    assert session.get(User, world.ids["agent"]).team_id is None


def test_admin_changes_a_role(admin, session, world):
    url = f"/console/admin/users/{world.ids['agent2']}"
    response = post_form(admin, url, url + "/role", {"role": "supervisor"}, follow_redirects=True)
    assert "Agent2 has a new role." in text(response)
    assert session.get(User, world.ids["agent2"]).role == "supervisor"


def test_another_organizations_user_is_not_found(admin, world):
    response = admin.get(f"/console/admin/users/{world.ids['other_agent']}")
    assert response.status_code == 404 and heading(response) == "Not found"


def test_users_list_pages_with_a_cursor(admin, client, world):
    for n in range(30):
        client.post("/api/v1/users", headers=world.as_("admin"),
                    json={"email": f"bulk{n}@a.test", "name": f"Bulk {n}", "role": "agent", "password": PASSWORD})
    first = text(admin.get("/console/admin/users"))
    cursor = re.search(r'href="/console/admin/users\?cursor=([^"&]+)" rel="next"', first).group(1)
    second = text(admin.get(f"/console/admin/users?cursor={cursor}"))
    names = lambda page: set(re.findall(r">(Bulk \d+|Agent\w*|Supervisor\w*|Hr|Administrator)</a>", page))  # noqa: E731
    assert len(names(first)) == 25 and names(first).isdisjoint(names(second))
    assert len(names(first) | names(second)) == 37
    assert 'rel="next"' not in second and "First page" in second


def test_users_list_filters_by_role(admin):
    page = text(admin.get("/console/admin/users?role=supervisor"))
    assert "Supervisor_B" in page and "Agent2" not in page


def test_admin_assigns_and_removes_a_supervisor(admin, session, world):
    url = f"/console/admin/teams/{world.team_b}"
    response = post_form(admin, url, url + "/supervisors", {"user_id": world.ids["supervisor"]}, follow_redirects=True)
    assert "The supervisor now leads this team." in text(response)
    assert session.get(TeamSupervisor, (world.team_b, world.ids["supervisor"])) is not None
    removal = f"{url}/supervisors/{world.ids['supervisor']}/remove"
    response = post_form(admin, url, removal, follow_redirects=True)
    assert "The supervisor no longer leads this team." in text(response)
    assert session.get(TeamSupervisor, (world.team_b, world.ids["supervisor"])) is None


def test_assigning_a_non_supervisor_is_explained_at_the_field(admin, world):
    url = f"/console/admin/teams/{world.team_b}"
    response = post_form(admin, url, url + "/supervisors", {"user_id": world.ids["agent"]})
    assert response.status_code == 422 and "This user is not a supervisor." in text(response)


def test_api_key_is_shown_once(admin, session, world):
    response = post_form(admin, "/console/admin/api-keys", "/console/admin/api-keys", {"name": "CTI"})
    key = re.search(r'<code id="new-key">(wbk_[^<]+)</code>', text(response)).group(1)
    stored = session.scalar(select(ApiKey).where(ApiKey.org_id == world.org_id))
    assert stored.name == "CTI" and key.startswith(stored.prefix)
    assert response.headers["Cache-Control"] == "no-store"
    assert key not in text(admin.get("/console/admin/api-keys"))


def test_reposting_the_key_form_does_not_show_the_secret_again(admin, session, world):
    form = {"name": "CTI", "request_id": str(uuid.uuid4())}
    post_form(admin, "/console/admin/api-keys", "/console/admin/api-keys", form)
    again = post_form(admin, "/console/admin/api-keys", "/console/admin/api-keys", form)
    assert "This key was already created" in text(again) and 'id="new-key"' not in text(again)
    assert len(session.scalars(select(ApiKey).where(ApiKey.org_id == world.org_id)).all()) == 1


def test_admin_revokes_an_api_key(admin, client, session, world):
    key = client.post("/api/v1/api-keys", json={"name": "old"}, headers=world.as_("admin")).json
    response = post_form(admin, "/console/admin/api-keys", f"/console/admin/api-keys/{key['id']}/revoke",
                         follow_redirects=True)
    assert "The API key has been revoked." in text(response)
    assert session.get(ApiKey, key["id"]).revoked_at is not None


def test_admin_saves_settings(admin, session, world):
    form = {"name": "Org A2", "timezone": "Europe/Berlin", "roster_min": "10", "epsilon_per_month": "2.5",
            "retention_days": "400"}
    response = post_form(admin, "/console/admin/settings", "/console/admin/settings", form, follow_redirects=True)
    assert "Settings saved." in text(response)
    org = session.get(Organization, world.org_id)
    assert (org.name, org.timezone, org.roster_min, float(org.epsilon_per_month), org.retention_days) == (
        "Org A2", "Europe/Berlin", 10, 2.5, 400)


def test_out_of_range_settings_are_refused_at_their_fields(admin, session, world):
    form = {"name": "Org A", "timezone": "Asia/Shanghai", "roster_min": "5", "epsilon_per_month": "11",
            "retention_days": "400"}
    response = post_form(admin, "/console/admin/settings", "/console/admin/settings", form)
    page = text(response)
    assert response.status_code == 422
    assert re.search(r'id="org-roster_min-error">.*greater than or equal to 8', page, re.S)
    assert re.search(r'id="org-epsilon_per_month-error">.*less than or equal to 10', page, re.S)
    assert session.get(Organization, world.org_id).roster_min == 8


def test_admin_adds_and_removes_help_lines(admin, session, world):
    line = {"name": "EAP", "phone": "+86 400 000 0000", "hours": "24/7"}
    post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines", line)
    post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines",
              {"name": "Desk", "phone": "123", "hours": ""})
    assert [h["name"] for h in session.get(Organization, world.org_id).help_lines] == ["EAP", "Desk"]
    response = post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines/remove", line,
                         follow_redirects=True)
    assert "Help line EAP removed." in text(response)
    assert session.get(Organization, world.org_id).help_lines == [{"name": "Desk", "phone": "123", "hours": ""}]
    again = post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines/remove", line,
                      follow_redirects=True)
    assert "That help line had already been removed." in text(again)


def test_a_help_line_without_a_phone_is_refused_at_the_field(admin):
    response = post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines",
                         {"name": "EAP", "phone": "", "hours": ""})
    assert response.status_code == 422
    assert re.search(r'id="line-phone-error">.*Length must be between', text(response), re.S)


def test_admin_sets_and_sees_contact_centre_ids(admin, session, world):
    url = f"/console/admin/users/{world.ids['agent2']}"
    response = post_form(admin, url, url + "/external-ids", {"amazon_connect": "4a5b6c7d", "genesys": ""},
                         follow_redirects=True)
    assert "Contact-centre ids of Agent2 are saved." in text(response)
    assert "Amazon Connect: <code>4a5b6c7d</code>" in text(response)
    assert session.get(User, world.ids["agent2"]).external_ids == {"amazon_connect": "4a5b6c7d"}
    post_form(admin, url, url + "/external-ids", {"amazon_connect": "", "genesys": ""}, follow_redirects=True)
    session.expire_all()
    assert session.get(User, world.ids["agent2"]).external_ids is None
