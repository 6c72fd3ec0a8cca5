"""Alert rules in the survey data: the agent gets a support block; nothing leaves their own record."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import now_utc
from wellbeing.core.db import db
from wellbeing.assessments.resources import national_lines
from wellbeing.models import Assessment

CN_SOURCES = {line.id: line.source for line in national_lines("CN")}

URL = "/api/v1/assessments"
HELP_LINES = [{"name": "EAP", "phone": "+86 400 000 0000", "hours": "24/7"}]
# What every organization in mainland China shows after its own lines (surveys/resources/CN.json)
NATIONAL_EN = [
    {"type": "help_line", "id": "cn_12356", "origin": "national", "name": "National mental health hotline 12356",
     "phone": "12356", "hours": "At least 18 hours a day", "confidential": True, "emergency": False,
     "source": CN_SOURCES["cn_12356"]},
    {"type": "help_line", "id": "cn_120", "origin": "national", "name": "Medical emergency (ambulance) 120",
     "phone": "120", "hours": "24 hours a day", "confidential": False, "emergency": True,
     "source": CN_SOURCES["cn_120"]},
    {"type": "help_line", "id": "cn_110", "origin": "national", "name": "Police, for immediate danger 110",
     "phone": "110", "hours": "24 hours a day", "confidential": False, "emergency": True,
     "source": CN_SOURCES["cn_110"]},
]
# PHQ-4 golden vector Q2: anxiety 2 + 1 = 3 (positive screen), depression 2: the anxiety rule fires
PHQ4_Q2 = {"1": 2, "2": 1, "3": 1, "4": 1}


@pytest.fixture
def now():
    moment = now_utc().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        yield moment


@pytest.fixture
def help_lines(world):
    response = world.client.patch("/api/v1/org", json={"help_lines": HELP_LINES}, headers=world.as_("admin"))
    assert response.status_code == 200


def row_counts(session) -> dict[str, int]:
    session.expire_all()
    return {table.name: session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


def test_positive_phq4_screen_returns_a_support_block_with_help_lines_and_self_referral(world, now, help_lines):
    response = world.client.post(URL, json={"instrument": "phq4", "answers": PHQ4_Q2}, headers=world.as_("agent"))
    assert response.status_code == 201
    body = response.json
    assert body["scores"] == {"anxiety": 3, "depression": 2, "total": 5}
    assert body["bands"] == {"anxiety": "positive", "depression": "negative", "total": "mild"}
    support = body["support"]
    assert (support["kind"], support["alerts"]) == ("signpost", ["anxiety_positive"])
    assert support["message"].startswith("Thank you for answering.")
    assert support["resources"] == [
        {"type": "help_line", "id": "org_1", "origin": "organization", "name": "EAP", "phone": "+86 400 000 0000",
         "hours": "24/7", "confidential": False, "emergency": False},
        *NATIONAL_EN,
        {"type": "self_referral", "id": "self_referral", "name": "Talk to a counselor",
         "description": "Refer yourself for a confidential counseling conversation; HR arranges it with you."},
    ]


def test_support_block_follows_the_language(world, now, help_lines):
    headers = world.as_("agent") | {"Accept-Language": "zh-CN"}
    support = world.client.post(URL, json={"instrument": "burnout1", "answers": {"1": 5}}, headers=headers).json["support"]
    assert support["alerts"] == ["completely_burned_out"]
    assert support["message"].startswith("感谢您的作答")
    assert support["resources"][-1]["name"] == "预约心理咨询"


def test_without_help_lines_the_national_lines_and_the_self_referral_offer_remain(world, now):
    support = world.client.post(URL, json={"instrument": "phq4", "answers": PHQ4_Q2}, headers=world.as_("agent")).json["support"]
    assert [resource["id"] for resource in support["resources"]] == ["cn_12356", "cn_120", "cn_110", "self_referral"]


def test_an_alert_adds_no_row_outside_the_agents_own_record(world, session, now, help_lines):
    headers = world.as_("agent")
    before = row_counts(session)
    response = world.client.post(URL, json={"instrument": "phq4", "answers": {"1": 3, "2": 3, "3": 2, "4": 1}},
                                 headers=headers)
    assert response.json["support"]["alerts"] == ["anxiety_positive", "depression_positive"]
    after = row_counts(session)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"assessments", "risk_snapshots"}
    assert after["assessments"] - before["assessments"] == 1


def test_the_stored_result_records_its_alerts_and_when_support_was_offered(world, session, now):
    created = world.client.post(URL, json={"instrument": "phq4", "answers": PHQ4_Q2}, headers=world.as_("agent")).json
    stored = session.get(Assessment, created["id"])
    assert stored.support_offered_at == now
    assert stored.alerts == [{"rule_id": "anxiety_positive", "kind": "signpost", "on": "scale", "target": "anxiety",
                              "value": 3.0, "op": ">=", "threshold": 3.0}]


def test_a_result_below_every_alert_rule_has_no_support_block(world, session, now):
    created = world.client.post(URL, json={"instrument": "burnout1", "answers": {"1": 4}}, headers=world.as_("agent"))
    assert "support" not in created.json and created.json["alerts"] == []
    assert session.get(Assessment, created.json["id"]).support_offered_at is None


def test_a_replay_carries_the_support_block_again_but_routes_nothing_again(world, session, now, help_lines):
    body = {"id": str(uuid.uuid4()), "instrument": "phq4", "answers": PHQ4_Q2}
    first = world.client.post(URL, json=body, headers=world.as_("agent"))
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        replay = world.client.post(URL, json=body, headers=world.as_("agent"))
    assert replay.status_code == 200 and replay.json["support"] == first.json["support"]
    session.expire_all()
    assert session.get(Assessment, body["id"]).support_offered_at == now


def test_route_alerts_is_the_single_routing_point(world, now, monkeypatch):
    from wellbeing import reactions
    routed = []
    monkeypatch.setattr(reactions, "route_alerts", lambda session, user, assessment, level, at: routed.append(
        (user.id, [a["rule_id"] for a in assessment.alerts], level, at)))
    world.client.post(URL, json={"instrument": "phq4", "answers": PHQ4_Q2}, headers=world.as_("agent"))
    quiet = world.client.post(URL, json={"instrument": "burnout1", "answers": {"1": 2}}, headers=world.as_("agent"))
    assert quiet.status_code == 201 and quiet.json["alerts"] == []
    assert routed == [(world.ids["agent"], ["anxiety_positive"], "insufficient_data", now)]


def _consent(world, key, hr_followup):
    response = world.client.put("/api/v1/me/consents", json={"team_aggregates": False, "hr_followup": hr_followup},
                                headers=world.as_(key))
    assert response.status_code == 200


def test_with_hr_followup_consent_an_alert_opens_one_hr_case_without_the_answers(world, now):
    _consent(world, "agent", True)
    world.client.post(URL, json={"instrument": "phq4", "answers": PHQ4_Q2}, headers=world.as_("agent"))
    second = world.client.post(URL, json={"instrument": "burnout1", "answers": {"1": 5}}, headers=world.as_("agent"))
    assert second.json["alerts"][0]["rule_id"] == "completely_burned_out"
    cases = world.client.get("/api/v1/counseling/cases", headers=world.as_("hr")).json["items"]
    assert len(cases) == 1
    case = cases[0]
    assert (case["opened_by"], case["reason_category"]) == ("alert", "questionnaire_alert")
    page = world.client.get(f"/api/v1/counseling/cases/{case['id']}", headers=world.as_("hr")).json
    assert page["risk_level_at_opening"] == "insufficient_data"
    text = str(page)
    assert "answers" not in text and "anxiety" not in text and "phq4" not in text


def test_without_hr_followup_consent_hr_sees_no_case(world, now):
    _consent(world, "agent", False)
    world.client.post(URL, json={"instrument": "phq4", "answers": PHQ4_Q2}, headers=world.as_("agent"))
    assert world.client.get("/api/v1/counseling/cases", headers=world.as_("hr")).json["items"] == []
