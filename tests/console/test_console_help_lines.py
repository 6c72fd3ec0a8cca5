"""The safety path in the console: agents' page, HR's overview and the admin's warnings, country and line form."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.console.helpers import browser, post_form, sign_in, text
from wellbeing.models import AuthSession, Organization

EAP = {"name": "Acme EAP", "names": {"zh-CN": "Acme 员工援助计划"}, "phone": "+86 400 123 4567", "hours": "08:00-22:00",
       "confidential": True}
NO_OWN_LINE = "Your organization has no help line of its own yet, so agents see only the national ones."


@pytest.fixture
def admin(app, world):
    client = browser(app)
    sign_in(client, world.emails["admin"])
    return client


def own_lines(world, *lines):
    response = world.client.patch("/api/v1/org", json={"help_lines": list(lines)}, headers=world.as_("admin"))
    assert response.status_code == 200


def test_an_agent_signing_in_sees_their_help_lines_and_is_not_kept_signed_in(app, world, session):
    own_lines(world, EAP)
    client = browser(app)
    assert sign_in(client, world.emails["agent"]).headers["Location"] == "/console/for-agents"
    page = text(client.get("/console/for-agents"))
    assert "Where to find help" in page
    assert page.index("Acme EAP") < page.index("National mental health hotline 12356") < page.index("120")
    assert "At least 18 hours a day" in page and "Confidential" in page
    sessions = session.scalars(select(AuthSession).where(AuthSession.user_id == world.ids["agent"])).all()
    assert all(row.revoked_at is not None for row in sessions)


def test_the_agents_page_in_chinese(app, world):
    client = browser(app)
    post_form(client, "/console/", "/console/language", {"lang": "zh-CN"})
    sign_in(client, world.emails["agent"])
    page = text(client.get("/console/for-agents"))
    assert "全国统一心理援助热线 12356" in page and "每天至少18小时" in page and "在哪里可以获得帮助" in page


def test_the_agents_page_without_a_sign_in_points_to_the_app(client):
    page = text(client.get("/console/for-agents"))
    assert "Your help lines are in the phone app under Support." in page
    assert "12356" not in page


def test_hr_overview_shows_the_organizations_lines_then_the_national_ones(app, world):
    own_lines(world, EAP)
    client = browser(app)
    sign_in(client, world.emails["hr"])
    page = text(client.get("/console/hr/"))
    assert page.index("Acme EAP") < page.index("National mental health hotline 12356") < page.index("Police")


def test_hr_overview_shows_the_national_lines_before_any_are_added(app, world):
    client = browser(app)
    sign_in(client, world.emails["hr"])
    page = text(client.get("/console/hr/"))
    assert "National mental health hotline 12356" in page
    assert "Your organization has no help line of its own yet; an administrator adds them in the settings." in page


def test_the_settings_page_warns_until_the_organization_adds_a_line_of_its_own(admin, world):
    assert NO_OWN_LINE in text(admin.get("/console/admin/settings"))
    post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines",
              {"name": "Desk", "phone": "123", "hours": ""})
    page = text(admin.get("/console/admin/settings"))
    assert NO_OWN_LINE not in page
    assert "After your lines, agents see the national help lines of CN." in page


def test_the_settings_page_warns_when_no_national_lines_are_known(admin, world):
    world.client.patch("/api/v1/org", json={"timezone": "UTC"}, headers=world.as_("admin"))
    assert "The time zone names no country, so agents see no national help lines" in text(
        admin.get("/console/admin/settings"))


def test_the_admin_sets_and_clears_the_country(admin, world, session):
    form = {"name": "Org A", "timezone": "UTC", "roster_min": "8", "epsilon_per_month": "3", "retention_days": "730"}
    post_form(admin, "/console/admin/settings", "/console/admin/settings", form | {"country": "cn"})
    assert session.get(Organization, world.org_id).country == "CN"
    assert 'value="CN"' in text(admin.get("/console/admin/settings"))
    post_form(admin, "/console/admin/settings", "/console/admin/settings", form | {"country": ""})
    session.expire_all()
    assert session.get(Organization, world.org_id).country is None
    refused = post_form(admin, "/console/admin/settings", "/console/admin/settings", form | {"country": "XX"})
    assert refused.status_code == 422 and "Not an ISO 3166-1 alpha-2 country code" in text(refused)


def test_the_admin_adds_a_confidential_line_with_a_chinese_name(admin, world, session):
    post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines",
              {"name": "Acme EAP", "phone": "+86 400", "hours": "", "name_zh": "Acme 员工援助计划",
               "url": "https://eap.example/", "confidential": "yes"})
    assert session.get(Organization, world.org_id).help_lines == [
        {"name": "Acme EAP", "phone": "+86 400", "hours": "", "names": {"zh-CN": "Acme 员工援助计划"},
         "url": "https://eap.example/", "confidential": True}]
    page = text(admin.get("/console/admin/settings"))
    assert "Acme 员工援助计划" in page and "Confidential" in page


def test_a_bad_web_page_is_refused_at_its_field(admin, world, session):
    response = post_form(admin, "/console/admin/settings", "/console/admin/settings/help-lines",
                         {"name": "EAP", "phone": "1", "hours": "", "url": "not a url"})
    assert response.status_code == 422 and 'id="line-url-error"' in text(response)
    assert session.get(Organization, world.org_id).help_lines == []
