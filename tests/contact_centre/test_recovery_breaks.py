"""Recovery breaks: a tough-call run takes the opted-in agent out of the queue through the organization's connector
(a signed webhook, Amazon Connect's PutUserStatus) against local fake platforms, with a ledger row per break."""
from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from api import create_app
from api.config import Config
from api.scheduler import dispatch_prompts, run_recovery_breaks
from tests.contact_centre.fakes import FakeAmazonConnect
from tests.contact_centre.helpers import API, AGENT, api_key, link_agent
from tests.prompts.helpers import SECRET, Receiver
from wellbeing.core.db import db
from wellbeing.models import Prompt, RecoveryBreak, RecoverySettings

UTC = timezone.utc
# Monday 2030-03-04 10:00 in Shanghai: inside the default work hours
NOON = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)
ACCESS_KEY, SECRET_KEY = "AKIAFAKEFAKEFAKE0001", "fake-secret-access-key-0123456789abcdef"


def _settings(world, **body):
    response = world.client.put(f"{API}/org/recovery", json=body, headers=world.as_("admin"))
    assert response.status_code == 200, response.json
    return response.json


def _opt_in(world, choice=True, key="agent"):
    response = world.client.put(f"{API}/me/recovery", json={"opted_in": choice}, headers=world.as_(key))
    assert response.status_code == 200 and response.json == {"opted_in": choice}


def _tough_run(world, key, at=NOON):
    """Two complaint calls ending at `at` - 6 min and `at`: the second reaches the default threshold."""
    for minutes in (6, 0):
        ended = at - timedelta(minutes=minutes)
        with time_machine.travel(ended, tick=False):
            response = world.client.post(f"{API}/events/call-ended", headers=key, json={
                "user_id": world.ids["agent"], "ended_at": ended.isoformat(), "complaint": True})
        assert response.status_code == 202, response.json


def _run(app, now):
    with app.app_context():
        try:
            return run_recovery_breaks(db.session, now)
        finally:
            db.session.remove()


def _breaks(session):
    return session.scalars(select(RecoveryBreak).order_by(RecoveryBreak.requested_at)).all()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def _setup(world, url, minutes=2):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    _settings(world, enabled=True, minutes=minutes, connector="webhook", config={"url": url},
              secret={"secret": SECRET})
    _opt_in(world)
    return api_key(world)


def test_a_tough_run_applies_a_recovery_break_with_the_prompt_and_restores_it(app, world, session):
    with Receiver() as platform:
        key = _setup(world, platform.url, minutes=3)
        _tough_run(world, key)
        [item] = _breaks(session)
        [prompt] = session.scalars(select(Prompt).where(Prompt.source == "tough_calls")).all()
        # The break and the breathing prompt start at the same moment
        assert item.status == "requested" and item.starts_at == NOON == prompt.due_at
        assert item.ends_at == NOON + timedelta(minutes=3) and item.prompt_id == prompt.id
        assert _run(app, NOON) == {"applied": 1, "restored": 0, "retry": 0, "gave_up": 0}
        assert _run(app, NOON + timedelta(minutes=2)) == {"applied": 0, "restored": 0, "retry": 0, "gave_up": 0}
        assert _run(app, NOON + timedelta(minutes=3)) == {"applied": 0, "restored": 1, "retry": 0, "gave_up": 0}
    assert platform.bad_signatures == 0
    assert [body["type"] for body in platform.bodies] == ["recovery_break.start", "recovery_break.end"]
    assert platform.bodies[0]["user_id"] == world.ids["agent"] and platform.bodies[0]["minutes"] == 3
    assert set(platform.keys) == {f"{item.id}:start", f"{item.id}:end"}
    session.expire_all()
    item = session.get(RecoveryBreak, item.id)
    assert item.status == "restored" and item.applied_at == NOON and item.restored_at == NOON + timedelta(minutes=3)
    mine = world.client.get(f"{API}/me/recovery-breaks", headers=world.login("agent")).json["items"]
    assert [(b["id"], b["status"]) for b in mine] == [(item.id, "restored")]


