"""Counseling cases: every way one opens, with and without consent, and what HR may see of it."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import now_utc
from tests.counseling.helpers import API, hr_open, iso, proposed, self_refer, set_consents
from tests.helpers import assert_problem
from wellbeing.counseling.cases import open_case_from_alert
from wellbeing.core.crypto import parse_data_keys
from wellbeing.models import CounselingCase, User

HR_CASE_KEYS = {"id", "user", "status", "opened_by", "opened_at", "closed_at", "closed_reason", "reason_category",
                "reason", "preferred_times", "risk_level_at_opening", "next_follow_up_on", "appointments", "history",
                "hr_notes"}


def _hr_case(world, case_id, hr_key="hr"):
    return world.client.get(f"{API}/counseling/cases/{case_id}", headers=world.as_(hr_key))


def _hr_list(world, query="", hr_key="hr"):
    return world.client.get(f"{API}/counseling/cases{query}", headers=world.as_(hr_key)).json


def _alert_case(app, world, key="agent", risk="high"):
    from wellbeing.core.db import db

    with app.app_context():
        case = open_case_from_alert(db.session, db.session.get(User, world.ids[key]), "questionnaire_alert", risk,
                                    now_utc())
        db.session.commit()
        return case.id if case else None


def test_self_referral_opens_a_case_hr_sees_without_any_consent(world):
    window = {"starts_at": "2030-03-04T01:00:00Z", "ends_at": "2030-03-04T03:00:00Z"}
    case = self_refer(world, reason_category="difficult_customers", reason="三个投诉电话之后我很难受",
                      preferred_times=[window])
    assert case["opened_by"] == "agent" and case["status"] == "open" and case["visible_to_hr"] is True
    assert case["reason"] == "三个投诉电话之后我很难受" and case["preferred_times"] == [window]
    assert [e["kind"] for e in case["history"]] == ["opened"] and "hr_notes" not in case
    listed = _hr_list(world)["items"]
    assert [(c["id"], c["user"]["name"], c["opened_by"]) for c in listed] == [(case["id"], "Agent", "agent")]
    detail = _hr_case(world, case["id"]).json
    assert set(detail) == HR_CASE_KEYS
    assert detail["reason"] == "三个投诉电话之后我很难受" and detail["risk_level_at_opening"] is None


def test_the_agents_reason_is_encrypted_at_rest_bound_to_its_row(world, app, session):
    case = self_refer(world, reason="I cannot sleep after the abusive calls")
    stored = session.get(CounselingCase, case["id"]).reason_ciphertext
    assert stored.startswith("v1.test1.") and "sleep" not in stored
    ring = parse_data_keys(app.config["DATA_KEYS"])
    assert ring.decrypt(stored, f"counseling_case:{case['id']}".encode()) == "I cannot sleep after the abusive calls"


def test_self_referral_replays_on_the_same_id_and_conflicts_on_another_body(world, session):
    body = {"id": str(uuid.uuid4()), "reason_category": "workload"}
    first = world.client.post(f"{API}/me/counseling", json=body, headers=world.as_("agent"))
    again = world.client.post(f"{API}/me/counseling", json=body, headers=world.as_("agent"))
    assert (first.status_code, again.status_code) == (201, 200) and again.json["id"] == first.json["id"] == body["id"]
    assert_problem(world.client.post(f"{API}/me/counseling", json={**body, "reason_category": "other"},
                                     headers=world.as_("agent")), 409)
    assert_problem(world.client.post(f"{API}/me/counseling", json=body, headers=world.as_("agent2")), 409)
    assert session.scalar(select(func.count()).select_from(CounselingCase)) == 1


def test_self_referral_input_is_validated(world):
    bad = [{"reason_category": "astrology"}, {"reason": ""}, {"reason": "x" * 2001},
           {"preferred_times": [{"starts_at": "2030-03-04T03:00:00Z", "ends_at": "2030-03-04T01:00:00Z"}]},
           {"preferred_times": [{"starts_at": "2030-03-04T01:00:00", "ends_at": "2030-03-04T03:00:00Z"}]},
           {"preferred_times": [{"starts_at": "2030-03-01T00:00:00Z", "ends_at": "2030-03-09T00:00:00Z"}]},
           {"preferred_times": [{"starts_at": "2030-03-04T01:00:00Z", "ends_at": "2030-03-04T02:00:00Z"}] * 11},
           {"preferred_times": [{"starts_at": "0001-01-01T00:00:00+01:00", "ends_at": "0001-01-01T01:00:00+01:00"}]},
           {"reason": "unpaired \ud800 surrogate"},
           {"risk_level_at_opening": "low"}]
    for body in bad:
        assert_problem(world.client.post(f"{API}/me/counseling", json=body, headers=world.as_("agent")), 422)


def test_hr_opens_a_case_for_a_consenting_agent(world):
    set_consents(world, "agent", hr_followup=True)
    case = hr_open(world, reason_category="workload")
    assert case["opened_by"] == "hr" and case["user"]["id"] == world.ids["agent"]
    mine = world.client.get(f"{API}/me/counseling", headers=world.as_("agent")).json["items"]
    assert [(c["id"], c["opened_by"], c["visible_to_hr"]) for c in mine] == [(case["id"], "hr", True)]


def test_hr_cannot_open_a_case_without_consent(world, session):
    for consents in (None, False):
        if consents is not None:
            set_consents(world, "agent", hr_followup=consents)
        response = world.client.post(f"{API}/counseling/cases", json={"user_id": world.ids["agent"]},
                                     headers=world.as_("hr"))
        body = assert_problem(response, 422)
        assert body["code"] == "no_consent" and "user_id" in body["errors"]["json"]
    assert session.scalar(select(func.count()).select_from(CounselingCase)) == 0


def test_hr_cannot_open_a_case_for_a_non_agent_or_another_organizations_agent(world):
    set_consents(world, "other_agent", hr_followup=True)
    for target in (world.ids["other_agent"], world.ids["supervisor"], world.ids["hr"], "no-such-user"):
        response = world.client.post(f"{API}/counseling/cases", json={"user_id": target}, headers=world.as_("hr"))
        assert_problem(response, 404)


def test_an_alert_opens_a_case_only_with_consent_and_only_one_at_a_time(app, world, session):
    assert _alert_case(app, world) is None
    set_consents(world, "agent", hr_followup=True)
    first = _alert_case(app, world)
    assert first is not None and _alert_case(app, world, risk="very_high") == first
    case = session.get(CounselingCase, first)
    assert (case.opened_by, case.reason_category, case.risk_level_at_opening) == ("alert", "questionnaire_alert", "high")
    assert world.client.patch(f"{API}/counseling/cases/{first}", json={"status": "closed"},
                              headers=world.as_("hr")).status_code == 200
    second = _alert_case(app, world)
    assert second not in (None, first)


def test_a_racing_alert_falls_back_to_the_case_that_won(app, world, session, monkeypatch):
    from wellbeing.counseling import cases

    set_consents(world, "agent", hr_followup=True)
    winner = _alert_case(app, world)
    real_lookup = cases._open_alert_case
    calls = []

    def lookup_that_misses_once(session, user_id):
        calls.append(user_id)
        return None if len(calls) == 1 else real_lookup(session, user_id)

    monkeypatch.setattr(cases, "_open_alert_case", lookup_that_misses_once)
    assert _alert_case(app, world) == winner and len(calls) == 2
    assert session.scalar(select(func.count()).select_from(CounselingCase)) == 1


def test_hr_sees_the_risk_at_opening_of_an_alert_case_while_the_agent_consents(app, world):
    set_consents(world, "agent", hr_followup=True)
    case_id = _alert_case(app, world, risk="very_high")
    detail = _hr_case(world, case_id).json
    assert detail["opened_by"] == "alert" and detail["risk_level_at_opening"] == "very_high"
    log = world.client.get(f"{API}/me/access-log", headers=world.as_("agent")).json["items"]
    assert "risk_at_opening" in log[0]["disclosed"]


def test_withdrawing_consent_hides_consent_cases_from_hr_and_closes_them(app, world):
    set_consents(world, "agent", hr_followup=True)
    hr_case = hr_open(world)
    alert_case = _alert_case(app, world)
    own = self_refer(world, reason_category="other")
    appointment = proposed(world, hr_case["id"], now_utc().replace(microsecond=0) + timedelta(days=3))
    set_consents(world, "agent", hr_followup=False)
    assert {c["id"] for c in _hr_list(world)["items"]} == {own["id"]}
    for case_id in (hr_case["id"], alert_case):
        assert_problem(_hr_case(world, case_id), 404)
    assert_problem(world.client.patch(f"{API}/counseling/cases/{hr_case['id']}", json={"hr_notes": "x"},
                                      headers=world.as_("hr")), 404)
    mine = {c["id"]: c for c in world.client.get(f"{API}/me/counseling", headers=world.as_("agent")).json["items"]}
    assert (mine[hr_case["id"]]["status"], mine[hr_case["id"]]["closed_reason"]) == ("closed", "consent_withdrawn")
    assert mine[hr_case["id"]]["visible_to_hr"] is False and mine[own["id"]]["status"] == "open"
    assert mine[hr_case["id"]]["appointments"][0]["id"] == appointment["id"]
    assert mine[hr_case["id"]]["appointments"][0]["state"] == "cancelled"


def test_hr_never_sees_a_non_consenting_agents_case_in_any_body(app, world):
    set_consents(world, "agent2", hr_followup=True)
    hidden = hr_open(world, agent_key="agent2")
    set_consents(world, "agent2", hr_followup=False)
    visible = self_refer(world, reason="visible words")
    listing = world.client.get(f"{API}/counseling/cases", headers=world.as_("hr"))
    assert hidden["id"] not in listing.get_data(as_text=True) and world.ids["agent2"] not in listing.get_data(as_text=True)
    assert [c["id"] for c in listing.json["items"]] == [visible["id"]]
    filtered = world.client.get(f"{API}/counseling/cases?user_id={world.ids['agent2']}", headers=world.as_("hr"))
    assert filtered.json == {"items": [], "next_cursor": None}


def test_hr_notes_are_encrypted_and_never_shown_to_the_agent(app, world, session):
    case = self_refer(world)
    secret = "Seemed exhausted; discuss shift pattern with them"
    updated = world.client.patch(f"{API}/counseling/cases/{case['id']}", json={"hr_notes": secret},
                                 headers=world.as_("hr")).json
    assert updated["hr_notes"] == secret and _hr_case(world, case["id"]).json["hr_notes"] == secret
    stored = session.get(CounselingCase, case["id"]).hr_notes_ciphertext
    assert secret not in stored and parse_data_keys(app.config["DATA_KEYS"]).decrypt(
        stored, f"counseling_case_notes:{case['id']}".encode()) == secret
    for url in ("/me/counseling", f"/me/counseling/{case['id']}", "/me/export"):
        text = world.client.get(API + url, headers=world.as_("agent")).get_data(as_text=True)
        assert secret not in text and "hr_notes" not in text and "exhausted" not in text
    cleared = world.client.patch(f"{API}/counseling/cases/{case['id']}", json={"hr_notes": None}, headers=world.as_("hr"))
    assert cleared.json["hr_notes"] is None


def test_hr_closes_a_case_once_and_only_without_live_appointments(world):
    case = self_refer(world)
    appointment = proposed(world, case["id"], now_utc().replace(microsecond=0) + timedelta(days=2))
    close = {"status": "closed"}
    body = assert_problem(world.client.patch(f"{API}/counseling/cases/{case['id']}", json=close, headers=world.as_("hr")), 409)
    assert body["code"] == "appointments_open"
    world.client.patch(f"{API}/counseling/appointments/{appointment['id']}", json={"state": "cancelled"},
                       headers=world.as_("hr"))
    closed = world.client.patch(f"{API}/counseling/cases/{case['id']}", json=close, headers=world.as_("hr")).json
    assert closed["status"] == "closed" and closed["closed_reason"] == "closed_by_hr"
    assert [e["kind"] for e in closed["history"]][-1] == "closed"
    assert_problem(world.client.patch(f"{API}/counseling/cases/{case['id']}", json=close, headers=world.as_("hr")), 409)
    assert_problem(world.client.patch(f"{API}/counseling/cases/{case['id']}", json={"next_follow_up_on": "2031-01-01"},
                                      headers=world.as_("hr")), 409)
    assert_problem(world.client.post(f"{API}/counseling/cases/{case['id']}/appointments", headers=world.as_("hr"),
                                     json={"starts_at": iso(now_utc() + timedelta(days=3)), "duration_minutes": 30,
                                           "mode": "phone"}), 409)


def test_case_patch_is_validated(world):
    case = self_refer(world)
    for body in ({}, {"status": "open"}, {"next_follow_up_on": "2020-01-01"}, {"next_follow_up_on": "tomorrow"},
                 {"next_follow_up_on": "9999-12-31"}, {"hr_notes": "\ud800"},
                 {"hr_notes": "x" * 5001}, {"user_id": world.ids["agent2"]}):
        response = world.client.patch(f"{API}/counseling/cases/{case['id']}", json=body, headers=world.as_("hr"))
        assert_problem(response, 422)


def test_hr_list_filters_by_status_and_pages_newest_first(world):
    ids = [self_refer(world, key)["id"] for key in ("agent", "agent2", "agent_b")]
    world.client.patch(f"{API}/counseling/cases/{ids[0]}", json={"status": "closed"}, headers=world.as_("hr"))
    assert [c["id"] for c in _hr_list(world, "?status=open")["items"]] == [ids[2], ids[1]]
    assert [c["id"] for c in _hr_list(world, "?status=closed")["items"]] == [ids[0]]
    first = _hr_list(world, "?limit=2")
    rest = _hr_list(world, f"?limit=2&cursor={first['next_cursor']}")
    assert [c["id"] for c in first["items"] + rest["items"]] == ids[::-1] and rest["next_cursor"] is None
    for query in ("?status=new", "?limit=0", "?limit=501", "?cursor=garbage", "?purpose=", "?sort=name"):
        assert_problem(world.client.get(f"{API}/counseling/cases{query}", headers=world.as_("hr")), 422)


def test_hr_of_another_organization_sees_nothing(world):
    world.add_person("other_hr", "hr", email="hr@b.test", admin="other_admin")
    case = self_refer(world)
    appointment = proposed(world, case["id"], now_utc().replace(microsecond=0) + timedelta(days=2))
    assert _hr_list(world, hr_key="other_hr")["items"] == []
    assert_problem(_hr_case(world, case["id"], hr_key="other_hr"), 404)
    assert_problem(world.client.patch(f"{API}/counseling/cases/{case['id']}", json={"status": "closed"},
                                      headers=world.as_("other_hr")), 404)
    assert_problem(world.client.post(f"{API}/counseling/cases/{case['id']}/appointments", headers=world.as_("other_hr"),
                                     json={"starts_at": iso(now_utc() + timedelta(days=5)), "duration_minutes": 30,
                                           "mode": "phone"}), 404)
    assert_problem(world.client.patch(f"{API}/counseling/appointments/{appointment['id']}", json={"state": "cancelled"},
                                      headers=world.as_("other_hr")), 404)
    assert_problem(world.client.post(f"{API}/counseling/cases", json={"user_id": world.ids["agent"]},
                                     headers=world.as_("other_hr")), 404)


def test_another_agents_case_and_appointments_are_404(world):
    case = self_refer(world)
    appointment = proposed(world, case["id"], now_utc().replace(microsecond=0) + timedelta(days=2))
    assert_problem(world.client.get(f"{API}/me/counseling/{case['id']}", headers=world.as_("agent2")), 404)
    for action in ("accept", "decline", "reschedule-request"):
        response = world.client.post(f"{API}/me/counseling/appointments/{appointment['id']}/{action}",
                                     headers=world.as_("agent2"))
        assert_problem(response, 404)
    assert world.client.get(f"{API}/me/counseling", headers=world.as_("agent2")).json["items"] == []
    assert world.client.get(f"{API}/me/counseling/{case['id']}", headers=world.as_("agent")).json["id"] == case["id"]
