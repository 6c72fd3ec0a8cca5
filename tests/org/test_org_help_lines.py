"""An organization's country: derived from its time zone until an admin sets it."""
from __future__ import annotations

import pytest

from tests.helpers import assert_problem
from wellbeing.models import Organization

URL = "/api/v1/org"


def patch(world, body):
    return world.client.patch(URL, json=body, headers=world.as_("admin"))


def test_the_country_follows_the_time_zone_until_an_admin_sets_it(world, session):
    org = world.client.get(URL, headers=world.as_("admin")).json
    assert (org["timezone"], org["country"], org["country_source"]) == ("Asia/Shanghai", "CN", "timezone")
    moved = patch(world, {"timezone": "Europe/London"}).json
    assert (moved["country"], moved["country_source"]) == ("GB", "timezone")
    assert session.get(Organization, world.org_id).country is None


def test_a_zone_alias_names_its_country_and_utc_names_none(world):
    assert patch(world, {"timezone": "PRC"}).json["country"] == "CN"
    assert patch(world, {"timezone": "UTC"}).json["country"] is None


def test_an_admin_sets_the_country_and_null_follows_the_time_zone_again(world, session):
    patch(world, {"timezone": "UTC"})
    chosen = patch(world, {"country": "cn"})
    assert chosen.status_code == 200
    assert (chosen.json["country"], chosen.json["country_source"]) == ("CN", "setting")
    assert session.get(Organization, world.org_id).country == "CN"
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
