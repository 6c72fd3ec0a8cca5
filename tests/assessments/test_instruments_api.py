"""GET, PUT /org/instruments (admin) and the localized catalog agents see, with re-administration hints."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import assert_problem
from wellbeing.models import OrgInstrument

ORG_URL = "/api/v1/org/instruments"
URL = "/api/v1/instruments"
PHQ4_NORMAL = {"1": 0, "2": 0, "3": 0, "4": 0}


@pytest.fixture
def now():
    moment = now_utc().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        yield moment


def z(moment):
    return moment.isoformat().replace("+00:00", "Z")


def enable(world, ids, who="admin"):
    return world.client.put(ORG_URL, json={"enabled": ids}, headers=world.as_(who))


def test_admin_sees_every_instrument_with_the_defaults_and_licences(world):
    listing = world.client.get(ORG_URL, headers=world.as_("admin")).json
    assert [(i["id"], i["enabled"], i["license"]["commercial_use_needs_permission"]) for i in listing] == [
        ("brs", False, True), ("burnout1", True, False), ("cbi", True, False),
        ("phq4", True, False), ("pss10", False, True), ("who5", False, True)]
    who5 = listing[-1]
    assert who5["license"]["text"].startswith("© World Health Organization 2024. Licence: CC BY-NC-SA 3.0 IGO.")
    assert who5["name"] == "WHO-5 Well-Being Index" and who5["items_count"] == 5 and who5["citation"]
    assert listing[3]["license"]["attribution"].startswith("Developed by Drs. Robert L. Spitzer")


def test_admin_sets_the_enabled_list_and_agents_see_it(world, session):
    response = enable(world, ["who5", "cbi"])
    assert response.status_code == 200
    assert [i["id"] for i in response.json if i["enabled"]] == ["cbi", "who5"]
    assert [i["id"] for i in world.client.get(URL, headers=world.as_("agent")).json] == ["cbi", "who5"]
    rows = session.scalars(select(OrgInstrument).where(OrgInstrument.org_id == world.org_id)).all()
    assert {(row.instrument_id, row.enabled) for row in rows} == {
        ("brs", False), ("burnout1", False), ("cbi", True), ("phq4", False), ("pss10", False), ("who5", True)}
    assert {row.updated_by for row in rows} == {world.ids["admin"]}


def test_enabling_is_per_organization(world):
    enable(world, [])
    assert world.client.get(URL, headers=world.as_("agent")).json == []
    other = world.client.get(URL, headers=world.as_("other_agent")).json
    assert [i["id"] for i in other] == ["burnout1", "cbi", "phq4"]


def test_an_empty_list_switches_everything_off_and_a_second_put_replaces_it(world):
    enable(world, [])
    response = enable(world, ["pss10", "pss10"])
    assert [i["id"] for i in response.json if i["enabled"]] == ["pss10"]


def test_unknown_instrument_id_is_422_naming_it(world, session):
    body = assert_problem(enable(world, ["cbi", "mbi"]), 422)
    assert body["errors"] == {"json": {"enabled": {"1": ["Unknown instrument 'mbi'."]}}}
    assert session.scalar(select(OrgInstrument.org_id)) is None


@pytest.mark.parametrize("body", [{}, {"enabled": "cbi"}, {"enabled": [1]}, {"enabled": [""]},
                                  {"enabled": ["cbi"], "disabled": []}, {"enabled": ["x"] * 101}])
def test_malformed_put_bodies_are_422(world, body):
    assert_problem(world.client.put(ORG_URL, json=body, headers=world.as_("admin")), 422)


@pytest.mark.parametrize("who", ["agent", "supervisor", "hr"])
def test_only_admins_manage_instruments(world, who):
    assert_problem(world.client.get(ORG_URL, headers=world.as_(who)), 403)
    assert_problem(enable(world, ["cbi"], who=who), 403)


def test_admin_listing_is_localized(world):
    listing = world.client.get(ORG_URL, headers=world.as_("admin") | {"Accept-Language": "zh-CN"}).json
    assert listing[2]["name"] == "哥本哈根职业倦怠量表"


def test_catalog_lists_the_enabled_instruments_in_english(world, now):
    catalog = world.client.get(URL, headers=world.as_("agent")).json
    assert [(i["id"], i["name"], i["items_count"], i["version"]) for i in catalog] == [
        ("burnout1", "Single-item burnout measure", 1, "1.0"),
        ("cbi", "Copenhagen Burnout Inventory", 19, "1.1-puma-order"),
        ("phq4", "Patient Health Questionnaire-4 (PHQ-4)", 4, "1.0"),
    ]
    assert catalog[2]["recall_period"] == {"text": "The last 2 weeks", "days": 14}


def test_catalog_in_chinese_by_accept_language(world, now):
    catalog = world.client.get(URL, headers=world.as_("agent") | {"Accept-Language": "zh-CN,en;q=0.5"}).json
    assert [i["name"] for i in catalog] == ["职业倦怠单题自评", "哥本哈根职业倦怠量表", "患者健康问卷-4（PHQ-4）"]


def test_catalog_falls_back_to_the_users_locale_and_the_header_wins(world, now):
    world.client.patch("/api/v1/me", json={"locale": "zh-CN"}, headers=world.as_("agent"))
    assert world.client.get(URL, headers=world.as_("agent")).json[1]["name"] == "哥本哈根职业倦怠量表"
    english = world.client.get(URL, headers=world.as_("agent") | {"Accept-Language": "en-GB"}).json
    assert english[1]["name"] == "Copenhagen Burnout Inventory"


def test_next_due_is_now_before_the_first_completion_then_one_recall_period_later(world, now):
    assert {i["id"]: (i["last_completed_at"], i["next_due_at"]) for i in
            world.client.get(URL, headers=world.as_("agent")).json}["phq4"] == (None, z(now))
    done = now - timedelta(days=3)
    world.client.post("/api/v1/assessments", json={"instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": z(done)},
                      headers=world.as_("agent"))
    world.client.post("/api/v1/assessments", headers=world.as_("agent"), json={
        "instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": z(now - timedelta(days=20))})
    due = {i["id"]: (i["last_completed_at"], i["next_due_at"]) for i in world.client.get(URL, headers=world.as_("agent")).json}
    assert due["phq4"] == (z(done), z(done + timedelta(days=14)))
    assert due["cbi"] == (None, z(now))


def test_next_due_is_now_when_overdue(world, now):
    world.client.post("/api/v1/assessments", headers=world.as_("agent"), json={
        "instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": z(now - timedelta(days=15))})
    phq4 = world.client.get(f"{URL}/phq4", headers=world.as_("agent")).json
    assert (phq4["last_completed_at"], phq4["next_due_at"]) == (z(now - timedelta(days=15)), z(now))


def test_one_instrument_has_its_items_and_options_in_english(world, now):
    cbi = world.client.get(f"{URL}/cbi", headers=world.as_("agent")).json
    assert (cbi["language"], cbi["items_count"], cbi["items_required"]) == ("en", 19, False)
    assert cbi["items"][13] == {"id": "14", "text": "Do you find it hard to work with customers?", "options": [
        {"value": 100, "label": "To a very high degree"}, {"value": 75, "label": "To a high degree"},
        {"value": 50, "label": "Somewhat"}, {"value": 25, "label": "To a low degree"},
        {"value": 0, "label": "To a very low degree"}]}
    assert cbi["translation"] is None and cbi["next_due_at"] == z(now)


def test_one_instrument_in_chinese_says_the_translation_is_ours(world, now):
    phq4 = world.client.get(f"{URL}/phq4", headers=world.as_("agent") | {"Accept-Language": "zh-CN"}).json
    assert phq4["items"][0]["text"] == "感觉紧张、焦虑或急切"
    assert [o["label"] for o in phq4["items"][0]["options"]] == ["完全不会", "好几天", "一半以上的天数", "几乎每天"]
    assert phq4["translation"] == {"status": "own_translation", "disclaimer": None}
    assert phq4["license"]["commercial_use_needs_permission"] is False


@pytest.mark.parametrize("instrument_id", ["pss10", "mbi", "x" * 300])
def test_a_disabled_or_unknown_instrument_is_404(world, now, instrument_id):
    assert_problem(world.client.get(f"{URL}/{instrument_id}", headers=world.as_("agent")), 404)


def test_an_enabled_instrument_becomes_readable(world, now):
    enable(world, ["who5"])
    who5 = world.client.get(f"{URL}/who5", headers=world.as_("agent") | {"Accept-Language": "zh-CN"}).json
    assert who5["translation"]["disclaimer"].startswith("本译文并非由世界卫生组织")
    assert_problem(world.client.get(f"{URL}/cbi", headers=world.as_("agent")), 404)


@pytest.mark.parametrize("who", ["supervisor", "hr", "admin"])
def test_the_agent_catalog_is_for_agents(world, who):
    assert_problem(world.client.get(URL, headers=world.as_(who)), 403)
    assert_problem(world.client.get(f"{URL}/cbi", headers=world.as_(who)), 403)


@pytest.fixture
def tiny_in_catalog(tmp_path, monkeypatch):
    """The shipped catalog plus the test-only `tiny` instrument, loaded from its own file in a temporary directory."""
    from tests.assessments.test_instruments_catalog import TINY, write
    from wellbeing.assessments import catalog as enabled_instruments
    from wellbeing.assessments.instruments import load_catalog

    write(tmp_path, TINY)
    catalog = enabled_instruments.instrument_catalog() | load_catalog(tmp_path)
    monkeypatch.setattr(enabled_instruments, "instrument_catalog", lambda: catalog)


def test_a_new_instrument_file_is_offered_answered_and_scored_without_code(world, now, tiny_in_catalog):
    listing = world.client.get(ORG_URL, headers=world.as_("admin")).json
    assert {i["id"]: i["enabled"] for i in listing}["tiny"] is False
    assert_problem(world.client.post("/api/v1/assessments", json={"instrument": "tiny", "answers": {"1": 3}},
                                     headers=world.as_("agent")), 422)
    enable(world, ["cbi", "tiny"])
    tiny = world.client.get(f"{URL}/tiny", headers=world.as_("agent") | {"Accept-Language": "zh-CN"}).json
    assert (tiny["name"], [item["text"] for item in tiny["items"]]) == ("小测验", ["第一", "第二", "第三"])
    # mean of 3, 3 and item 3 reversed (0 + 3 - 0) = 3 -> high; scaled sum, nothing reversed: (3 + 3 + 0) x 10 - 5
    created = world.client.post("/api/v1/assessments", json={"instrument": "tiny", "answers": {"1": 3, "2": 3, "3": 0}},
                                headers=world.as_("agent")).json
    assert (created["scores"], created["bands"]) == ({"mean": 3, "scaled": 55}, {"mean": "high"})
    assert [alert["rule_id"] for alert in created["alerts"]] == ["first_item_top", "mean_high"]
    assert created["support"]["kind"] == "crisis"


def test_each_instrument_shows_its_default_reminder_rhythm(world):
    listing = world.client.get(ORG_URL, headers=world.as_("admin")).json
    assert {i["id"]: (i["reminder_days"], i["reminder_days_default"], i["min_interval_days"]) for i in listing} == {
        "brs": (90, 90, 28), "burnout1": (7, 7, 7), "cbi": (30, 30, 28),
        "phq4": (14, 14, 14), "pss10": (30, 30, 28), "who5": (14, 14, 14)}


def test_an_organization_sets_its_own_rhythm_within_bounds_and_a_plain_put_keeps_it(world, session):
    response = world.client.put(ORG_URL, json={"enabled": ["cbi", "phq4"], "reminder_days": {"phq4": 28, "cbi": 90}},
                                headers=world.as_("admin"))
    assert response.status_code == 200
    assert {i["id"]: i["reminder_days"] for i in response.json if i["id"] in ("cbi", "phq4", "who5")} == {
        "cbi": 90, "phq4": 28, "who5": 14}
    stored = dict(session.execute(select(OrgInstrument.instrument_id, OrgInstrument.reminder_days)
                                  .where(OrgInstrument.org_id == world.org_id)).all())
    assert stored == {"brs": None, "burnout1": None, "cbi": 90, "phq4": 28, "pss10": None, "who5": None}
    # The body without reminder_days stays valid and leaves the chosen rhythm alone
    assert [i["reminder_days"] for i in enable(world, ["phq4"]).json if i["id"] == "phq4"] == [28]
    # Naming only some instruments puts the others back on their default
    response = world.client.put(ORG_URL, json={"enabled": ["phq4"], "reminder_days": {"cbi": 60}},
                                headers=world.as_("admin"))
    assert {i["id"]: i["reminder_days"] for i in response.json if i["id"] in ("cbi", "phq4")} == {"cbi": 60, "phq4": 14}
    other = world.client.get(ORG_URL, headers=world.as_("other_admin")).json
    assert [i["reminder_days"] for i in other if i["id"] == "cbi"] == [30]


@pytest.mark.parametrize("rhythm, message", [
    ({"phq4": 13}, "Must be from 14 (the shortest retake interval) to 90 days."),
    ({"cbi": 91}, "Must be from 28 (the shortest retake interval) to 90 days."),
    ({"burnout1": 6}, "Must be from 7 (the shortest retake interval) to 90 days."),
    ({"mbi": 30}, "Unknown instrument 'mbi'."),
])
def test_a_rhythm_out_of_bounds_or_for_an_unknown_instrument_is_422_naming_it(world, session, rhythm, message):
    body = assert_problem(world.client.put(ORG_URL, json={"enabled": ["cbi"], "reminder_days": rhythm},
                                           headers=world.as_("admin")), 422)
    [key] = rhythm
    assert body["errors"] == {"json": {"reminder_days": {key: [message]}}}
    assert session.scalar(select(OrgInstrument.org_id)) is None


@pytest.mark.parametrize("rhythm", [{"cbi": "30"}, {"cbi": 30.5}, {"cbi": None}, [30], {"": 30}])
def test_malformed_reminder_days_are_422(world, rhythm):
    body = assert_problem(world.client.put(ORG_URL, json={"enabled": ["cbi"], "reminder_days": rhythm},
                                           headers=world.as_("admin")), 422)
    assert "reminder_days" in body["errors"]["json"]