def test_no_break_without_the_agents_opt_in_or_the_organizations_switch(app, world, session):
    with Receiver() as platform:
        key = _setup(world, platform.url)
        _opt_in(world, False)
        _tough_run(world, key)
        assert _breaks(session) == []
        assert session.scalars(select(Prompt).where(Prompt.source == "tough_calls")).all()  # the prompt still goes
        _opt_in(world, True)
        _settings(world, enabled=False, connector="webhook", config={"url": platform.url})
        _tough_run(world, key, NOON + timedelta(hours=1))
        assert _breaks(session) == []
    assert platform.bodies == []


def test_an_unreachable_platform_still_gets_the_prompt_out_and_the_ledger_says_not_applied(app, world, session):
    with Receiver() as phone:
        key = _setup(world, _closed_port_url(), minutes=1)
        response = world.client.post(f"{API}/me/devices", headers=world.as_("agent"), json={
            "channel": "webhook", "url": phone.url, "secret": SECRET})
        assert response.status_code == 201
        _tough_run(world, key)
        with app.app_context():
            assert dispatch_prompts(db.session, NOON)["sent"] == 1
            db.session.remove()
        now, outcomes = NOON, []
        while now < NOON + timedelta(minutes=2):
            outcomes.append(_run(app, now))
            now += timedelta(seconds=5)
    assert [body["exercise_id"] for body in phone.bodies] == ["cyclic_sighing"]
    [item] = _breaks(session)
    assert item.status == "failed" and item.applied_at is None and item.next_attempt_at is None
    assert item.failure_reason.startswith("not applied: ") and item.attempts >= 3
    assert sum(o["gave_up"] for o in outcomes) == 1 and sum(o["retry"] for o in outcomes) == item.attempts - 1


def test_the_restore_is_a_persisted_job_that_survives_a_scheduler_restart(app, world, session, database_url,
                                                                           tmp_path):
    with Receiver() as platform:
        key = _setup(world, platform.url, minutes=2)
        _tough_run(world, key)
        assert _run(app, NOON)["applied"] == 1
        # The scheduler process dies; a new one (a new app, a new engine, nothing in memory) comes up later
        with app.app_context():
            config = dict(DATABASE_URL=database_url, SECRET_KEY=app.config["SECRET_KEY"],
                          DATA_KEYS=app.config["DATA_KEYS"], INSTANCE_PATH=str(tmp_path), ALLOW_PRIVATE_WEBHOOKS="1")
        restarted = create_app(Config(config), TESTING=True)
        assert _run(restarted, NOON + timedelta(minutes=1))["restored"] == 0
        assert _run(restarted, NOON + timedelta(minutes=5))["restored"] == 1
        with restarted.app_context():
            db.engine.dispose()
    assert [body["type"] for body in platform.bodies] == ["recovery_break.start", "recovery_break.end"]
    assert _breaks(session)[0].restored_at == NOON + timedelta(minutes=5)


def test_the_agent_declines_or_ends_a_break_early(app, world, session):
    with Receiver() as platform:
        key = _setup(world, platform.url, minutes=5)
        _tough_run(world, key)
        [first] = _breaks(session)
        with time_machine.travel(NOON + timedelta(seconds=1), tick=False):
            declined = world.client.post(f"{API}/me/recovery-breaks/{first.id}/stop", headers=world.login("agent"))
        assert declined.status_code == 200 and declined.json["status"] == "declined"
        assert _run(app, NOON + timedelta(seconds=2))["applied"] == 0
        _tough_run(world, key, NOON + timedelta(hours=1))
        second = _breaks(session)[1]
        assert _run(app, NOON + timedelta(hours=1))["applied"] == 1
        at = NOON + timedelta(hours=1, minutes=1)
        with time_machine.travel(at, tick=False):
            headers = world.login("agent")
            ended = world.client.post(f"{API}/me/recovery-breaks/{second.id}/stop", headers=headers)
            assert ended.status_code == 200 and ended.json["ended_early_at"] == "2030-03-04T03:01:00Z"
            assert world.client.post(f"{API}/me/recovery-breaks/{first.id}/stop", headers=headers).status_code == 409
            other = world.client.post(f"{API}/me/recovery-breaks/{second.id}/stop", headers=world.login("agent2"))
            assert other.status_code == 404
        assert _run(app, at)["restored"] == 1
    assert [body["type"] for body in platform.bodies] == ["recovery_break.start", "recovery_break.end"]
    session.expire_all()
    assert session.get(RecoveryBreak, second.id).status == "restored"


