"""Who may touch counseling at all, and the access log of every HR read the agent can see."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import now_utc
from tests.counseling.helpers import API, hr_patch_appointment, iso, proposed, self_refer, set_consents
from tests.helpers import assert_problem
from wellbeing.models import AccessLogEntry

HR_ONLY_READS = {"read_case", "list_cases", "open_case", "update_case", "propose_appointment", "update_appointment"}


def _counseling_calls(app, case_id: str, appointment_id: str) -> list[tuple[str, str]]:
    """Every counseling route of the app (found in the URL map, so a new one is covered too), with real ids."""
    calls = []
    for rule in app.url_map.iter_rules():
        if "/counseling" not in rule.rule:
            continue
        url = rule.rule.replace("<case_id>", case_id).replace("<appointment_id>", appointment_id)
        calls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return calls


def _call(world, key, method, url):
    body = {"starts_at": iso(now_utc() + timedelta(days=4)), "duration_minutes": 30, "mode": "phone"} \
        if method == "POST" and url.endswith("/appointments") else {}
    return world.client.open(url, method=method, json=body if method != "GET" else None, headers=world.as_(key))


def test_supervisors_and_admins_get_403_on_every_counseling_endpoint(app, world):
    case = self_refer(world, reason="only for HR")
    appointment = proposed(world, case["id"], now_utc().replace(microsecond=0) + timedelta(days=2))
    calls = _counseling_calls(app, case["id"], appointment["id"])
    assert len(calls) >= 13
    for key in ("supervisor", "admin", "other_admin"):
        for method, url in calls:
            response = _call(world, key, method, url)
            body = assert_problem(response, 403)
            assert "only for HR" not in response.get_data(as_text=True) and case["id"] not in body.get("detail", "")


def test_agents_get_403_on_hr_endpoints_and_hr_on_the_agents_own(app, world):
    case = self_refer(world)
    appointment = proposed(world, case["id"], now_utc().replace(microsecond=0) + timedelta(days=2))
    for method, url in _counseling_calls(app, case["id"], appointment["id"]):
        if url.startswith(f"{API}/counseling"):
            assert_problem(_call(world, "agent", method, url), 403)
        elif not url.endswith("/notifications"):
            assert_problem(_call(world, "hr", method, url), 403)


def test_every_hr_access_is_in_the_agents_access_log(world, session):
    case = self_refer(world, reason="please call me")
    hr = world.as_("hr")
    world.client.get(f"{API}/counseling/cases", headers=hr)
    world.client.get(f"{API}/counseling/cases/{case['id']}?purpose=preparing%20the%20first%20session", headers=hr)
    world.client.patch(f"{API}/counseling/cases/{case['id']}", json={"hr_notes": "call on Monday"}, headers=hr)
    appointment = proposed(world, case["id"], now_utc().replace(microsecond=0) + timedelta(days=2))
    hr_patch_appointment(world, appointment["id"], mode="phone")
    log = world.client.get(f"{API}/me/access-log", headers=world.as_("agent")).json
    assert [e["action"] for e in log["items"]] == [
        "update_appointment", "propose_appointment", "update_case", "read_case", "list_cases"]
    assert all(e["actor"] == {"id": world.ids["hr"], "name": "Hr", "role": "hr"} for e in log["items"])
    assert [e["purpose"] for e in log["items"]][2:] == [
        "counseling_follow_up", "preparing the first session", "counseling_follow_up"]
    read = log["items"][3]
    assert (read["resource_type"], read["resource_id"]) == ("counseling_case", case["id"])
    assert read["disclosed"] == ["case", "history", "appointments", "reason"]
    assert log["items"][0]["resource_id"] == appointment["id"]
    assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == 5


def test_a_list_logs_one_read_per_listed_agent(world):
    set_consents(world, "agent2", hr_followup=True)
    self_refer(world, "agent")
    self_refer(world, "agent2")
    world.client.get(f"{API}/counseling/cases", headers=world.as_("hr"))
    for key in ("agent", "agent2"):
        entries = world.client.get(f"{API}/me/access-log", headers=world.as_(key)).json["items"]
        assert [(e["action"], e["disclosed"]) for e in entries] == [("list_cases", ["case_summary"])]
    assert world.client.get(f"{API}/me/access-log", headers=world.as_("agent_b")).json["items"] == []


def test_refused_reads_and_the_agents_own_reads_are_not_logged(world, session):
    set_consents(world, "agent2", hr_followup=True)
    hidden = world.client.post(f"{API}/counseling/cases", json={"user_id": world.ids["agent2"]},
                               headers=world.as_("hr")).json
    set_consents(world, "agent2", hr_followup=False)
    before = session.scalar(select(func.count()).select_from(AccessLogEntry))
    assert_problem(world.client.get(f"{API}/counseling/cases/{hidden['id']}", headers=world.as_("hr")), 404)
    world.client.get(f"{API}/me/counseling", headers=world.as_("agent2"))
    world.client.get(f"{API}/counseling/cases", headers=world.as_("hr"))
    assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == before == 1


def test_the_access_log_is_only_its_subjects(world):
    case = self_refer(world)
    world.client.get(f"{API}/counseling/cases/{case['id']}", headers=world.as_("hr"))
    for key in ("hr", "agent2", "supervisor", "admin"):
        assert world.client.get(f"{API}/me/access-log", headers=world.as_(key)).json["items"] == []


def test_the_access_log_pages_newest_first(world):
    case = self_refer(world)
    for _ in range(3):
        world.client.get(f"{API}/counseling/cases/{case['id']}", headers=world.as_("hr"))
    first = world.client.get(f"{API}/me/access-log?limit=2", headers=world.as_("agent")).json
    rest = world.client.get(f"{API}/me/access-log?limit=2&cursor={first['next_cursor']}", headers=world.as_("agent")).json
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert first["items"][0]["at"] >= first["items"][1]["at"] >= rest["items"][0]["at"]


def test_the_purpose_is_bounded(world):
    case = self_refer(world)
    for purpose in ("", "x" * 201, "a\x00b", "line\nbreak"):
        response = world.client.get(f"{API}/counseling/cases/{case['id']}", query_string={"purpose": purpose},
                                    headers=world.as_("hr"))
        assert_problem(response, 422)
