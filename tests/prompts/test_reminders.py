"""Questionnaire reminders: the rhythm per instrument, the organization's own, one a local day, work hours and
quiet hours across DST, no push during a call, answering withdraws, planning twice changes nothing."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from api.core.keyring import keyring
from tests.conftest import PASSWORD
from tests.prompts.helpers import API, SECRET, Receiver
from wellbeing.assessments.catalog import instrument_catalog
from wellbeing.core.db import db
from wellbeing.models import Prompt
from wellbeing.prompts.dispatch import Channel, dispatch_due
from wellbeing.prompts.reminders import most_overdue, plan_reminders
from wellbeing.prompts.schedule import REMINDER_SETTLE, AgentSchedule, agent_jitter, reminder_slots

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
MONDAY_MORNING = datetime(2030, 3, 4, 6, 0, tzinfo=UTC)  # before the default 09:00-18:00 of a UTC agent


def _plan(app, now: datetime) -> dict[str, int]:
    with app.app_context():
        try:
            return plan_reminders(db.session, now, batch_size=2)
        finally:
            db.session.remove()


def _dispatch(app, now: datetime) -> dict[str, int]:
    with app.app_context():
        try:
            return dispatch_due(db.session, now, Channel(keyring(), allow_private=True, timeout=(0.5, 0.5)))
        finally:
            db.session.remove()


def _reminders(session, world, key: str = "agent") -> list[Prompt]:
    return list(session.scalars(select(Prompt).where(Prompt.user_id == world.ids[key], Prompt.kind == "questionnaire")
                                .order_by(Prompt.due_at)))


def _answer(world, instrument_id: str, at: datetime) -> None:
    answers = {item.id: min(item.values) for item in instrument_catalog()[instrument_id].items}
    with time_machine.travel(at, tick=False):
        headers = _signed_in_then(world)
        response = world.client.post(f"{API}/assessments", json={"instrument": instrument_id, "answers": answers},
                                     headers=headers)
    assert response.status_code == 201, response.json


def _signed_in_then(world) -> dict:
    """Headers of a token issued at the pinned time (one from the real clock has expired by 2030)."""
    response = world.client.post(f"{API}/auth/token", json={"email": world.emails["agent"], "password": PASSWORD})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def _profile(world, **changes) -> None:
    response = world.client.patch(f"{API}/me", json=changes, headers=world.as_("agent"))
    assert response.status_code == 200, response.json


def _enable(world, ids: list[str], rhythm: dict[str, int] | None = None) -> None:
    body = {"enabled": ids} if rhythm is None else {"enabled": ids, "reminder_days": rhythm}
    response = world.client.put(f"{API}/org/instruments", json=body, headers=world.as_("admin"))
    assert response.status_code == 200, response.json


def _live_through(app, world, session, days: int) -> list[tuple[date, str]]:
    """Plan every morning for `days` days; the agent answers each reminder when it falls due."""
    answered = []
    for day in range(days):
        morning = MONDAY_MORNING + timedelta(days=day)
        _plan(app, morning)
        for prompt in _reminders(session, world):
            if prompt.status == "scheduled" and prompt.due_at.date() == morning.date():
                _answer(world, prompt.instrument_id, prompt.due_at)
                answered.append((prompt.due_at.date(), prompt.instrument_id))
        session.expire_all()
    return answered


def test_reminders_follow_each_instruments_rhythm_most_overdue_first(app, world, session):
    # Enabled by default: burnout1 (7 days), cbi (30) and phq4 (14); never answered comes first, in catalog order
    answered = _live_through(app, world, session, 36)
    assert answered == [
        (date(2030, 3, 4), "burnout1"), (date(2030, 3, 5), "cbi"), (date(2030, 3, 6), "phq4"),
        (date(2030, 3, 11), "burnout1"), (date(2030, 3, 18), "burnout1"), (date(2030, 3, 20), "phq4"),
        (date(2030, 3, 25), "burnout1"), (date(2030, 4, 1), "burnout1"), (date(2030, 4, 3), "phq4"),
        (date(2030, 4, 4), "cbi"), (date(2030, 4, 8), "burnout1"),
    ]
    stored = _reminders(session, world)
    assert [(p.due_at.date(), p.instrument_id) for p in stored] == answered
    # Answered before they were sent: withdrawn unsent, never delivered late
    assert {(p.status, p.exercise_id, p.source) for p in stored} == {("expired", None, "schedule")}
    # Inside the default work hours, half an hour (plus the agent's fixed jitter) after the start
    jitter = agent_jitter(world.ids["agent"])
    assert {p.due_at.timetz() for p in stored} == {(datetime(2030, 1, 1, 9, tzinfo=UTC) + REMINDER_SETTLE + jitter)
                                                   .timetz()}


def test_an_organizations_own_rhythm_is_honoured(app, world, session):
    _enable(world, ["phq4", "burnout1"], {"phq4": 28, "burnout1": 14})
    answered = _live_through(app, world, session, 36)
    assert answered == [
        (date(2030, 3, 4), "burnout1"), (date(2030, 3, 5), "phq4"), (date(2030, 3, 18), "burnout1"),
        (date(2030, 4, 1), "burnout1"), (date(2030, 4, 2), "phq4"),
    ]


def test_only_enabled_instruments_and_only_agents_are_reminded(app, world, session):
    _enable(world, [])
    assert _plan(app, MONDAY_MORNING)["planned"] == 1  # org B's agent only (its defaults)
    assert _reminders(session, world) == [] and [p.instrument_id for p in _reminders(session, world, "other_agent")] \
        == ["burnout1"]
    owners = set(session.scalars(select(Prompt.user_id).where(Prompt.kind == "questionnaire")))
    assert owners == {world.ids["other_agent"]}


def test_at_most_one_reminder_a_local_day_even_when_more_are_due(app, world, session):
    _plan(app, MONDAY_MORNING)
    [first] = _reminders(session, world)
    _answer(world, first.instrument_id, first.due_at + timedelta(minutes=5))
    # cbi and phq4 are still due, yet Monday had its reminder: the next one is Tuesday's
    for hour in (10, 12, 15, 17):
        _plan(app, MONDAY_MORNING.replace(hour=hour))
    session.expire_all()
    stored = _reminders(session, world)
    assert [(p.due_at.date(), p.instrument_id, p.status) for p in stored] == [
        (date(2030, 3, 4), "burnout1", "expired"), (date(2030, 3, 5), "cbi", "scheduled")]


def test_planning_twice_is_idempotent(app, world, session):
    first = _plan(app, MONDAY_MORNING)
    ids = [p.id for p in _reminders(session, world)]
    assert first["planned"] == 4  # every agent of both organizations
    assert _plan(app, MONDAY_MORNING) == {"agents": first["agents"], "planned": 0}
    assert _plan(app, MONDAY_MORNING + timedelta(hours=2)) == {"agents": first["agents"], "planned": 0}
    session.expire_all()
    assert [p.id for p in _reminders(session, world)] == ids and len(ids) == 1
    assert session.query(Prompt).filter(Prompt.kind == "questionnaire").count() == 4


def test_reminders_stay_in_work_hours_out_of_quiet_hours_across_the_spring_dst_change(app, world, session):
    _enable(world, ["who5"])
    _profile(world, timezone="Europe/Berlin", work_hours={"days": EVERY_DAY, "start": "07:00", "end": "15:00"},
             quiet_hours={"days": EVERY_DAY, "start": "07:00", "end": "08:15"})
    # Berlin leaves CET (+1) for CEST (+2) on Sunday 2030-03-31 at 02:00
    for day in range(28, 34):
        _plan(app, datetime(2030, 3, day, 3, 0, tzinfo=UTC) if day <= 31 else datetime(2030, 4, day - 31, 3, 0,
                                                                                         tzinfo=UTC))
    stored = _reminders(session, world)
    assert [p.due_at.astimezone(BERLIN).date().day for p in stored] == [28, 29, 30, 31, 1, 2]
    # The first allowed minute after the quiet hours, local time, on both sides of the change
    assert {p.due_at.astimezone(BERLIN).time() for p in stored} == {time(8, 15)}
    assert [p.due_at.hour for p in stored] == [7, 7, 7, 6, 6, 6]
    assert all(p.valid_until.astimezone(BERLIN).time() <= time(10, 15) for p in stored)


def test_reminder_slots_never_leave_work_hours_when_the_window_starts_in_the_skipped_hour():
    schedule = AgentSchedule("agent-dst", "Europe/Berlin", {}, {"days": EVERY_DAY, "start": "02:00", "end": "06:00"},
                             {"days": EVERY_DAY, "start": "05:30", "end": "06:00"})
    slots = reminder_slots(schedule, datetime(2030, 3, 29, tzinfo=UTC), datetime(2030, 4, 3, tzinfo=UTC))
    assert [slot.day.day for slot in slots] == [29, 30, 31, 1, 2]
    jitter = agent_jitter("agent-dst")
    for slot in slots:
        local_due, local_end = slot.due_at.astimezone(BERLIN), slot.valid_until.astimezone(BERLIN)
        assert local_due.date() == slot.day and time(2, 0) <= local_due.time() and local_end.time() <= time(5, 30)
    # 02:00 does not exist on the 31st: the window opens at 03:00 CEST (01:00 UTC), the reminder 30 min later
    switch = slots[2]
    assert switch.due_at == datetime(2030, 3, 31, 1, 30, tzinfo=UTC) + jitter
    assert switch.valid_until == datetime(2030, 3, 31, 3, 30, tzinfo=UTC)  # the quiet hours at 05:30 CEST
    assert slots[1].due_at == datetime(2030, 3, 30, 1, 30, tzinfo=UTC) + jitter  # 02:30 CET


def test_most_overdue_prefers_never_answered_then_the_longest_past_its_rhythm():
    at = datetime(2030, 3, 4, 10, tzinfo=UTC)
    rhythm = {"cbi": 30, "phq4": 14, "burnout1": 7}
    last = {"cbi": at - timedelta(days=31), "phq4": at - timedelta(days=20), "burnout1": at - timedelta(days=7)}
    assert most_overdue(["cbi", "phq4", "burnout1"], rhythm, last, at) == "phq4"
    assert most_overdue(["cbi", "phq4", "who5"], rhythm | {"who5": 14}, last, at) == "who5"
    assert most_overdue(["cbi"], rhythm, {"cbi": at - timedelta(days=29)}, at) is None


def test_a_reminder_waits_out_a_live_call_and_is_delivered_after_it(app, world, session):
    key = world.client.post(f"{API}/api-keys", json={"name": "CTI"}, headers=world.as_("admin")).json["key"]
    cti = {"Authorization": f"Bearer {key}"}
    _plan(app, MONDAY_MORNING)
    [reminder] = _reminders(session, world)
    with Receiver() as receiver:
        device = world.client.post(f"{API}/me/devices", json={"channel": "webhook", "url": receiver.url,
                                                              "secret": SECRET}, headers=world.as_("agent"))
        assert device.status_code == 201
        started_at = reminder.due_at - timedelta(minutes=1)
        with time_machine.travel(started_at, tick=False):
            started = world.client.post(f"{API}/events/call-started", headers=cti, json={
                "user_id": world.ids["agent"], "started_at": started_at.isoformat()})
        assert started.status_code == 202
        _dispatch(app, reminder.due_at + timedelta(minutes=20))  # the other agents' reminders go out
        session.expire_all()
        assert session.get(Prompt, reminder.id).status == "scheduled" and receiver.bodies == []
        ended_at = reminder.due_at + timedelta(minutes=25)
        with time_machine.travel(ended_at, tick=False):
            ended = world.client.post(f"{API}/events/call-ended", headers=cti, json={
                "user_id": world.ids["agent"], "ended_at": ended_at.isoformat(), "duration_seconds": 1560})
        assert ended.status_code == 202
        assert _dispatch(app, ended_at)["sent"] == 1  # this agent's, the only one left
    assert receiver.bad_signatures == 0 and receiver.keys == {reminder.id: 1}
    assert receiver.bodies == [{"id": reminder.id, "kind": "questionnaire", "exercise_id": None,
                                "instrument_id": "burnout1", "source": "schedule",
                                "due_at": reminder.due_at.isoformat().replace("+00:00", "Z"),
                                "valid_until": reminder.valid_until.isoformat().replace("+00:00", "Z")}]
    session.expire_all()
    stored = session.get(Prompt, reminder.id)
    assert stored.status == "sent" and stored.sent_at == ended_at
    inbox = world.client.get(f"{API}/me/prompts?status=sent", headers=world.as_("agent")).json["items"]
    assert [(p["id"], p["kind"], p["instrument_id"], p["exercise_id"]) for p in inbox] == [
        (reminder.id, "questionnaire", "burnout1", None)]


def test_answering_settles_the_instruments_reminders_and_leaves_the_others_alone(app, world, session):
    _plan(app, MONDAY_MORNING)
    [monday] = _reminders(session, world)
    _dispatch(app, monday.due_at)
    session.expire_all()
    assert (monday.instrument_id, session.get(Prompt, monday.id).status) == ("burnout1", "sent")
    _answer(world, "cbi", monday.due_at + timedelta(hours=1))
    session.expire_all()
    assert session.get(Prompt, monday.id).status == "sent"  # another instrument's answer changes nothing
    _plan(app, MONDAY_MORNING + timedelta(days=1))  # burnout1 is still the most overdue on Tuesday
    session.expire_all()
    tuesday = _reminders(session, world)[1]
    assert (tuesday.instrument_id, tuesday.status) == ("burnout1", "scheduled")
    answered_at = tuesday.due_at - timedelta(hours=1)
    _answer(world, "burnout1", answered_at)
    session.expire_all()
    done, withdrawn = session.get(Prompt, monday.id), session.get(Prompt, tuesday.id)
    assert (done.status, done.completed_at) == ("completed", answered_at)
    assert (withdrawn.status, withdrawn.expired_at, withdrawn.sent_at) == ("expired", answered_at, None)
    _dispatch(app, tuesday.due_at)
    session.expire_all()
    assert session.get(Prompt, tuesday.id).status == "expired"
    listed = world.client.get(f"{API}/me/prompts?status=completed", headers=world.as_("agent")).json["items"]
    assert [(p["id"], p["instrument_id"]) for p in listed] == [(monday.id, "burnout1")]


def test_a_change_of_hours_drops_a_misplaced_reminder_and_the_next_run_plans_it_in_the_new_hours(app, world, session):
    _plan(app, MONDAY_MORNING)
    [old] = _reminders(session, world)
    old_id = old.id
    with time_machine.travel(MONDAY_MORNING, tick=False):
        _profile(world, work_hours={"days": [1, 2, 3, 4, 5], "start": "13:00", "end": "21:00"})
    session.expunge_all()
    assert session.get(Prompt, old_id) is None
    _plan(app, MONDAY_MORNING + timedelta(minutes=5))
    [new] = _reminders(session, world)
    assert new.instrument_id == "burnout1"
    assert new.due_at == datetime(2030, 3, 4, 13, 30, tzinfo=UTC) + agent_jitter(world.ids["agent"])


def test_every_day_has_at_most_one_reminder(app, world, session):
    _enable(world, ["brs", "burnout1", "cbi", "phq4", "pss10", "who5"])
    _profile(world, work_hours={"days": EVERY_DAY, "start": "22:00", "end": "06:00"})
    for hour in range(0, 24 * 5, 5):
        _plan(app, MONDAY_MORNING + timedelta(hours=hour))
    stored = _reminders(session, world)
    per_day = Counter(p.due_at.date() for p in stored)
    assert len(stored) >= 5 and max(per_day.values()) == 1
    assert all(p.due_at.time() >= time(22, 30) for p in stored)
