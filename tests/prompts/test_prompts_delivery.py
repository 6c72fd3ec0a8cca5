"""Delivery: signed webhooks to real receivers, retries and backoff, disabling, expiry, live calls, tough calls."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from api.core.keyring import keyring
from tests.helpers import assert_problem
from tests.prompts.helpers import API, MONDAY, SECRET, Receiver, add_prompt
from wellbeing.core.db import db
from wellbeing.models import CallEvent, Device, Prompt, PromptDelivery, PromptSettings
from wellbeing.prompts.dispatch import Channel, claim_due, dispatch_due, expire_stale

QUICK = (0.5, 0.5)


def _device(world, url: str, key: str = "agent") -> str:
    response = world.client.post(f"{API}/me/devices", json={"channel": "webhook", "url": url, "secret": SECRET},
                                 headers=world.as_(key))
    assert response.status_code == 201, response.json
    return response.json["id"]


def _dispatch(app, now, **kwargs):
    with app.app_context():
        try:
            return dispatch_due(db.session, now, Channel(keyring(), allow_private=True, timeout=QUICK), **kwargs)
        finally:
            db.session.remove()


def _expire(app, now):
    with app.app_context():
        try:
            return expire_stale(db.session, now)
        finally:
            db.session.remove()


def test_a_due_prompt_is_signed_and_delivered_once_with_its_id_as_idempotency_key(app, world, session):
    with Receiver() as receiver:
        _device(world, receiver.url)
        prompt_id = add_prompt(app, world.ids["agent"], MONDAY)
        assert _dispatch(app, MONDAY - timedelta(seconds=1))["claimed"] == 0  # not due yet
        counts = _dispatch(app, MONDAY + timedelta(seconds=1))
        assert _dispatch(app, MONDAY + timedelta(seconds=2))["claimed"] == 0
    assert counts == {"claimed": 1, "sent": 1, "retry": 0, "deliveries": 1}
    assert receiver.keys == {prompt_id: 1} and receiver.bad_signatures == 0
    assert receiver.bodies[0] == {"id": prompt_id, "kind": "breathing", "exercise_id": "resonance",
                                  "source": "schedule", "due_at": "2030-03-04T10:00:00Z",
                                  "valid_until": "2030-03-04T10:10:00Z"}
    stored = session.get(Prompt, prompt_id)
    assert stored.status == "sent" and stored.sent_at == MONDAY + timedelta(seconds=1) and stored.attempts == 1
    log = session.scalars(select(PromptDelivery)).all()
    assert [(d.ok, d.status_code, d.attempt) for d in log] == [(True, 204, 1)]


def test_without_a_device_the_prompt_goes_to_the_in_app_inbox(app, world, session):
    prompt_id = add_prompt(app, world.ids["agent"], MONDAY)
    assert _dispatch(app, MONDAY)["sent"] == 1
    inbox = world.client.get(f"{API}/me/prompts?status=sent", headers=world.as_("agent")).json["items"]
    assert [p["id"] for p in inbox] == [prompt_id]


@pytest.mark.parametrize("mode, error", [("fail", "HTTP 500"), ("hang", "timed out"), ("reset", "connection failed")])
def test_failed_deliveries_are_retried_with_backoff_until_validity_then_expire(app, world, session, mode, error):
    with Receiver(mode) as receiver:
        _device(world, receiver.url)
        prompt_id = add_prompt(app, world.ids["agent"], MONDAY)
        assert _dispatch(app, MONDAY)["retry"] == 1
        first = session.get(Prompt, prompt_id)
        assert first.status == "scheduled" and first.attempts == 1 and first.claimed_until is None
        # The first retry waits 15-30 s (30 s jittered into [half, full]); nothing is tried before it
        assert MONDAY + timedelta(seconds=15) <= first.next_attempt_at <= MONDAY + timedelta(seconds=30)
        assert _dispatch(app, MONDAY + timedelta(seconds=14))["claimed"] == 0
        retried_at = first.next_attempt_at
        assert _dispatch(app, retried_at)["retry"] == 1
        second = session.get(Prompt, prompt_id)
        assert second.attempts == 2 and second.next_attempt_at - retried_at >= timedelta(seconds=30)
        # Past its validity it is expired, never delivered late
        late = MONDAY + timedelta(minutes=10)
        assert _dispatch(app, late)["claimed"] == 0
        assert _expire(app, late) == 1
    stored = session.get(Prompt, prompt_id)
    assert stored.status == "expired" and stored.expired_at == late and stored.sent_at is None
    log = session.scalars(select(PromptDelivery).order_by(PromptDelivery.id)).all()
    assert [(d.ok, d.permanent, d.attempt) for d in log] == [(False, False, 1), (False, False, 2)]
    assert all(error in d.error for d in log)


def test_a_prompt_never_sent_in_time_expires_instead_of_arriving_late(app, world, session):
    with Receiver() as receiver:
        _device(world, receiver.url)
        prompt_id = add_prompt(app, world.ids["agent"], MONDAY)
        # The scheduler was down for the whole validity: the prompt is not delivered on restart
        assert _dispatch(app, MONDAY + timedelta(minutes=11))["claimed"] == 0
        assert _expire(app, MONDAY + timedelta(minutes=11)) == 1
    assert receiver.keys == {} and session.get(Prompt, prompt_id).status == "expired"


def test_a_device_that_refuses_for_good_is_disabled_after_repeated_failures(app, world, session):
    with Receiver("gone") as receiver, Receiver() as good:
        gone_id = _device(world, receiver.url)
        _device(world, good.url)
        ids = [add_prompt(app, world.ids["agent"], MONDAY + timedelta(minutes=15 * n)) for n in range(6)]
        for n in range(6):
            _dispatch(app, MONDAY + timedelta(minutes=15 * n))
    assert len(receiver.keys) == 5 and set(good.keys) == set(ids)
    device = session.get(Device, gone_id)
    assert device.permanent_failures == 5 and device.disabled_at == MONDAY + timedelta(minutes=60)
    assert all(session.get(Prompt, i).status == "sent" for i in ids)
    listed = world.client.get(f"{API}/me/devices", headers=world.as_("agent")).json["items"]
    assert {d["id"]: d["disabled_at"] for d in listed}[gone_id] == "2030-03-04T11:00:00Z"


def test_a_dispatcher_that_dies_after_claiming_loses_nothing(app, world, session):
    with Receiver() as receiver:
        _device(world, receiver.url)
        prompt_id = add_prompt(app, world.ids["agent"], MONDAY)
        with app.app_context():
            assert claim_due(db.session, MONDAY, 10, lease=timedelta(seconds=60)) == [prompt_id]
            db.session.remove()
        # ... and then the process was killed: the lease holds others off until it runs out
        assert _dispatch(app, MONDAY + timedelta(seconds=30))["claimed"] == 0
        assert _dispatch(app, MONDAY + timedelta(seconds=61))["sent"] == 1
    assert receiver.keys == {prompt_id: 1} and session.get(Prompt, prompt_id).status == "sent"


def _api_key(world) -> dict:
    key = world.client.post(f"{API}/api-keys", json={"name": "CTI"}, headers=world.as_("admin")).json["key"]
    return {"Authorization": f"Bearer {key}"}


def test_nothing_is_pushed_during_a_live_call(app, world, session):
    key = _api_key(world)
    with Receiver() as receiver:
        _device(world, receiver.url)
        prompt_id = add_prompt(app, world.ids["agent"], MONDAY)
        with time_machine.travel(MONDAY - timedelta(minutes=1), tick=False):
            started = world.client.post(f"{API}/events/call-started", headers=key,
                                        json={"user_id": world.ids["agent"], "started_at": "2030-03-04T09:58:00Z"})
        assert started.status_code == 202
        assert _dispatch(app, MONDAY + timedelta(minutes=1))["claimed"] == 0
        with time_machine.travel(MONDAY + timedelta(minutes=4), tick=False):
            ended = world.client.post(f"{API}/events/call-ended", headers=key, json={
                "user_id": world.ids["agent"], "ended_at": "2030-03-04T10:04:00Z", "duration_seconds": 360})
        assert ended.status_code == 202
        assert _dispatch(app, MONDAY + timedelta(minutes=4))["sent"] == 1
    assert receiver.keys == {prompt_id: 1}


def _call(world, key, minute: int, tough: bool = True, **extra):
    at = MONDAY + timedelta(minutes=minute)
    with time_machine.travel(at, tick=False):
        response = world.client.post(f"{API}/events/call-ended", headers=key, json={
            "user_id": world.ids["agent"], "ended_at": at.isoformat(), "complaint": tough, "duration_seconds": 300,
            **extra})
    assert response.status_code == 202, response.json
    return response


def _tough_prompts(session, world):
    return session.scalars(select(Prompt).where(Prompt.user_id == world.ids["agent"],
                                                Prompt.source == "tough_calls").order_by(Prompt.due_at)).all()


def test_tough_calls_at_the_threshold_schedule_a_breathing_prompt_now_with_a_cooldown(app, world, session):
    key = _api_key(world)
    _call(world, key, 0)
    assert _tough_prompts(session, world) == []  # one is not a run (threshold 2)
    _call(world, key, 6, abusive=True)
    [prompt] = _tough_prompts(session, world)
    assert prompt.kind == "breathing" and prompt.exercise_id == "cyclic_sighing" and prompt.status == "scheduled"
    assert prompt.due_at == MONDAY + timedelta(minutes=6) and prompt.valid_until == prompt.due_at + timedelta(minutes=10)
    _call(world, key, 12)
    _call(world, key, 18)
    assert len(_tough_prompts(session, world)) == 1  # within the 30-minute cooldown
    # Past the cooldown the run since the last prompt (minutes 12, 18, 40) triggers the next one
    _call(world, key, 40)
    assert [p.due_at for p in _tough_prompts(session, world)] == [MONDAY + timedelta(minutes=6),
                                                                   MONDAY + timedelta(minutes=40)]


def test_an_ordinary_call_breaks_the_run(app, world, session):
    key = _api_key(world)
    _call(world, key, 0)
    _call(world, key, 5, tough=False)
    _call(world, key, 10)
    assert _tough_prompts(session, world) == []


def test_call_events_are_for_the_keys_organization_and_idempotent(app, world, session):
    key = _api_key(world)
    body = {"id": "9d7c3f7e-2b1a-4c55-8e0f-5a6b7c8d9e01", "user_id": world.ids["agent"],
            "ended_at": "2030-03-04T10:00:00Z", "complaint": True}
    with time_machine.travel(MONDAY, tick=False):
        assert world.client.post(f"{API}/events/call-ended", json=body, headers=key).status_code == 202
        assert world.client.post(f"{API}/events/call-ended", json=body, headers=key).status_code == 202
        assert len(session.scalars(select(CallEvent)).all()) == 1
        assert_problem(world.client.post(f"{API}/events/call-ended", json={**body, "abusive": True}, headers=key), 409)
        other = {**body, "id": None, "user_id": world.ids["other_agent"]}
        del other["id"]
        assert_problem(world.client.post(f"{API}/events/call-ended", json=other, headers=key), 404)
        assert_problem(world.client.post(f"{API}/events/call-ended", json=body, headers=world.as_("agent")), 401)


@pytest.mark.parametrize("kind, field", [("call-started", "started_at"), ("call-ended", "ended_at")])
def test_call_events_keep_to_the_diarys_window(app, world, session, kind, field):
    """Regression: year 9999 was a 500 and a far-future start held the agent's prompts indefinitely."""
    key = _api_key(world)
    outside = {"9999-12-31T23:59:59Z": "future", (MONDAY + timedelta(minutes=6)).isoformat(): "future",
               "2000-01-01T00:00:00Z": "30 days", (MONDAY - timedelta(days=30, seconds=1)).isoformat(): "30 days"}
    with time_machine.travel(MONDAY, tick=False):
        for moment, words in outside.items():
            body = assert_problem(world.client.post(f"{API}/events/{kind}", headers=key, json={
                "user_id": world.ids["agent"], field: moment}), 422)
            assert body["code"] == f"{field}_out_of_range" and words in body["errors"]["json"][field][0], body
        for moment in (MONDAY + timedelta(minutes=5), MONDAY - timedelta(days=30) + timedelta(seconds=1)):
            response = world.client.post(f"{API}/events/{kind}", headers=key,
                                         json={"user_id": world.ids["agent"], field: moment.isoformat()})
            assert response.status_code == 202, response.json
    assert len(session.scalars(select(CallEvent).where(CallEvent.user_id == world.ids["agent"])).all()) == 2
    assert kind == "call-ended" or session.scalar(select(PromptSettings.in_call_until).where(
        PromptSettings.user_id == world.ids["agent"])) <= MONDAY + timedelta(minutes=5, hours=2)


