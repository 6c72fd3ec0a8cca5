"""Genesys Cloud conversation events (EventBridge integration and Process Automation shapes) onto call starts and
ends; wrap-up codes mapped by the organization mark tough calls."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import select

from tests.contact_centre.helpers import API, FIXTURES, api_key, link_agent
from wellbeing.models import CallEvent, Prompt, PromptSettings

URL = f"{API}/integrations/genesys/events"
GENESYS_USER = "7f8a9b0c-1d2e-4f3a-8b4c-5d6e7f8a9b0c"
CONVERSATION = "8d9e0f1a-2b3c-4d5e-9f6a-7b8c9d0e1f2a"
WRAPUP = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
END = datetime(2030, 3, 4, 2, 6, 11, 877000, tzinfo=timezone.utc)


def _event(name, conversation=CONVERSATION, shift_ms=0, suffix=""):
    text = (FIXTURES / "genesys" / f"{name}.json").read_text().replace(CONVERSATION, conversation)
    event = json.loads(text)
    body = (event.get("detail") or event)["eventBody"]
    body["eventDateTime"] += shift_ms
    body["eventId"] = body["eventId"][:-len(suffix)] + suffix if suffix else body["eventId"]
    return event


def _post(world, key, event, at):
    with time_machine.travel(at, tick=False):
        return world.client.post(URL, json=event, headers=key)


def test_genesys_calls_start_end_and_a_mapped_wrapup_code_completes_a_tough_run(app, world, session):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    link_agent(world, platform="genesys", platform_id=GENESYS_USER)
    key = api_key(world)
    assert world.client.put(f"{API}/org/contact-centre/rules", headers=world.as_("admin"),
                            json={"genesys": {"complaint": [WRAPUP.upper()]}}).status_code == 200
    assert _post(world, key, _event("user_start"), END - timedelta(minutes=6)).json == {"status": "started",
                                                                                        "detail": None}
    assert session.get(PromptSettings, world.ids["agent"]).in_call_until is not None
    assert _post(world, key, _event("user_end"), END).json == {"status": "ended", "detail": None}
    # The same end through the other delivery path (no EventBridge envelope) is the same event
    assert _post(world, key, _event("user_end")["detail"], END).json["status"] == "duplicate"
    acw = _post(world, key, _event("acw"), END + timedelta(seconds=30))
    assert acw.json == {"status": "rule", "detail": "complaint"}
    assert session.scalars(select(CallEvent).where(CallEvent.kind == "ended")).one().complaint
    # A second conversation eight minutes later, wrapped up with the same code: a run of two
    later, ms = "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", 8 * 60_000
    for name, minute in (("user_start", -6), ("user_end", 0), ("acw", 0.5)):
        at = END + timedelta(minutes=8 + minute)
        assert _post(world, key, _event(name, later, ms, "0"), at).status_code == 202
    [prompt] = session.scalars(select(Prompt).where(Prompt.source == "tough_calls")).all()
    assert prompt.user_id == world.ids["agent"] and prompt.exercise_id == "cyclic_sighing"


def test_genesys_unknown_agents_topics_and_malformed_bodies(app, world, session):
    key = api_key(world)
    assert _post(world, key, _event("user_start"), END).json == {"status": "ignored", "detail": "unknown_agent"}
    other = _event("user_end")
    other["detail"]["topicName"] = "v2.users.7f8a9b0c-1d2e-4f3a-8b4c-5d6e7f8a9b0c.activity"
    assert _post(world, key, other, END).json == {"status": "ignored", "detail": "topic"}
    for body, field in (({"topicName": "x"}, "eventBody"), ({"eventBody": {}}, "topicName"),
                        ({"topicName": "v2.detail.events.conversation.c.user.end", "eventBody": {"eventId": "e"}},
                         "eventBody.conversationId")):
        response = _post(world, key, body, END)
        assert response.status_code == 400 and field in response.json["errors"]["json"], response.json
    bad_time = _event("user_end")
    bad_time["detail"]["eventBody"]["eventDateTime"] = "yesterday"
    assert _post(world, key, bad_time, END).status_code == 400
    assert world.client.post(URL, json=_event("user_end")).status_code == 401
    assert session.scalars(select(CallEvent)).all() == []