def test_settings_are_the_admins_and_breaks_are_the_agents_alone(app, world, session):
    defaults = world.client.get(f"{API}/org/recovery", headers=world.as_("admin")).json
    assert defaults == {"enabled": False, "minutes": 2, "connector": None, "config": {}, "secret_set": False}
    for body, field in (({"enabled": True, "minutes": 6}, "minutes"), ({"enabled": True}, "connector"),
                        ({"enabled": True, "connector": "webhook", "config": {}}, "config.url"),
                        ({"enabled": True, "connector": "webhook", "config": {"url": "http://127.0.0.1:9/x"}},
                         "secret")):
        response = world.client.put(f"{API}/org/recovery", json=body, headers=world.as_("admin"))
        assert response.status_code == 422 and field in response.json["errors"]["json"], (body, response.json)
    assert session.get(RecoverySettings, world.org_id) is None
    stored = _settings(world, enabled=True, connector="webhook", config={"url": "http://127.0.0.1:9/x"},
                       secret={"secret": SECRET})
    assert stored["secret_set"] is True and "secret" not in stored
    assert SECRET not in json.dumps(world.client.get(f"{API}/org/recovery", headers=world.as_("admin")).json)
    for role in ("supervisor", "hr", "agent"):
        assert world.client.get(f"{API}/org/recovery", headers=world.as_(role)).status_code == 403
    for role in ("supervisor", "hr", "admin"):
        assert world.client.get(f"{API}/me/recovery-breaks", headers=world.as_(role)).status_code == 403
        assert world.client.get(f"{API}/me/recovery", headers=world.as_(role)).status_code == 403
    assert world.client.get(f"{API}/me/recovery", headers=world.as_("agent")).json == {"opted_in": False}


@pytest.fixture
def fake_connect(app):
    with FakeAmazonConnect(ACCESS_KEY, SECRET_KEY) as fake:
        before = app.config["AMAZON_CONNECT_ENDPOINT_URL"]
        app.config["AMAZON_CONNECT_ENDPOINT_URL"] = fake.url
        yield fake
        app.config["AMAZON_CONNECT_ENDPOINT_URL"] = before


def _amazon_settings(world, secret_key=SECRET_KEY):
    return _settings(world, enabled=True, minutes=2, connector="amazon_connect", config={
        "instance_id": "9f3a7c2e-1b4d-4e5f-8a6b-7c8d9e0f1a2b", "region": "ap-northeast-1",
        "recovery_status_id": "status-recovery", "available_status_id": "status-available"},
        secret={"access_key_id": ACCESS_KEY, "secret_access_key": secret_key})


def test_amazon_connect_put_user_status_is_signed_retried_and_restored(app, world, session, fake_connect):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    link_agent(world)
    _amazon_settings(world)
    _opt_in(world)
    key = api_key(world)
    _tough_run(world, key)
    fake_connect.fail_next = 1
    with time_machine.travel(NOON, tick=False):
        assert _run(app, NOON) == {"applied": 0, "restored": 0, "retry": 1, "gave_up": 0}
    with time_machine.travel(NOON + timedelta(seconds=5), tick=False):
        assert _run(app, NOON + timedelta(seconds=5))["applied"] == 1
    with time_machine.travel(NOON + timedelta(minutes=2), tick=False):
        assert _run(app, NOON + timedelta(minutes=2))["restored"] == 1
    assert fake_connect.refused == []
    assert fake_connect.changes == [(AGENT, "status-recovery"), (AGENT, "status-available")]
    [item] = _breaks(session)
    assert item.status == "restored" and item.attempts == 3 and item.connector == "amazon_connect"


