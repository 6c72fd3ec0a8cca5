"""The safety path: GET /support for everyone, the organization's lines before the national ones, the choices an
alert offers, and nothing stored about who looked."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import assert_problem
from wellbeing.core.db import db
from wellbeing.models import CounselingCase

URL = "/api/v1/support"
ASSESSMENTS = "/api/v1/assessments"
PHQ4_Q2 = {"1": 2, "2": 1, "3": 1, "4": 1}  # anxiety 3: the anxiety_positive signpost fires
EAP = {"name": "Acme EAP", "names": {"zh-CN": "Acme 员工援助计划"}, "phone": "+86 400 123 4567", "hours": "08:00-22:00",
       "url": "https://eap.example/", "confidential": True}
DESK = {"name": "HR wellbeing desk", "phone": "+86 21 5555 0000", "hours": "Mon-Fri 09:00-18:00"}


@pytest.fixture
def now():
    moment = now_utc().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        yield moment


def own_lines(world, *lines):
    response = world.client.patch("/api/v1/org", json={"help_lines": list(lines)}, headers=world.as_("admin"))
    assert response.status_code == 200, response.json


def table_contents(session) -> dict[str, list[str]]:
    """Every row of every table, for comparing the whole database before and after."""
    session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in db.metadata.sorted_tables}


def test_a_new_organizations_agent_gets_12356_120_and_110_in_english_without_any_configuration(world):
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert (body["language"], body["country"]) == ("en", "CN")
    assert [(r["id"], r["origin"], r["phone"], r["name"], r["hours"]) for r in body["resources"]] == [
        ("cn_12356", "national", "12356", "National mental health hotline 12356", "At least 18 hours a day"),
        ("cn_120", "national", "120", "Medical emergency (ambulance) 120", "24 hours a day"),
        ("cn_110", "national", "110", "Police, for immediate danger 110", "24 hours a day"),
    ]
    assert [(r["confidential"], r["emergency"]) for r in body["resources"]] == [
        (True, False), (False, True), (False, True)]
    assert all(r["source"] for r in body["resources"])
    assert body["message"].startswith("You do not have to handle things alone.")
    assert "Nothing you do on this page is recorded" in body["privacy"]
    assert body["self_referral"]["id"] == "self_referral"


def test_the_same_lines_come_in_chinese(world):
    body = world.client.get(URL, headers=world.as_("agent") | {"Accept-Language": "zh-CN"}).json
    assert body["language"] == "zh-CN"
    assert [(r["name"], r["hours"]) for r in body["resources"]] == [
        ("全国统一心理援助热线 12356", "每天至少18小时"),
        ("医疗急救电话 120", "全天24小时"),
        ("报警电话（紧急危险）110", "全天24小时"),
    ]
    assert body["message"].startswith("您不必独自面对")
    assert body["self_referral"]["name"] == "预约心理咨询"


def test_12356_is_never_promised_around_the_clock(world):
    for lang in ("en", "zh-CN"):
        body = world.client.get(URL, headers=world.as_("agent") | {"Accept-Language": lang}).json
        [hotline] = [r for r in body["resources"] if r["id"] == "cn_12356"]
        assert "24" not in hotline["hours"] and "18" in hotline["hours"]


@pytest.mark.parametrize("who", ["supervisor", "hr", "admin"])
def test_every_role_reads_the_resources_without_a_self_referral_offer(world, who):
    response = world.client.get(URL, headers=world.as_(who))
    assert response.status_code == 200
    assert [r["id"] for r in response.json["resources"]] == ["cn_12356", "cn_120", "cn_110"]
    assert response.json["self_referral"] is None


def test_support_needs_a_sign_in(client):
    assert_problem(client.get(URL), 401)


def test_the_organizations_own_lines_come_first_in_the_callers_language(world):
    own_lines(world, EAP, DESK)
    english = world.client.get(URL, headers=world.as_("agent")).json["resources"]
    assert [(r["id"], r["origin"], r["name"]) for r in english[:2]] == [
        ("org_1", "organization", "Acme EAP"), ("org_2", "organization", "HR wellbeing desk")]
    assert [r["id"] for r in english[2:]] == ["cn_12356", "cn_120", "cn_110"]
    assert english[0] == {"type": "help_line", "id": "org_1", "origin": "organization", "name": "Acme EAP",
                          "phone": "+86 400 123 4567", "url": "https://eap.example/", "hours": "08:00-22:00",
                          "confidential": True, "emergency": False}
    chinese = world.client.get(URL, headers=world.as_("agent") | {"Accept-Language": "zh-CN"}).json["resources"]
    # A line without a Chinese name shows its one name.
    assert [r["name"] for r in chinese[:3]] == ["Acme 员工援助计划", "HR wellbeing desk", "全国统一心理援助热线 12356"]


def test_an_organization_in_a_country_without_national_data_shows_its_own_lines(world):
    response = world.client.patch("/api/v1/org", json={"timezone": "Europe/London", "help_lines": [DESK]},
                                  headers=world.as_("admin"))
    assert response.status_code == 200
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert body["country"] == "GB" and [r["id"] for r in body["resources"]] == ["org_1"]


def test_reading_support_changes_nothing_in_the_database(world, session, now):
    own_lines(world, EAP, DESK)
    headers = world.as_("agent")
    before = table_contents(session)
    for lang in ("en", "zh-CN"):
        response = world.client.get(URL, headers=headers | {"Accept-Language": lang})
        assert response.status_code == 200
        assert response.json["resources"][0]["confidential"] is True
    assert table_contents(session) == before
    # Nor does it show up where the agent or anyone else could read about it.
    assert world.client.get("/api/v1/me/access-log", headers=headers).json["items"] == []
    assert world.client.get("/api/v1/counseling/cases", headers=world.as_("hr")).json["items"] == []


def test_an_alerts_support_block_carries_the_resources_and_the_three_choices(world, now):
    own_lines(world, EAP, DESK)
    support = world.client.post(ASSESSMENTS, json={"instrument": "phq4", "answers": PHQ4_Q2},
                                headers=world.as_("agent")).json["support"]
    assert [r["id"] for r in support["resources"]] == ["org_1", "org_2", "cn_12356", "cn_120", "cn_110",
                                                       "self_referral"]
    assert support["resources"] == [
        *world.client.get(URL, headers=world.as_("agent")).json["resources"],
        {"type": "self_referral", "id": "self_referral", "name": "Talk to a counselor",
         "description": "Refer yourself for a confidential counseling conversation; HR arranges it with you."},
    ]
    assert support["choices"] == [
        {"id": "hr_contact", "label": "Ask HR to contact me", "arranged": False, "resources": ["self_referral"],
         "description": "HR arranges a confidential conversation with a counselor. Nothing reaches HR unless you "
                        "choose this."},
        {"id": "confidential", "label": "See confidential options", "resources": ["org_1", "cn_12356"],
         "description": "Services outside your organization's HR that you contact yourself. This app records nothing "
                        "about it, and nobody in your organization is told."},
        {"id": "none", "label": "Not now", "resources": [],
         "description": "Nothing is sent to anyone. These options stay available under Support."},
    ]
    # The existing fields keep their meaning.
    assert (support["kind"], support["alerts"]) == ("signpost", ["anxiety_positive"])
    assert support["message"].startswith("Thank you for answering.")


def test_the_choices_follow_the_language(world, now):
    headers = world.as_("agent") | {"Accept-Language": "zh-CN"}
    support = world.client.post(ASSESSMENTS, json={"instrument": "burnout1", "answers": {"1": 5}},
                                headers=headers).json["support"]
    assert [c["label"] for c in support["choices"]] == ["请人力资源部门联系我", "查看保密求助渠道", "暂时不需要"]
    assert support["resources"][0]["name"] == "全国统一心理援助热线 12356"


def test_with_hr_followup_consent_the_hr_choice_is_already_arranged_and_hr_gets_the_case(world, session, now):
    consent = world.client.put("/api/v1/me/consents", json={"team_aggregates": False, "hr_followup": True},
                               headers=world.as_("agent"))
    assert consent.status_code == 200
    support = world.client.post(ASSESSMENTS, json={"instrument": "phq4", "answers": PHQ4_Q2},
                                headers=world.as_("agent")).json["support"]
    hr_contact = support["choices"][0]
    assert (hr_contact["id"], hr_contact["arranged"], hr_contact["resources"]) == ("hr_contact", True, [])
    assert hr_contact["description"].startswith("You have agreed to HR follow-up")
    cases = session.scalars(select(CounselingCase).where(CounselingCase.user_id == world.ids["agent"])).all()
    assert [(case.opened_by, case.status) for case in cases] == [("alert", "open")]


def test_without_consent_choosing_nothing_reaches_hr(world, session, now):
    support = world.client.post(ASSESSMENTS, json={"instrument": "phq4", "answers": PHQ4_Q2},
                                headers=world.as_("agent")).json["support"]
    assert support["choices"][0]["arranged"] is False
    assert session.scalars(select(CounselingCase)).all() == []


def test_without_any_confidential_line_there_is_no_confidential_choice(world, now):
    response = world.client.patch("/api/v1/org", json={"timezone": "UTC", "help_lines": [DESK]},
                                  headers=world.as_("admin"))
    assert response.status_code == 200
    support = world.client.post(ASSESSMENTS, json={"instrument": "phq4", "answers": PHQ4_Q2},
                                headers=world.as_("agent")).json["support"]
    assert [r["id"] for r in support["resources"]] == ["org_1", "self_referral"]
    assert [c["id"] for c in support["choices"]] == ["hr_contact", "none"]
