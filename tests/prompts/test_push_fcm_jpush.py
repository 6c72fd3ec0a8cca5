"""FCM (HTTP v1, service-account OAuth) and JPush (REST v3, Basic auth) against local providers."""
from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from sqlalchemy import update
from werkzeug import Request, Response

from tests.helpers import assert_problem
from tests.prompts.helpers import API, MONDAY
from tests.prompts.push_helpers import dispatch, providers, register, tough_prompt, two_tough_calls
from wellbeing.models import Device, User
from wellbeing.prompts.channels.fcm import SCOPE, FcmClient
from wellbeing.prompts.channels.jpush import JPushClient

PROJECT = "wellbeing-test"
GOOD, GONE = "fcm-token-good-0123456789", "fcm-token-gone-0123456789"


@pytest.fixture
def server():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


class Google:
    """A local OAuth token endpoint that checks the service account's signed assertion, and an FCM v1 endpoint
    that takes only the tokens it issued."""

    def __init__(self, server: HTTPServer, tmp_path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.token_uri = server.url_for("/token")
        self.email = f"push@{PROJECT}.iam.gserviceaccount.com"
        self.issued: list[str] = []
        self.messages: list[dict] = []
        self.problems: list[str] = []
        self.file = tmp_path / "service-account.json"
        self.file.write_text(json.dumps({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "key-1",
            "private_key": self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()).decode(),
            "client_email": self.email, "client_id": "1", "token_uri": self.token_uri}))
        server.expect_request("/token", method="POST").respond_with_handler(self.token)
        server.expect_request(f"/v1/projects/{PROJECT}/messages:send", method="POST").respond_with_handler(self.send)
        self.client = FcmClient(str(self.file), server.url_for("/").rstrip("/"))

    def token(self, request: Request) -> Response:
        form = parse_qs(request.get_data(as_text=True))
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        # google-auth names Google's token endpoint as the audience wherever token_uri points
        claims = jwt.decode(form["assertion"][0], self.key.public_key(), algorithms=["RS256"],
                            audience="https://oauth2.googleapis.com/token")
        assert claims["iss"] == self.email and claims["scope"] == SCOPE
        assert jwt.get_unverified_header(form["assertion"][0])["kid"] == "key-1"
        self.issued.append(f"ya29.local-{len(self.issued)}")
        return Response(json.dumps({"access_token": self.issued[-1], "expires_in": 3600, "token_type": "Bearer"}),
                        content_type="application/json")

    def send(self, request: Request) -> Response:
        if request.headers.get("Authorization") not in [f"Bearer {t}" for t in self.issued]:
            return Response(status=401)
        message = json.loads(request.get_data())["message"]
        self.messages.append(message)
        if message["token"] == GONE:
            error = {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                               "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                            "errorCode": "UNREGISTERED"}]}}
            return Response(json.dumps(error), status=404, content_type="application/json")
        return Response(json.dumps({"name": f"projects/{PROJECT}/messages/{len(self.messages)}"}),
                        content_type="application/json")


def test_fcm_signs_in_once_sends_v1_messages_and_disables_an_unregistered_token(app, world, session, server,
                                                                                 tmp_path):
    google = Google(server, tmp_path)
    with providers(app, fcm=google.client):
        good = register(world, {"channel": "fcm", "token": GOOD})
        gone = register(world, {"channel": "fcm", "token": GONE}, key="agent2")
        two_tough_calls(world, "agent")
        two_tough_calls(world, "agent2")
        counts = dispatch(app, MONDAY + timedelta(minutes=6))
    assert counts["sent"] == 2 and counts["deliveries"] == 2
    assert len(google.issued) == 1  # one access token, cached for both messages
    [message] = [m for m in google.messages if m["token"] == GOOD]
    prompt = tough_prompt(session, world, "agent")
    assert message == {"token": GOOD, "notification": {"title": "Time for a breather", "body": "Cyclic sighing"},
                       "data": {"prompt_id": prompt.id, "kind": "breathing", "exercise_id": "cyclic_sighing",
                                "valid_until": "2030-03-04T10:16:00Z"},
                       "android": {"priority": "high", "ttl": "600s", "collapse_key": prompt.id}}
    assert session.get(Device, good).disabled_at is None and session.get(Device, good).last_success_at is not None
    device = session.get(Device, gone)
    assert device.disabled_at == MONDAY + timedelta(minutes=6) and device.disabled_reason == "FCM: UNREGISTERED"
    listed = world.client.get(f"{API}/me/devices", headers=world.as_("agent")).json["items"]
    assert listed[0]["token"] == "fcm-…6789" and GOOD not in json.dumps(listed)


def test_an_access_token_the_provider_refuses_is_fetched_again(app, world, session, server, tmp_path):
    google = Google(server, tmp_path)
    google.client.credentials.token = "revoked"
    google.client.credentials.expiry = None  # valid as far as the cache knows
    with providers(app, fcm=google.client):
        register(world, {"channel": "fcm", "token": GOOD})
        two_tough_calls(world)
        first = dispatch(app, MONDAY + timedelta(minutes=6))
        prompt = tough_prompt(session, world)
        second = dispatch(app, prompt.next_attempt_at)
    assert first["retry"] == 1 and second["sent"] == 1 and len(google.issued) == 1


def test_a_channel_without_provider_settings_refuses_registration(world):
    response = world.client.post(f"{API}/me/devices", json={"channel": "fcm", "token": GOOD},
                                 headers=world.as_("agent"))
    assert assert_problem(response, 422)["code"] == "channel_not_configured"


class JPush:
    """A local JPush v3 endpoint: Basic auth with the app key and master secret, the v3 push body."""

    def __init__(self, server: HTTPServer) -> None:
        self.pushes: list[dict] = []
        server.expect_request("/v3/push", method="POST").respond_with_handler(self.push)
        self.client = JPushClient("app-key-1", "master-secret-1", server.url_for("/").rstrip("/"))

    def push(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(b"app-key-1:master-secret-1").decode()
        if request.headers.get("Authorization") != expected:
            return Response(json.dumps({"error": {"code": 1004, "message": "app key or secret wrong"}}), status=401)
        body = json.loads(request.get_data())
        self.pushes.append(body)
        if body["audience"]["registration_id"] == ["1a0018970aaa"]:
            return Response(json.dumps({"error": {"code": 1011, "message": "cannot find user by this audience"}}),
                            status=400, content_type="application/json")
        return Response(json.dumps({"sendno": "0", "msg_id": "54043195528"}), content_type="application/json")


def test_jpush_sends_a_v3_push_with_basic_auth_and_disables_an_unknown_registration(app, world, session, server):
    session.execute(update(User).where(User.id == world.ids["agent"]).values(locale="zh-CN"))
    session.commit()
    jpush = JPush(server)
    with providers(app, jpush=jpush.client):
        good = register(world, {"channel": "jpush", "registration_id": "190e35f7e0bb"})
        gone = register(world, {"channel": "jpush", "registration_id": "1a0018970aaa"}, key="agent2")
        two_tough_calls(world, "agent")
        two_tough_calls(world, "agent2")
        assert dispatch(app, MONDAY + timedelta(minutes=6))["sent"] == 2
    [push] = [p for p in jpush.pushes if p["audience"]["registration_id"] == ["190e35f7e0bb"]]
    prompt = tough_prompt(session, world, "agent")
    extras = {"prompt_id": prompt.id, "kind": "breathing", "exercise_id": "cyclic_sighing",
              "valid_until": "2030-03-04T10:16:00Z"}
    assert push == {
        "platform": ["android", "ios"], "audience": {"registration_id": ["190e35f7e0bb"]},
        "notification": {"alert": "循环叹息呼吸",
                         "android": {"alert": "循环叹息呼吸", "title": "该做个呼吸练习了", "priority": 2, "extras": extras},
                         "ios": {"alert": {"title": "该做个呼吸练习了", "body": "循环叹息呼吸"}, "sound": "default",
                                 "extras": extras}},
        "options": {"time_to_live": 600, "apns_production": True, "apns_collapse_id": prompt.id}}
    assert session.get(Device, good).last_success_at is not None
    device = session.get(Device, gone)
    assert device.disabled_at is not None and device.disabled_reason == "JPush 1011: registration id unknown"
