"""Amazon Connect events through an EventBridge API destination: mapped onto call starts and ends, tough calls
from Contact Lens rules, duplicates, out-of-order deliveries, unknown agents and malformed bodies."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from tests.contact_centre.helpers import API, CALL_END, CALL_START, amazon_event, api_key, link_agent
from wellbeing.models import CallEvent, PlatformContact, PlatformEvent, Prompt, PromptSettings, User

URL = f"{API}/integrations/amazon-connect/events"


def _post(world, key, event, at=None):
    with time_machine.travel(at or CALL_END + timedelta(seconds=5), tick=False):
        return world.client.post(URL, json=event, headers=key)


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _tough_prompts(session, user_id):
    return session.scalars(select(Prompt).where(Prompt.user_id == user_id, Prompt.source == "tough_calls")).all()


def _rules(world, **kinds):
    response = world.client.put(f"{API}/org/contact-centre/rules", json={"amazon_connect": kinds},
                                headers=world.as_("admin"))
    assert response.status_code == 200, response.json
    return response.json


def test_external_ids_are_set_by_the_admin_shown_and_unique_in_the_organization(app, world, session):
    link_agent(world)
    shown = world.client.get(f"{API}/users/{world.ids['agent']}", headers=world.as_("admin")).json
    assert shown["external_ids"] == {"amazon_connect": "4a5b6c7d-8e9f-4a0b-b1c2-d3e4f5a6b7c8"}
    taken = world.client.patch(f"{API}/users/{world.ids['agent2']}", headers=world.as_("admin"),
                               json={"external_ids": {"amazon_connect": "4a5b6c7d-8e9f-4a0b-b1c2-d3e4f5a6b7c8"}})
    assert taken.status_code == 409 and taken.json["code"] == "external_id_taken"
    assert session.get(User, world.ids["agent2"]).external_ids is None
    bad = world.client.patch(f"{API}/users/{world.ids['agent2']}", headers=world.as_("admin"),
                             json={"external_ids": {"Amazon Connect!": "x"}})
    assert bad.status_code == 422
    cleared = world.client.patch(f"{API}/users/{world.ids['agent']}", headers=world.as_("admin"),
                                 json={"external_ids": None})
    assert cleared.status_code == 200 and cleared.json["external_ids"] is None
    # Only the admin sets them
    assert world.client.patch(f"{API}/users/{world.ids['agent']}", headers=world.as_("supervisor"),
                              json={"external_ids": {"genesys": "x"}}).status_code == 403


def test_a_call_starts_and_ends_and_a_redelivery_changes_nothing(app, world, session):
    link_agent(world)
    key = api_key(world)
    started = _post(world, key, amazon_event("connected_to_agent"), CALL_START + timedelta(seconds=1))
    assert started.status_code == 202 and started.json == {"status": "started", "detail": None}
    settings = session.get(PromptSettings, world.ids["agent"])
    assert settings.in_call_until == CALL_START + timedelta(hours=2)  # prompts wait while the call is live
    again = _post(world, key, amazon_event("connected_to_agent"), CALL_START + timedelta(seconds=2))
    assert again.status_code == 202 and again.json["status"] == "duplicate"
    ended = _post(world, key, amazon_event("disconnected"))
    assert ended.status_code == 202 and ended.json["status"] == "ended"
    session.expire_all()
    assert session.get(PromptSettings, world.ids["agent"]).in_call_until is None
    [end] = session.scalars(select(CallEvent).where(CallEvent.kind == "ended")).all()
    assert end.user_id == world.ids["agent"] and end.at == CALL_END and end.duration_seconds == 367
    assert not end.complaint and not end.abusive
    assert _post(world, key, amazon_event("disconnected")).json["status"] == "duplicate"
    # A second DISCONNECTED of the same contact under another event id is not a second call
    second = _post(world, key, amazon_event("disconnected", event_id="11111111-2222-4333-8444-555555555555"))
    assert second.json == {"status": "ignored", "detail": "already_ended"}
    assert _count(session, CallEvent, CallEvent.kind == "ended") == 1
    assert _count(session, PlatformEvent) == 3  # each event id once


def test_a_start_delivered_after_its_end_does_not_hold_prompts(app, world, session):
    link_agent(world)
    key = api_key(world)
    assert _post(world, key, amazon_event("disconnected")).json["status"] == "ended"
    late = _post(world, key, amazon_event("connected_to_agent"), CALL_END + timedelta(seconds=20))
    assert late.status_code == 202 and late.json == {"status": "ignored", "detail": "after_end"}
    assert session.get(PromptSettings, world.ids["agent"]).in_call_until is None
    contact = session.scalars(select(PlatformContact)).one()
    assert contact.started_at is None and contact.ended_at == CALL_END


def test_unknown_agents_and_other_events_are_accepted_and_ignored(app, world, session):
    key = api_key(world)
    unknown = _post(world, key, amazon_event("connected_to_agent"))  # nobody carries this agent's id
    assert unknown.status_code == 202 and unknown.json == {"status": "ignored", "detail": "unknown_agent"}
    link_agent(world)
    queued = _post(world, key, amazon_event("queued"))
    assert queued.status_code == 202 and queued.json == {"status": "ignored", "detail": "event_type"}
    other = amazon_event("queued", event_id="9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b")
    other["detail-type"] = "Contact Lens Analysis State Change"
    assert _post(world, key, other).json == {"status": "ignored", "detail": "detail_type"}
    # Another organization's key does not reach this organization's agents
    other_key = api_key(world, "other_admin")
    assert _post(world, other_key, amazon_event("disconnected")).json == {"status": "ignored",
                                                                          "detail": "unknown_agent"}
    assert _count(session, CallEvent) == 0 and _count(session, PlatformContact) == 0


def test_malformed_events_are_400_problems_and_keys_are_required(app, world, session):
    key = api_key(world)
    for body in ({"id": "x", "detail-type": "Amazon Connect Contact Event", "time": "2030-03-04T02:00:00Z"},
                 {"id": "x", "detail-type": "Amazon Connect Contact Event", "time": "yesterday", "detail": {}},
                 {"detail-type": "Amazon Connect Contact Event", "time": "2030-03-04T02:00:00Z", "detail": {}},
                 {"id": "x\u0000y", "detail-type": "x", "time": "2030-03-04T02:00:00Z", "detail": {}},
                 [1, 2, 3]):
        response = world.client.post(URL, json=body, headers=key)
        assert response.status_code == 400, (body, response.json)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json["errors"]["json"]
    broken = amazon_event("disconnected")
    del broken["detail"]["contactId"]
    response = world.client.post(URL, json=broken, headers=key)
    assert response.status_code == 400 and "detail.contactId" in response.json["errors"]["json"]
    not_json = world.client.post(URL, data="{not json", headers={**key, "Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert world.client.post(URL, json=amazon_event("queued")).status_code == 401
    assert world.client.post(URL, json=amazon_event("queued"), headers=world.as_("admin")).status_code == 401
    assert _count(session, PlatformEvent) == 0


def test_contact_lens_rules_mark_tough_calls_and_a_run_plans_the_breathing_prompt(app, world, session):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    link_agent(world)
    key = api_key(world)
    mapping = _rules(world, complaint=["Customer sentiment negative"], abusive=["ABUSIVE LANGUAGE"])
    assert mapping["amazon_connect"] == {"complaint": ["customer sentiment negative"], "abusive": ["abusive language"]}
    # First call: a real-time rule during the call, then the end (one tough call is not yet a run)
    assert _post(world, key, amazon_event("connected_to_agent"), CALL_START).json["status"] == "started"
    rule = _post(world, key, amazon_event("realtime_rule_matched"), CALL_START + timedelta(minutes=3))
    assert rule.json == {"status": "rule", "detail": "abusive"}
    assert _post(world, key, amazon_event("disconnected")).json["status"] == "ended"
    assert session.scalars(select(CallEvent).where(CallEvent.kind == "ended")).one().abusive
    assert _tough_prompts(session, world.ids["agent"]) == []
    # Second call, eight minutes later; its post-call rule arrives after the end and completes the run
    later = timedelta(minutes=8)
    second = {"contact": "c0ffee00-0000-4000-8000-000000000002", "shift": later}
    for name, suffix in (("connected_to_agent", "1"), ("disconnected", "2")):
        event = amazon_event(name, event_id=f"aaaaaaaa-0000-4000-8000-00000000000{suffix}", **second)
        at = (CALL_START if name == "connected_to_agent" else CALL_END) + later + timedelta(seconds=2)
        assert _post(world, key, event, at).status_code == 202
    assert _tough_prompts(session, world.ids["agent"]) == []
    unmapped = amazon_event("post_call_rule_matched", event_id="bbbbbbbb-0000-4000-8000-000000000001", **second)
    unmapped["detail"]["ruleName"] = "Long hold time"
    unmapped["detail"]["actionName"] = "long-hold"
    assert _post(world, key, unmapped, CALL_END + later + timedelta(minutes=1)).json == {
        "status": "ignored", "detail": "unmapped_rule"}
    post_call = amazon_event("post_call_rule_matched", event_id="bbbbbbbb-0000-4000-8000-000000000002", **second)
    at = CALL_END + later + timedelta(minutes=2)
    assert _post(world, key, post_call, at).json == {"status": "rule", "detail": "complaint"}
    [prompt] = _tough_prompts(session, world.ids["agent"])
    assert prompt.kind == "breathing" and prompt.exercise_id == "cyclic_sighing" and prompt.due_at == at
    # The same rule delivered again changes nothing
    assert _post(world, key, post_call, at + timedelta(seconds=30)).json["status"] == "duplicate"
    assert len(_tough_prompts(session, world.ids["agent"])) == 1


def test_the_rule_mapping_is_the_admins(app, world, session):
    for role in ("supervisor", "hr", "agent"):
        assert world.client.get(f"{API}/org/contact-centre/rules", headers=world.as_(role)).status_code == 403
    empty = world.client.get(f"{API}/org/contact-centre/rules", headers=world.as_("admin")).json
    assert empty == {"amazon_connect": {"complaint": [], "abusive": []}, "genesys": {"complaint": [], "abusive": []}}
    bad = world.client.put(f"{API}/org/contact-centre/rules", json={"zendesk": {}}, headers=world.as_("admin"))
    assert bad.status_code == 422
    _rules(world, complaint=["A"], abusive=["a"])  # listed under both: abusive wins
    assert world.client.get(f"{API}/org/contact-centre/rules", headers=world.as_("admin")).json["amazon_connect"] == {
        "complaint": [], "abusive": ["a"]}
    other = world.client.get(f"{API}/org/contact-centre/rules", headers=world.as_("other_admin")).json
    assert other["amazon_connect"] == {"complaint": [], "abusive": []}


def test_racing_deliveries_apply_each_event_once(app, world, session):
    from concurrent.futures import ThreadPoolExecutor

    link_agent(world)
    key = api_key(world)
    events = [amazon_event("disconnected")] * 6 + [amazon_event("connected_to_agent")] * 2

    def post(event):
        with app.test_client() as client:
            return client.post(URL, json=event, headers=key).json["status"]

    with time_machine.travel(CALL_END + timedelta(seconds=5), tick=False):
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(post, events))
    assert outcomes.count("ended") == 1 and outcomes.count("duplicate") == 6
    assert sum(o in ("started", "ignored") for o in outcomes) == 1
    assert _count(session, PlatformContact) == 1 and _count(session, CallEvent, CallEvent.kind == "ended") == 1
    assert _count(session, PlatformEvent) == 2