def test_a_lease_runs_from_its_claim_not_from_the_start_of_the_run(app, world, session):
    # One worker, one prompt per claim: the second claim comes 90 s into the run (a stopwatch the test holds).
    # Counted from the run's start its lease would end at +60 s, while it is still being delivered, and a second
    # dispatcher starting then would send it again; counted from the claim it ends at +150 s.
    with Receiver() as receiver:
        _device(world, receiver.url)
        first = add_prompt(app, world.ids["agent"], MONDAY)
        second = add_prompt(app, world.ids["agent"], MONDAY + timedelta(seconds=1))
        readings = iter([0.0, 0.0])
        leases: dict[str, object] = {}

        class Watched(Channel):
            """Reads each prompt's stored lease while it is being delivered."""

            def deliver(self, address, prompt, message, ttl):
                with app.app_context():
                    leases[prompt.id] = db.session.get(Prompt, prompt.id).claimed_until
                    db.session.remove()
                return super().deliver(address, prompt, message, ttl)

        with app.app_context():
            channel = Watched(keyring(), allow_private=True, timeout=QUICK, workers=1)
            counts = dispatch_due(db.session, MONDAY + timedelta(seconds=2), channel, batch_size=1,
                                  elapsed=lambda: next(readings, 90.0))
            db.session.remove()
    assert counts["sent"] == 2 and set(receiver.keys) == {first, second}
    assert leases == {first: MONDAY + timedelta(seconds=2 + 60), second: MONDAY + timedelta(seconds=2 + 90 + 60)}
    assert session.get(Prompt, first).claimed_until is None and session.get(Prompt, second).claimed_until is None
