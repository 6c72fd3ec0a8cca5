"""Reminders: 24 h and 1 h before, to both parties, in their own zone; never for a moved or cancelled session."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.counseling.helpers import (
    API, T0, answer, hr_patch_appointment, iso, pinned, proposed, self_refer, set_timezone,
)
from wellbeing.counseling.reminders import due_reminders, send_counseling_reminders
from wellbeing.core.db import db, write_intent
from wellbeing.models import CounselingAppointment, CounselingReminder

START = datetime(2030, 3, 4, 14, 0, tzinfo=timezone.utc)  # agent: 22:00 Shanghai; HR: 09:00 New York


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _setup(world, starts_at=START, accept=True):
    """Agent in Shanghai, HR in New York; a self-referral with one appointment proposed at T0."""
    with pinned(world, T0):
        set_timezone(world, "agent", "Asia/Shanghai")
        set_timezone(world, "hr", "America/New_York")
        case = self_refer(world)
        appointment = proposed(world, case["id"], starts_at)
        if accept:
            assert answer(world, appointment["id"], "accept").status_code == 200
    return case, appointment


def _send(app, now):
    """The scheduler job at a pinned instant, in its own app context (as the scheduler runs it)."""
    with app.app_context():
        try:
            return send_counseling_reminders(db.session, now)
        finally:
            db.session.remove()


def _pending(session, appointment_id=None):
    stmt = select(CounselingReminder).where(CounselingReminder.status == "pending")
    if appointment_id:
        stmt = stmt.where(CounselingReminder.appointment_id == appointment_id)
    session.expire_all()
    return sorted((r.recipient_id, r.kind, r.due_at) for r in session.scalars(stmt))


def _inbox(world, key, when):
    with pinned(world, when):
        return [n["message"] for n in world.client.get(f"{API}/me/counseling/notifications",
                                                       headers=world.as_(key)).json["items"]]


def test_a_proposal_plans_reminders_24h_and_1h_before_for_both_parties(world, session):
    _, appointment = _setup(world, accept=False)
    agent, hr = world.ids["agent"], world.ids["hr"]
    assert _pending(session, appointment["id"]) == sorted([
        (agent, "24h", _utc(2030, 3, 3, 14)), (hr, "24h", _utc(2030, 3, 3, 14)),
        (agent, "1h", _utc(2030, 3, 4, 13)), (hr, "1h", _utc(2030, 3, 4, 13))])


def test_accepting_keeps_the_planned_reminders(world, session):
    _, appointment = _setup(world, accept=True)
    assert len(_pending(session, appointment["id"])) == 4


def test_reminders_go_out_when_due_with_each_partys_local_time(app, world, session):
    _setup(world)
    assert _send(app, _utc(2030, 3, 3, 13, 59, 59)) == {"sent": 0, "skipped": 0}
    assert _send(app, _utc(2030, 3, 3, 14)) == {"sent": 2, "skipped": 0}
    assert _send(app, _utc(2030, 3, 3, 14, 5)) == {"sent": 0, "skipped": 0}
    assert _inbox(world, "agent", _utc(2030, 3, 3, 14, 10)) == [
        "Reminder: your counseling session is on 2030-03-04 22:00 (Asia/Shanghai), by video call."]
    assert _inbox(world, "hr", _utc(2030, 3, 3, 14, 10)) == [
        "Reminder: counseling session with Agent on 2030-03-04 09:00 (America/New_York), by video call."]
    assert _send(app, _utc(2030, 3, 4, 13)) == {"sent": 2, "skipped": 0}
    assert len(_inbox(world, "agent", _utc(2030, 3, 4, 13, 1))) == 2


def test_reminder_text_follows_the_recipients_language(app, world, session):
    with pinned(world, T0):
        world.client.patch(f"{API}/me", json={"locale": "zh-CN"}, headers=world.as_("agent"))
    _setup(world)
    _send(app, _utc(2030, 3, 3, 14))
    assert _inbox(world, "agent", _utc(2030, 3, 3, 14, 1)) == [
        "提醒：您的心理辅导预约在 2030-03-04 22:00（Asia/Shanghai），方式：视频。"]


def test_a_proposed_session_reminds_the_agent_to_answer(app, world, session):
    _setup(world, accept=False)
    _send(app, _utc(2030, 3, 3, 14))
    assert _inbox(world, "agent", _utc(2030, 3, 3, 14, 1)) == [
        "A counseling session is proposed for 2030-03-04 22:00 (Asia/Shanghai), by video call. "
        "Please accept, decline or ask to reschedule."]
    assert _inbox(world, "hr", _utc(2030, 3, 3, 14, 1)) == [
        "Reminder: the counseling session you proposed to Agent for 2030-03-04 09:00 (America/New_York) "
        "is not accepted yet."]


def test_a_cancelled_session_sends_no_reminder(app, world, session):
    _, appointment = _setup(world)
    with pinned(world, T0 + timedelta(hours=1)):
        assert hr_patch_appointment(world, appointment["id"], state="cancelled").status_code == 200
    assert _pending(session) == []
    for when in (_utc(2030, 3, 3, 14), _utc(2030, 3, 4, 13)):
        assert _send(app, when) == {"sent": 0, "skipped": 0}
    assert _inbox(world, "agent", _utc(2030, 3, 4, 13, 1)) == [] and _inbox(world, "hr", _utc(2030, 3, 4, 13, 1)) == []


def test_a_declined_or_reschedule_requested_session_sends_no_reminder(app, world, session):
    _, declined = _setup(world, accept=False)
    with pinned(world, T0):
        case = self_refer(world, "agent2")
        asked = proposed(world, case["id"], START + timedelta(hours=2))
        answer(world, declined["id"], "decline")
        answer(world, asked["id"], "reschedule-request", key="agent2")
    assert _pending(session) == []
    assert _send(app, _utc(2030, 3, 4, 15)) == {"sent": 0, "skipped": 0}


def test_a_rescheduled_session_reminds_only_of_the_new_time(app, world, session):
    _, appointment = _setup(world)
    new_start = START + timedelta(days=1)
    with pinned(world, T0 + timedelta(hours=1)):
        hr_patch_appointment(world, appointment["id"], starts_at=iso(new_start))
    assert sorted(due for _, _, due in _pending(session, appointment["id"])) == [
        _utc(2030, 3, 4, 14), _utc(2030, 3, 4, 14), _utc(2030, 3, 5, 13), _utc(2030, 3, 5, 13)]
    assert _send(app, _utc(2030, 3, 3, 14)) == {"sent": 0, "skipped": 0}
    assert _send(app, _utc(2030, 3, 4, 14)) == {"sent": 2, "skipped": 0}
    assert _inbox(world, "agent", _utc(2030, 3, 4, 14, 1)) == [
        "A counseling session is proposed for 2030-03-05 22:00 (Asia/Shanghai), by video call. "
        "Please accept, decline or ask to reschedule."]


def test_a_reminder_whose_session_changed_behind_its_back_is_skipped(app, world, session):
    _, appointment = _setup(world)
    # Simulate a change that did not re-plan (a crash between commit and re-planning, an old row).
    row = session.get(CounselingAppointment, appointment["id"])
    row.starts_at, row.ends_at = START + timedelta(hours=5), START + timedelta(hours=6)
    session.commit()
    assert _send(app, _utc(2030, 3, 3, 14)) == {"sent": 0, "skipped": 2}
    assert _inbox(world, "agent", _utc(2030, 3, 3, 14, 1)) == []


def test_a_late_run_does_not_remind_of_a_session_already_started(app, world, session):
    _setup(world)
    assert _send(app, START + timedelta(minutes=1)) == {"sent": 0, "skipped": 4}


def test_reminders_whose_moment_has_passed_are_not_planned(world, session):
    _, appointment = _setup(world, starts_at=T0 + timedelta(hours=5), accept=False)
    assert [kind for _, kind, _ in _pending(session, appointment["id"])] == ["1h", "1h"]


def test_hr_is_nudged_at_nine_in_their_zone_on_the_follow_up_day(app, world, session):
    case, _ = _setup(world)
    with pinned(world, T0):
        world.client.patch(f"{API}/counseling/cases/{case['id']}", json={"next_follow_up_on": "2030-03-20"},
                           headers=world.as_("hr"))
    follow_ups = [r for r in _pending(session) if r[1] == "follow_up"]
    # 09:00 in New York on 2030-03-20 is daylight time (UTC-4): 13:00 UTC.
    assert follow_ups == [(world.ids["hr"], "follow_up", _utc(2030, 3, 20, 13))]
    assert _send(app, _utc(2030, 3, 20, 12, 59))["sent"] == 0
    _send(app, _utc(2030, 3, 20, 13))
    assert _inbox(world, "hr", _utc(2030, 3, 20, 13, 1))[0] == \
        "Follow-up due on 2030-03-20 for the counseling case of Agent."


def test_moving_or_clearing_the_follow_up_replaces_the_nudge(app, world, session):
    case, _ = _setup(world)
    url = f"{API}/counseling/cases/{case['id']}"
    with pinned(world, T0):
        world.client.patch(url, json={"next_follow_up_on": "2030-03-20"}, headers=world.as_("hr"))
        world.client.patch(url, json={"next_follow_up_on": "2030-03-25"}, headers=world.as_("hr"))
        moved = [r for r in _pending(session) if r[1] == "follow_up"]
        world.client.patch(url, json={"next_follow_up_on": None}, headers=world.as_("hr"))
    assert moved == [(world.ids["hr"], "follow_up", _utc(2030, 3, 25, 13))]
    assert [r for r in _pending(session) if r[1] == "follow_up"] == []
    # No nudge any more; the session's own reminders are too late by then and are dropped.
    assert _send(app, _utc(2030, 3, 26)) == {"sent": 0, "skipped": 4}


def test_due_reminders_claims_oldest_first_up_to_the_limit(app, world):
    _setup(world)
    with app.app_context(), write_intent():
        claimed = due_reminders(db.session, _utc(2030, 3, 5), 3)
        assert [(r.kind, r.due_at) for r in claimed] == [
            ("24h", _utc(2030, 3, 3, 14)), ("24h", _utc(2030, 3, 3, 14)), ("1h", _utc(2030, 3, 4, 13))]
        db.session.remove()


def test_two_claimers_never_get_the_same_reminder(app, world):
    _setup(world)
    now = _utc(2030, 3, 5)
    with app.app_context():
        one, two = Session(db.engine), Session(db.engine)
        try:
            with write_intent():
                first = due_reminders(one, now, 2)
                if db.engine.dialect.name == "sqlite":
                    # SQLite has one writer at a time: the second claimer waits until the first settles its batch.
                    for reminder in first:
                        reminder.status = "sent"
                    one.commit()
                second = due_reminders(two, now, 10)
            assert len(first) == 2 and len(second) == 2 and not {r.id for r in first} & {r.id for r in second}
        finally:
            one.close()
            two.close()


def test_follow_up_dates_are_days_not_instants(world, session):
    case, _ = _setup(world)
    with pinned(world, T0):
        world.client.patch(f"{API}/counseling/cases/{case['id']}", json={"next_follow_up_on": "2030-03-02"},
                           headers=world.as_("hr"))
    # HR's today in New York is 2030-03-01 at T0 (01:00 UTC), so the 2nd is tomorrow: due at 09:00 EST = 14:00 UTC.
    reminder = session.scalar(select(CounselingReminder).where(CounselingReminder.kind == "follow_up"))
    assert (reminder.for_date, reminder.due_at) == (date(2030, 3, 2), _utc(2030, 3, 2, 14))
