"""The agent's prompt endpoints: exercises, settings, the inbox, ledger transitions, devices."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.helpers import assert_problem
from tests.prompts.helpers import API, MONDAY, SECRET, add_prompt
from wellbeing.models import Device, Prompt, PromptSettings
from wellbeing.prompts.schedule import default_prompt_settings


def test_exercises_are_listed_for_any_role_in_their_language(world):
    body = world.client.get(f"{API}/exercises", headers=world.as_("hr")).json
    ids = [e["id"] for e in body["items"]]
    assert ids[:4] == ["cyclic_sighing", "box_breathing", "breathing_478", "resonance"]
    assert {"micro_break", "stretch", "eyes_off_screen", "focus_25_5"} <= set(ids)
    first = body["items"][0]
    assert first["phases"][0]["seconds"] == 2 and first["duration_seconds"] == 90 and first["safety_note"]
    zh = world.client.get(f"{API}/exercises", headers={**world.as_("agent"), "Accept-Language": "zh-CN"}).json
    assert zh["items"][0]["title"] != first["title"]


def test_settings_start_at_the_defaults(world):
    response = world.client.get(f"{API}/me/prompt-settings", headers=world.as_("agent"))
    assert response.status_code == 200 and response.json == default_prompt_settings()


def test_settings_are_replaced_and_stored(world, session):
    body = default_prompt_settings()
    body["breaks"]["every_minutes"] = 50
    body["max_per_day"] = 6
    response = world.client.put(f"{API}/me/prompt-settings", json=body, headers=world.as_("agent"))
    assert response.status_code == 200 and response.json == body
    assert session.get(PromptSettings, world.ids["agent"]).settings == body
    assert world.client.get(f"{API}/me/prompt-settings", headers=world.as_("agent")).json == body


def test_invalid_settings_name_each_field(world):
    body = default_prompt_settings()
    body["breathing"]["every_minutes"] = 5
    body["max_per_day"] = 100
    problem = assert_problem(world.client.put(f"{API}/me/prompt-settings", json=body, headers=world.as_("agent")), 422)
    assert set(problem["errors"]["json"]) == {"breathing.every_minutes", "max_per_day"}
    del body["breaks"]
    body["breathing"]["enabled"] = "yes"
    problem = assert_problem(world.client.put(f"{API}/me/prompt-settings", json=body, headers=world.as_("agent")), 422)
    assert "breaks" in problem["errors"]["json"] and "enabled" in problem["errors"]["json"]["breathing"]


def test_changing_settings_replans_coming_prompts_without_duplicates(world, session):
    with time_machine.travel(MONDAY, tick=False):
        world.headers.clear()
        body = default_prompt_settings()
        assert world.client.put(f"{API}/me/prompt-settings", json=body, headers=world.as_("agent")).status_code == 200
        first = {(p.kind, p.due_at): p.id for p in session.scalars(select(Prompt).where(
            Prompt.user_id == world.ids["agent"]))}
        assert first and all(due >= MONDAY for _, due in first)
        # The same settings again keep every row, ids included
        world.client.put(f"{API}/me/prompt-settings", json=body, headers=world.as_("agent"))
        again = {(p.kind, p.due_at): p.id for p in session.scalars(select(Prompt).where(
            Prompt.user_id == world.ids["agent"]))}
        assert again == first
        body["breathing"]["enabled"] = False
        world.client.put(f"{API}/me/prompt-settings", json=body, headers=world.as_("agent"))
        kinds = {p.kind for p in session.scalars(select(Prompt).where(Prompt.user_id == world.ids["agent"]))}
        assert kinds == {"break"}
        # A new time zone moves the coming prompts with the agent's clock
        world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
        dues = [p.due_at for p in session.scalars(select(Prompt).where(Prompt.user_id == world.ids["agent"]))]
        assert dues and all(1 <= (due + timedelta(hours=8)).hour < 18 for due in dues)
    world.headers.clear()


def _sent(app, world, key="agent"):
    return add_prompt(app, world.ids[key], MONDAY - timedelta(minutes=1), status="sent", sent_at=MONDAY)


@pytest.mark.parametrize("path, status", [
    (["ack"], "acknowledged"), (["complete"], "completed"), (["ack", "complete"], "completed"),
    (["dismiss"], "dismissed"), (["ack", "dismiss"], "dismissed"),
])
def test_ledger_transitions(app, world, session, path, status):
    prompt_id = _sent(app, world)
    with time_machine.travel(MONDAY + timedelta(minutes=2), tick=False):
        world.headers.clear()
        for action in path:
            response = world.client.post(f"{API}/me/prompts/{prompt_id}/{action}", headers=world.as_("agent"))
            assert response.status_code == 200, response.json
    world.headers.clear()
    assert response.json["status"] == status
    stored = session.get(Prompt, prompt_id)
    assert stored.status == status and getattr(stored, {"acknowledged": "acknowledged_at", "completed":
                                                         "completed_at", "dismissed": "dismissed_at"}[status])


@pytest.mark.parametrize("status, action", [
    ("scheduled", "ack"), ("scheduled", "complete"), ("completed", "ack"), ("completed", "dismiss"),
    ("dismissed", "complete"), ("expired", "ack"), ("expired", "snooze"), ("acknowledged", "ack"),
    ("scheduled", "snooze"),
])
def test_impossible_transitions_are_409(app, world, session, status, action):
    prompt_id = add_prompt(app, world.ids["agent"], MONDAY, status=status)
    kwargs = {"json": {"minutes": 5}} if action == "snooze" else {}
    problem = assert_problem(world.client.post(f"{API}/me/prompts/{prompt_id}/{action}", headers=world.as_("agent"),
                                               **kwargs), 409)
    assert status in problem["detail"]
    assert session.get(Prompt, prompt_id).status == status


def test_snooze_puts_the_prompt_back_in_the_queue_later(app, world, session):
    prompt_id = _sent(app, world)
    at = MONDAY + timedelta(minutes=3)
    with time_machine.travel(at, tick=False):
        world.headers.clear()
        response = world.client.post(f"{API}/me/prompts/{prompt_id}/snooze", json={"minutes": 20},
                                      headers=world.as_("agent"))
    world.headers.clear()
    assert response.status_code == 200 and response.json["status"] == "snoozed"
    assert response.json["due_at"] == "2030-03-04T10:23:00Z" and response.json["valid_until"] == "2030-03-04T10:33:00Z"
    stored = session.get(Prompt, prompt_id)
    assert stored.next_attempt_at == at + timedelta(minutes=20)
    for bad in (0, 61, "5"):
        assert_problem(world.client.post(f"{API}/me/prompts/{prompt_id}/snooze", json={"minutes": bad},
                                         headers=world.as_("agent")), 422)


def test_another_agents_prompt_is_404(app, world):
    prompt_id = _sent(app, world, "agent2")
    for action in ("ack", "complete", "dismiss"):
        assert_problem(world.client.post(f"{API}/me/prompts/{prompt_id}/{action}", headers=world.as_("agent")), 404)
    assert_problem(world.client.post(f"{API}/me/prompts/not-an-id/ack", headers=world.as_("agent")), 404)


def test_inbox_lists_own_prompts_by_status_with_a_cursor(app, world):
    for minutes in range(3):
        add_prompt(app, world.ids["agent"], MONDAY + timedelta(minutes=20 * minutes), status="sent")
    add_prompt(app, world.ids["agent"], MONDAY + timedelta(hours=2))
    add_prompt(app, world.ids["agent2"], MONDAY, status="sent")
    page = world.client.get(f"{API}/me/prompts?status=sent&limit=2", headers=world.as_("agent")).json
    assert [p["due_at"] for p in page["items"]] == ["2030-03-04T10:40:00Z", "2030-03-04T10:20:00Z"]
    rest = world.client.get(f"{API}/me/prompts?status=sent&limit=2&cursor={page['next_cursor']}",
                            headers=world.as_("agent")).json
    assert [p["due_at"] for p in rest["items"]] == ["2030-03-04T10:00:00Z"] and rest["next_cursor"] is None
    assert len(world.client.get(f"{API}/me/prompts", headers=world.as_("agent")).json["items"]) == 4
    assert_problem(world.client.get(f"{API}/me/prompts?status=lost", headers=world.as_("agent")), 422)
    assert_problem(world.client.get(f"{API}/me/prompts?colour=red", headers=world.as_("agent")), 422)


def test_devices_keep_the_secret_encrypted_and_never_return_it(world, session):
    body = {"channel": "webhook", "url": "http://127.0.0.1:9/hook", "secret": SECRET}
    response = world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent"))
    assert response.status_code == 201 and "secret" not in response.json
    stored = session.get(Device, response.json["id"])
    assert SECRET not in stored.secret_ciphertext and stored.secret_ciphertext.startswith("v1.")
    listed = world.client.get(f"{API}/me/devices", headers=world.as_("agent")).json["items"]
    assert [d["id"] for d in listed] == [response.json["id"]] and "secret" not in listed[0]
    assert world.client.get(f"{API}/me/devices", headers=world.as_("agent2")).json["items"] == []
    assert_problem(world.client.delete(f"{API}/me/devices/{stored.id}", headers=world.as_("agent2")), 404)
    assert world.client.delete(f"{API}/me/devices/{stored.id}", headers=world.as_("agent")).status_code == 204
    assert session.get(Device, stored.id) is None


def test_device_create_is_idempotent_on_the_client_id(world):
    body = {"id": "3f0c6f3e-8a38-4f0e-9a55-0f5d7d1f2a11", "channel": "webhook", "url": "http://127.0.0.1:9/h",
            "secret": SECRET}
    assert world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent")).status_code == 201
    assert world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent")).status_code == 200
    assert_problem(world.client.post(f"{API}/me/devices", json={**body, "url": "http://127.0.0.1:9/other"},
                                     headers=world.as_("agent")), 409)


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "http://169.254.169.254/latest", "file:///etc/passwd"])
def test_device_urls_must_be_http_to_an_acceptable_address(world, url):
    body = {"channel": "webhook", "url": url, "secret": SECRET}
    problem = assert_problem(world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent")), 422)
    assert "url" in problem["errors"]["json"]


def test_private_webhook_addresses_are_refused_unless_allowed(app, world):
    app.config["ALLOW_PRIVATE_WEBHOOKS"] = False
    try:
        body = {"channel": "webhook", "url": "http://127.0.0.1:8080/hook", "secret": SECRET}
        problem = assert_problem(world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent")), 422)
        assert problem["detail"] == "url: the address is not allowed." and problem["code"] == "webhook_url_refused"
        body["url"] = "http://10.1.2.3/hook"
        assert assert_problem(world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent")),
                              422)["errors"]["json"] == {"url": ["the address is not allowed"]}
    finally:
        app.config["ALLOW_PRIVATE_WEBHOOKS"] = True


def test_a_refused_address_never_says_what_an_internal_name_resolves_to(app, world, monkeypatch):
    internal = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: internal)
    app.config["ALLOW_PRIVATE_WEBHOOKS"] = False
    try:
        body = {"channel": "webhook", "url": "https://billing.corp.internal/hook", "secret": SECRET}
        response = world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent"))
    finally:
        app.config["ALLOW_PRIVATE_WEBHOOKS"] = True
    assert_problem(response, 422)
    text = response.get_data(as_text=True)
    assert "10.20.30.40" not in text and "private" not in text and "not allowed" in text
