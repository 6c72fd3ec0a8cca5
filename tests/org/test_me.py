"""The caller's own profile: time zone, locale, working and quiet hours."""
from __future__ import annotations

from tests.helpers import assert_problem
from wellbeing.models import User


def test_profile_shows_the_callers_own_data(world):
    me = world.client.get("/api/v1/me", headers=world.as_("agent")).json
    assert me["id"] == world.ids["agent"] and me["email"] == "agent@a.test" and me["role"] == "agent"
    assert me["team_id"] == world.team_a and me["org_id"] == world.org_id
    assert me["timezone"] == "UTC" and me["locale"] == "en"
    assert me["work_hours"] == {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}
    assert me["quiet_hours"] is None and "password_hash" not in me


def test_patch_profile_changes_and_stores(world, session):
    change = {"name": "Li Na", "timezone": "Asia/Shanghai", "locale": "zh-CN",
              "work_hours": {"days": [1, 2, 3, 4, 5, 6], "start": "08:30", "end": "17:30"},
              "quiet_hours": {"days": [1, 2, 3, 4, 5, 6, 7], "start": "22:00", "end": "07:00"}}
    response = world.client.patch("/api/v1/me", json=change, headers=world.as_("agent"))
    assert response.status_code == 200
    assert {k: response.json[k] for k in change} == change
    stored = session.get(User, world.ids["agent"])
    assert (stored.timezone, stored.locale, stored.quiet_hours["start"]) == ("Asia/Shanghai", "zh-CN", "22:00")
    cleared = world.client.patch("/api/v1/me", json={"quiet_hours": None}, headers=world.as_("agent"))
    assert cleared.json["quiet_hours"] is None


def test_overnight_work_hours_are_allowed(world):
    night = {"days": [1, 2, 3, 4, 5], "start": "22:00", "end": "06:00"}
    assert world.client.patch("/api/v1/me", json={"work_hours": night}, headers=world.as_("agent")).json["work_hours"] == night


def test_timezone_must_be_an_iana_name(world):
    for bad in ("Mars/Olympus", "CST", "+08:00", "../../etc/passwd", "", "asia/shanghai"):
        errors = assert_problem(world.client.patch("/api/v1/me", json={"timezone": bad}, headers=world.as_("agent")), 422)
        assert "timezone" in errors["errors"]["json"]
    for good in ("America/New_York", "Asia/Shanghai", "UTC", "Europe/London"):
        assert world.client.patch("/api/v1/me", json={"timezone": good}, headers=world.as_("agent")).status_code == 200


def test_work_hours_are_validated(world):
    bad_windows = [
        {"days": [], "start": "09:00", "end": "18:00"},
        {"days": [0], "start": "09:00", "end": "18:00"},
        {"days": [8], "start": "09:00", "end": "18:00"},
        {"days": [1, 1], "start": "09:00", "end": "18:00"},
        {"days": [1], "start": "9:00", "end": "18:00"},
        {"days": [1], "start": "24:00", "end": "18:00"},
        {"days": [1], "start": "09:00", "end": "09:00"},
        {"days": [1], "start": "09:00"},
        {"days": [1], "start": "09:00", "end": "18:00", "extra": 1},
        {"days": "weekdays", "start": "09:00", "end": "18:00"},
    ]
    for window in bad_windows:
        response = world.client.patch("/api/v1/me", json={"work_hours": window}, headers=world.as_("agent"))
        assert "work_hours" in assert_problem(response, 422)["errors"]["json"], window
    assert world.client.get("/api/v1/me", headers=world.as_("agent")).json["work_hours"]["start"] == "09:00"


def test_profile_cannot_change_role_email_or_team(world):
    for field, value in (("role", "admin"), ("email", "x@a.test"), ("team_id", None), ("id", "x")):
        response = world.client.patch("/api/v1/me", json={field: value}, headers=world.as_("agent"))
        assert field in assert_problem(response, 422)["errors"]["json"]
    assert world.client.get("/api/v1/me", headers=world.as_("agent")).json["role"] == "agent"


def test_every_role_has_a_profile(world):
    for who in ("agent", "supervisor", "hr", "admin"):
        assert world.client.get("/api/v1/me", headers=world.as_(who)).json["role"] == who.split("_")[0]