def test_amazon_connect_refuses_a_bad_signature_and_the_break_fails_for_good(app, world, session, fake_connect):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    link_agent(world)
    _amazon_settings(world, secret_key="not-the-right-secret-key-0123456789abcd")
    _opt_in(world)
    _tough_run(world, api_key(world))
    with time_machine.travel(NOON, tick=False):
        assert _run(app, NOON)["gave_up"] == 1
    assert fake_connect.changes == [] and fake_connect.refused == ["signature mismatch"]
    [item] = _breaks(session)
    assert item.status == "failed" and "AccessDeniedException" in item.failure_reason


@pytest.fixture
def fake_genesys(app):
    from tests.contact_centre.fakes import FakeGenesys

    fake = FakeGenesys("wellbeing-client", "genesys-client-secret-0123456789")
    before = app.config["GENESYS_LOGIN_URL"], app.config["GENESYS_API_URL"]
    app.config["GENESYS_LOGIN_URL"] = app.config["GENESYS_API_URL"] = fake.url
    yield fake
    app.config["GENESYS_LOGIN_URL"], app.config["GENESYS_API_URL"] = before
    fake.close()


def test_genesys_presence_is_set_with_a_client_credentials_token_and_restored(app, world, session, fake_genesys):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    link_agent(world, platform="genesys", platform_id="7f8a9b0c-1d2e-4f3a-8b4c-5d6e7f8a9b0c")
    _settings(world, enabled=True, minutes=2, connector="genesys",
              config={"recovery_presence_id": "presence-recovery", "available_presence_id": "presence-available"},
              secret={"client_id": "wellbeing-client", "client_secret": "genesys-client-secret-0123456789"})
    _opt_in(world)
    _tough_run(world, api_key(world))
    assert _run(app, NOON)["applied"] == 1
    assert _run(app, NOON + timedelta(minutes=2))["restored"] == 1
    assert fake_genesys.refused == [] and fake_genesys.token_requests == 1  # the token is reused
    assert fake_genesys.changes == [("7f8a9b0c-1d2e-4f3a-8b4c-5d6e7f8a9b0c", "presence-recovery"),
                                    ("7f8a9b0c-1d2e-4f3a-8b4c-5d6e7f8a9b0c", "presence-available")]


def test_genesys_refuses_wrong_client_credentials_and_the_break_fails(app, world, session, fake_genesys):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    link_agent(world, platform="genesys", platform_id="7f8a9b0c-1d2e-4f3a-8b4c-5d6e7f8a9b0c")
    _settings(world, enabled=True, minutes=2, connector="genesys",
              config={"recovery_presence_id": "presence-recovery", "available_presence_id": "presence-available"},
              secret={"client_id": "wellbeing-client", "client_secret": "a-wrong-secret-of-some-length"})
    _opt_in(world)
    _tough_run(world, api_key(world))
    assert _run(app, NOON)["gave_up"] == 1
    [item] = _breaks(session)
    assert item.status == "failed" and item.failure_reason == "not applied: OAuth token refused: HTTP 401"
    assert fake_genesys.changes == [] and fake_genesys.refused == ["bad client credentials"]


def test_a_break_nobody_could_request_in_time_is_not_applied_late(app, world, session):
    with Receiver() as platform:
        key = _setup(world, platform.url, minutes=2)
        _tough_run(world, key)
        # The scheduler was down for the whole break: taking the agent out now would be too late
        assert _run(app, NOON + timedelta(minutes=3)) == {"applied": 0, "restored": 0, "retry": 0, "gave_up": 1}
    assert platform.bodies == []
    [item] = _breaks(session)
    assert item.status == "failed" and item.failure_reason.startswith("not applied: the break's time had passed")
