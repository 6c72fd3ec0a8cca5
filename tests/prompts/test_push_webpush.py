"""Web Push end to end: the test is the browser (its own keys) and the push service (a real HTTP server)."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from sqlalchemy import select, update
from werkzeug import Response

from tests.helpers import assert_problem
from tests.prompts.helpers import API, MONDAY
from tests.prompts.push_helpers import Browser, dispatch, register, tough_prompt, two_tough_calls, unb64url
from wellbeing.models import Device, PromptDelivery, User


@pytest.fixture
def push_service():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def _public_key(world):
    response = world.client.get(f"{API}/push/vapid-public-key")  # no sign-in
    assert response.status_code == 200
    return response.json["public_key"]


def test_a_prompt_after_two_tough_calls_arrives_encrypted_and_vapid_signed(app, world, session, push_service):
    session.execute(update(User).where(User.id == world.ids["agent"]).values(locale="zh-CN"))
    session.commit()
    browser = Browser()
    endpoint = push_service.url_for("/push/v1/sub-123")
    device_id = register(world, {"channel": "webpush", "subscription": browser.subscription(endpoint)})
    push_service.expect_request("/push/v1/sub-123", method="POST").respond_with_response(Response(status=201))

    two_tough_calls(world)
    prompt = tough_prompt(session, world)
    counts = dispatch(app, MONDAY + timedelta(minutes=6, seconds=1))
    assert counts["sent"] == 1 and counts["deliveries"] == 1

    [(request, answer)] = push_service.log
    assert answer.status_code == 201
    headers = request.headers
    assert headers["Content-Encoding"] == "aes128gcm" and headers["Urgency"] == "high"
    assert headers["Topic"] == prompt.id.replace("-", "")
    assert 0 < int(headers["TTL"]) <= 600  # what is left of the prompt's ten-minute validity
    # VAPID (RFC 8292): "vapid t=<JWT>, k=<the published key>", ES256, aud = the endpoint's origin
    scheme, params = headers["Authorization"].split(" ", 1)
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    published = _public_key(world)
    assert scheme == "vapid" and fields["k"] == published
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(published))
    claims = jwt.decode(fields["t"], key, algorithms=["ES256"], audience=f"http://{urlsplit(endpoint).netloc}")
    assert claims["sub"].startswith("mailto:") and time.time() < claims["exp"] <= time.time() + 24 * 3600
    # The browser decrypts with its own private key and auth secret
    plain = http_ece.decrypt(request.get_data(), private_key=browser.private_key, auth_secret=browser.auth,
                             version="aes128gcm")
    message = json.loads(plain)
    assert message == {"prompt_id": prompt.id, "kind": "breathing", "exercise_id": "cyclic_sighing",
                       "title": "该做个呼吸练习了", "body": "循环叹息呼吸", "valid_until": "2030-03-04T10:16:00Z"}

    listed = world.client.get(f"{API}/me/devices", headers=world.as_("agent")).json["items"]
    [shown] = [d for d in listed if d["id"] == device_id]
    assert shown["channel"] == "webpush" and shown["url"] is None and shown["disabled"] is False
    assert shown["last_success_at"] == "2030-03-04T10:06:01Z" and shown["last_error"] is None
    assert "sub-123" not in shown["token"] and shown["token"].startswith("http://127.0.0.1:")

    # The phone showed it: the ledger records it on the prompt and on the device's delivery, once
    opened = world.client.post(f"{API}/me/prompts/{prompt.id}/opened", json={"device_id": device_id},
                               headers=world.as_("agent"))
    assert opened.status_code == 200 and opened.json["opened_at"] is not None
    again = world.client.post(f"{API}/me/prompts/{prompt.id}/opened", json={}, headers=world.as_("agent"))
    assert again.status_code == 200 and again.json["opened_at"] == opened.json["opened_at"]
    [delivery] = session.scalars(select(PromptDelivery).where(PromptDelivery.prompt_id == prompt.id)).all()
    assert delivery.ok and delivery.opened_at is not None and delivery.device_id == device_id
    assert_problem(world.client.post(f"{API}/me/prompts/{prompt.id}/opened", json={},
                                     headers=world.as_("agent2")), 404)


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_calls_gone_is_disabled_at_once(app, world, session, push_service, status):
    browser = Browser()
    device_id = register(world, {"channel": "webpush",
                                 "subscription": browser.subscription(push_service.url_for("/push/gone"))})
    push_service.expect_request("/push/gone").respond_with_response(Response(status=status))
    two_tough_calls(world)
    assert dispatch(app, MONDAY + timedelta(minutes=6))["sent"] == 1  # the in-app inbox still has it
    device = session.get(Device, device_id)
    assert device.disabled_at == MONDAY + timedelta(minutes=6)
    assert device.disabled_reason == f"subscription gone (HTTP {status})"
    shown = world.client.get(f"{API}/me/devices", headers=world.as_("agent")).json["items"][0]
    assert shown["disabled"] is True and shown["disabled_reason"] == device.disabled_reason


def test_a_push_service_that_asks_to_wait_is_retried_after_its_retry_after(app, world, session, push_service):
    browser = Browser()
    register(world, {"channel": "webpush", "subscription": browser.subscription(push_service.url_for("/busy"))})
    push_service.expect_ordered_request("/busy").respond_with_response(
        Response(status=429, headers={"Retry-After": "120"}))
    push_service.expect_ordered_request("/busy").respond_with_response(Response(status=201))
    two_tough_calls(world)
    start = MONDAY + timedelta(minutes=6)
    assert dispatch(app, start)["retry"] == 1
    prompt = tough_prompt(session, world)
    assert prompt.status == "scheduled" and prompt.next_attempt_at == start + timedelta(seconds=120)
    assert dispatch(app, start + timedelta(seconds=119))["claimed"] == 0
    assert dispatch(app, start + timedelta(seconds=120))["sent"] == 1
    assert len(push_service.log) == 2


def test_registration_checks_the_subscription(world):
    browser = Browser()
    good = browser.subscription("https://push.example.net/x")
    for body, field in [({"channel": "webpush"}, "subscription"),
                        ({"channel": "webpush", "subscription": {**good, "keys": {"p256dh": "short", "auth": "x"}}},
                         "subscription"),
                        ({"channel": "webpush", "subscription": good, "url": "https://a.example/h"}, "url"),
                        ({"channel": "webpush", "subscription": {**good, "endpoint": "ftp://x.example/"}},
                         "subscription")]:
        response = world.client.post(f"{API}/me/devices", json=body, headers=world.as_("agent"))
        assert_problem(response, 422)
        assert field in json.dumps(response.json), response.json
