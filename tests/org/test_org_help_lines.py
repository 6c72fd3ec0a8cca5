"""The organization's side of the safety path: its country, its own help lines (old and localized shapes) and the
warnings an admin gets in GET /org."""
from __future__ import annotations

import pytest

from tests.helpers import assert_problem
from wellbeing.models import Organization

URL = "/api/v1/org"
OLD_SHAPE = [{"name": "EAP", "phone": "+86 400 000 0000", "hours": "24/7"},
             {"name": "HR desk", "phone": "+86 21 0000 0000", "hours": "Mon-Fri 09:00-18:00"}]


def patch(world, body):
    return world.client.patch(URL, json=body, headers=world.as_("admin"))


def test_get_org_warns_when_the_organization_has_added_no_line_of_its_own(world):
    assert world.client.get(URL, headers=world.as_("admin")).json["warnings"] == ["no_own_help_lines"]
    assert world.client.get(URL, headers=world.as_("hr")).json["warnings"] == ["no_own_help_lines"]
    assert patch(world, {"help_lines": OLD_SHAPE[:1]}).json["warnings"] == []
    assert patch(world, {"help_lines": []}).json["warnings"] == ["no_own_help_lines"]


def test_patch_org_still_accepts_and_returns_the_old_help_line_shape(world, session):
    response = patch(world, {"help_lines": OLD_SHAPE})
    assert response.status_code == 200
    assert response.json["help_lines"] == OLD_SHAPE
    assert world.client.get(URL, headers=world.as_("hr")).json["help_lines"] == OLD_SHAPE
    assert session.get(Organization, world.org_id).help_lines == OLD_SHAPE
    # hours stays optional, as before
    assert patch(world, {"help_lines": [{"name": "Desk", "phone": "123"}]}).json["help_lines"] == [
        {"name": "Desk", "phone": "123", "hours": ""}]


def test_help_lines_take_localized_names_a_web_page_and_the_confidential_flag(world, session):
    line = {"name": "EAP", "names": {"en": "Employee Assistance Programme", "zh-CN": "员工援助计划"},
            "phone": "+86 400 000 0000", "hours": "08:00-22:00", "url": "https://eap.example/help",
            "confidential": True}
    response = patch(world, {"help_lines": [line, OLD_SHAPE[1]]})
    assert response.status_code == 200, response.json
    assert response.json["help_lines"] == [line, OLD_SHAPE[1]]
    assert session.get(Organization, world.org_id).help_lines == [line, OLD_SHAPE[1]]


@pytest.mark.parametrize(("line", "field"), [
    ({"name": "EAP", "phone": "1", "names": {"fr": "PAE"}}, "names"),
    ({"name": "EAP", "phone": "1", "names": {"zh-CN": ""}}, "names"),
    ({"name": "EAP", "phone": "1", "url": "javascript:alert(1)"}, "url"),
    ({"name": "EAP", "phone": "1", "confidential": "perhaps"}, "confidential"),
    ({"name": "EAP", "phone": "1", "email": "eap@example.com"}, "email"),
    ({"name": "EAP"}, "phone"),
])
def test_a_bad_help_line_is_422_naming_the_field_and_stores_nothing(world, session, line, field):
    patch(world, {"help_lines": OLD_SHAPE})
    body = assert_problem(patch(world, {"help_lines": [line]}), 422)
    assert field in body["errors"]["json"]["help_lines"]["0"]
    assert session.get(Organization, world.org_id).help_lines == OLD_SHAPE


def test_the_country_follows_the_time_zone_until_an_admin_sets_it(world, session):
    org = world.client.get(URL, headers=world.as_("admin")).json
    assert (org["timezone"], org["country"], org["country_source"]) == ("Asia/Shanghai", "CN", "timezone")
    moved = patch(world, {"timezone": "Europe/London"}).json
    assert (moved["country"], moved["country_source"]) == ("GB", "timezone")
    assert "no_national_help_lines" in moved["warnings"]
    assert session.get(Organization, world.org_id).country is None


def test_a_zone_alias_names_its_country_and_utc_names_none(world):
    assert patch(world, {"timezone": "PRC"}).json["country"] == "CN"
    utc = patch(world, {"timezone": "UTC"}).json
    assert (utc["country"], utc["warnings"]) == (None, ["no_own_help_lines", "no_national_help_lines"])


def test_an_admin_sets_the_country_and_null_follows_the_time_zone_again(world, session):
    patch(world, {"timezone": "UTC"})
    chosen = patch(world, {"country": "cn"})
    assert chosen.status_code == 200
    assert (chosen.json["country"], chosen.json["country_source"]) == ("CN", "setting")
    assert session.get(Organization, world.org_id).country == "CN"
    support = world.client.get("/api/v1/support", headers=world.as_("agent")).json
    assert support["country"] == "CN" and support["resources"][0]["id"] == "cn_12356"
    reset = patch(world, {"country": None}).json
    assert (reset["country"], reset["country_source"]) == (None, "timezone")
    assert session.get(Organization, world.org_id).country is None


@pytest.mark.parametrize("country", ["XX", "China", "C", "", "CHN", 86])
def test_an_unknown_country_is_422_and_changes_nothing(world, session, country):
    body = assert_problem(patch(world, {"country": country}), 422)
    assert "country" in body["errors"]["json"]
    assert session.get(Organization, world.org_id).country is None


def test_only_an_admin_sets_the_country(world):
    for who in ("hr", "agent", "supervisor"):
        assert_problem(world.client.patch(URL, json={"country": "CN"}, headers=world.as_(who)), 403)
