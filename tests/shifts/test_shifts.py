"""Imported shifts: the integration's PUT, the agent's GET, and prompts planned in the shifts (DST included)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from tests.prompts.helpers import API
from wellbeing.models import Prompt, Shift, ShiftCoverage

UTC = timezone.utc
# Monday 2030-03-04 (Asia/Shanghai, UTC+8, no DST)
DAY = datetime(2030, 3, 4, tzinfo=UTC)


def _key(world) -> dict:
    key = world.client.post(f"{API}/api-keys", json={"name": "WFM"}, headers=world.as_("admin")).json["key"]
    return {"Authorization": f"Bearer {key}"}


def _profile(world, key="agent", **changes):
    response = world.client.patch(f"{API}/me", json=changes, headers=world.as_(key))
    assert response.status_code == 200, response.json


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _shift_body(start: datetime, end: datetime, range_from: datetime, range_to: datetime, activities=()):
    return {"from": _iso(range_from), "to": _iso(range_to), "shifts": [
        {"start": _iso(start), "end": _iso(end),
         "activities": [{"kind": kind, "start": _iso(a), "end": _iso(b)} for kind, a, b in activities]}]}


def _flat(errors: dict, prefix: str = "") -> set[str]:
    """Field paths of a problem's errors, nested (marshmallow) or dotted (the domain) alike."""
    paths = set()
    for key, value in errors.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        paths.add(path)
        if isinstance(value, dict):
            paths |= _flat(value, path)
    return paths


def _put(world, headers, body, user="agent"):
    return world.client.put(f"{API}/users/{world.ids[user]}/shifts", json=body, headers=headers)


def _dues(session, user_id):
    return [(p.kind, p.due_at) for p in session.scalars(
        select(Prompt).where(Prompt.user_id == user_id, Prompt.status == "scheduled").order_by(Prompt.due_at))]


SH = "Asia/Shanghai"


def _day_body():
    """A 10:00-18:00 Shanghai shift on Monday with a break, a meal and a meeting; the range is the local day."""
    start, end = _local(SH, 2030, 3, 4, 10), _local(SH, 2030, 3, 4, 18)
    activities = [("break", _local(SH, 2030, 3, 4, 11, 30), _local(SH, 2030, 3, 4, 11, 45)),
                  ("meal", _local(SH, 2030, 3, 4, 13), _local(SH, 2030, 3, 4, 14)),
                  ("meeting", _local(SH, 2030, 3, 4, 15), _local(SH, 2030, 3, 4, 16))]
    return _shift_body(start, end, _local(SH, 2030, 3, 4), _local(SH, 2030, 3, 5), activities)


def test_an_import_replaces_the_range_is_idempotent_and_the_agent_reads_it_back(app, world, session):
    _profile(world, timezone=SH)
    key = _key(world)
    body = _day_body()
    with time_machine.travel(DAY - timedelta(days=1), tick=False):
        first = _put(world, key, body)
        assert first.status_code == 200, first.json
        assert first.json == body
        stored = session.scalars(select(Shift.id)).all()
        again = _put(world, key, body)
        assert again.status_code == 200 and again.json == body
        # The same body twice changes nothing: the same rows, one coverage stretch
        assert session.scalars(select(Shift.id)).all() == stored
        assert len(session.scalars(select(ShiftCoverage.id)).all()) == 1
        # An admin may import too; an empty list leaves the day covered without shifts (a day off)
        off = dict(body, shifts=[])
        replaced = _put(world, world.login("admin"), off)
        assert replaced.status_code == 200, replaced.json
        assert replaced.json["shifts"] == []
        assert session.scalars(select(Shift.id)).all() == []
        assert _put(world, key, body).status_code == 200
    got = world.client.get(f"{API}/me/shifts", query_string={"from": body["from"], "to": body["to"]},
                           headers=world.as_("agent"))
    assert got.status_code == 200 and got.json == body
    other = world.client.get(f"{API}/me/shifts", query_string={"from": "2030-03-05T00:00:00Z",
                                                               "to": "2030-03-06T00:00:00Z"},
                             headers=world.as_("agent"))
    assert other.json["shifts"] == []


def test_who_may_import_and_read_shifts(app, world, session):
    body = _day_body()
    other_key = {"Authorization": "Bearer " + world.client.post(
        f"{API}/api-keys", json={"name": "B"}, headers=world.as_("other_admin")).json["key"]}
    # Another organization's key or admin cannot tell the user exists
    assert _put(world, other_key, body).status_code == 404
    assert _put(world, world.as_("other_admin"), body).status_code == 404
    for role in ("supervisor", "hr", "agent"):
        assert _put(world, world.as_(role), body).status_code == 403
    assert _put(world, {"Authorization": "Bearer wbk_not-a-key"}, body).status_code == 401
    query = {"from": body["from"], "to": body["to"]}
    for role in ("supervisor", "hr", "admin"):
        assert world.client.get(f"{API}/me/shifts", query_string=query, headers=world.as_(role)).status_code == 403
    assert session.scalars(select(Shift.id)).all() == []


@pytest.mark.parametrize("change, field", [
    (lambda b: b["shifts"][0].update(end=b["shifts"][0]["start"]), "shifts.0.end"),
    (lambda b: b["shifts"][0].update(start="2030-03-09T00:00:00Z", end="2030-03-09T08:00:00Z"), "shifts.0.start"),
    (lambda b: b["shifts"][0]["activities"][0].update(kind="nap"), "shifts.0.activities.0.kind"),
    (lambda b: b["shifts"][0]["activities"][0].update(end="2030-03-05T00:00:00Z"), "shifts.0.activities.0.end"),
    (lambda b: b["shifts"].append(dict(b["shifts"][0])), "shifts"),
    (lambda b: b.update(to="2030-06-01T00:00:00Z"), "to"),
    (lambda b: b.update(to="2030-03-04"), "to"),
    (lambda b: b.update(extra=1), "extra"),
])
def test_bad_imports_are_422_naming_the_field_and_store_nothing(app, world, session, change, field):
    key = _key(world)
    body = _day_body()
    change(body)
    response = _put(world, key, body)
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in _flat(response.json["errors"]["json"])
    assert session.scalars(select(Shift.id)).all() == [] and session.scalars(select(ShiftCoverage.id)).all() == []


def test_prompts_follow_the_shift_not_the_work_hours_and_keep_clear_of_activities(app, world, session):
    _profile(world, timezone=SH, work_hours={"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "12:00"})
    key = _key(world)
    body = _day_body()
    with time_machine.travel(DAY - timedelta(hours=12), tick=False):  # Sunday 20:00 in Shanghai
        assert _put(world, key, body).status_code == 200
    monday = [(k, d) for k, d in _dues(session, world.ids["agent"])
              if d.astimezone(ZoneInfo(SH)).date() == DAY.date()]
    assert monday
    shift = (_local(SH, 2030, 3, 4, 10), _local(SH, 2030, 3, 4, 18))
    scheduled_break = (_local(SH, 2030, 3, 4, 11, 30), _local(SH, 2030, 3, 4, 11, 45))
    meal = (_local(SH, 2030, 3, 4, 13), _local(SH, 2030, 3, 4, 14))
    meeting = (_local(SH, 2030, 3, 4, 15), _local(SH, 2030, 3, 4, 16))
    for kind, due in monday:
        assert shift[0] <= due < shift[1], (kind, due)
        for off_start, off_end in (scheduled_break, meal, meeting):
            assert not off_start <= due < off_end, (kind, due)
        if kind == "break":
            assert due + timedelta(minutes=5) <= meal[0] - timedelta(minutes=20) or due >= meal[1] + timedelta(minutes=20)
            assert (due + timedelta(minutes=5) <= scheduled_break[0] - timedelta(minutes=20)
                    or due >= scheduled_break[1] + timedelta(minutes=20)), due
            assert not meeting[0] - timedelta(minutes=5) < due < meeting[1]
    # Tuesday is not covered by the import: the profile's work hours (08:00-12:00) still apply there
    tuesday = [d for _, d in _dues(session, world.ids["agent"]) if d.astimezone(ZoneInfo(SH)).date() == DAY.date() + timedelta(days=1)]
    assert tuesday and all(8 <= d.astimezone(ZoneInfo(SH)).hour < 12 for d in tuesday)


def test_a_same_day_change_replans_without_duplicates(app, world, session):
    _profile(world, timezone=SH)
    key = _key(world)
    body = _day_body()
    with time_machine.travel(DAY - timedelta(hours=12), tick=False):
        assert _put(world, key, body).status_code == 200
    before = _dues(session, world.ids["agent"])
    # At 11:00 Shanghai the shift is cut to end at 14:00: nothing after that stays, nothing is doubled
    now = _local(SH, 2030, 3, 4, 11)
    body["shifts"][0]["end"] = _iso(_local(SH, 2030, 3, 4, 14))
    body["shifts"][0]["activities"] = body["shifts"][0]["activities"][:2]
    with time_machine.travel(now, tick=False):
        assert _put(world, key, body).status_code == 200
        assert _put(world, key, body).status_code == 200
    after = _dues(session, world.ids["agent"])
    assert len(after) == len(set(after))
    monday_after = [d for _, d in after if d.astimezone(ZoneInfo(SH)).date() == DAY.date()]
    assert all(d < _local(SH, 2030, 3, 4, 14) for d in monday_after if d >= now)
    assert [x for x in before if x[1] < now] == [x for x in after if x[1] < now]  # the past is left alone
    assert any(d >= _local(SH, 2030, 3, 4, 14) for _, d in before if d.astimezone(ZoneInfo(SH)).date() == DAY.date())


@pytest.mark.parametrize("day", [datetime(2030, 3, 10), datetime(2030, 11, 3)])  # spring forward, fall back
def test_a_night_shift_across_a_dst_switch(app, world, session, day):
    zone = "America/New_York"
    _profile(world, timezone=zone)
    key = _key(world)
    start = _local(zone, day.year, day.month, day.day - 1, 22)
    end = start + timedelta(hours=8)  # eight real hours, whatever the wall clock says
    body = _shift_body(start, end, start - timedelta(hours=2), end + timedelta(hours=2),
                       [("break", start + timedelta(hours=4), start + timedelta(hours=4, minutes=30))])
    with time_machine.travel(start - timedelta(hours=3), tick=False):
        assert _put(world, key, body).status_code == 200
    dues = [(k, d) for k, d in _dues(session, world.ids["agent"]) if start - timedelta(hours=2) <= d < end + timedelta(hours=2)]
    assert dues and len({d for _, d in dues}) == len(dues)
    assert all(start <= d < end for _, d in dues)
    assert all(not start + timedelta(hours=4) <= d < start + timedelta(hours=4, minutes=30) for _, d in dues)
    gaps = [b - a for (_, a), (_, b) in zip(dues, dues[1:])]
    assert all(gap >= timedelta(minutes=15) for gap in gaps)


def test_questionnaire_reminders_wait_for_the_imported_shift(app, world, session):
    from wellbeing.core.db import db
    from wellbeing.prompts.reminders import plan_reminders

    _profile(world, timezone=SH)
    key = _key(world)
    body = _day_body()  # the shift starts at 10:00 Shanghai, not at the profile's 09:00
    with time_machine.travel(DAY - timedelta(hours=12), tick=False):
        assert _put(world, key, body).status_code == 200
    with app.app_context():
        assert plan_reminders(db.session, DAY - timedelta(hours=12))["planned"] >= 1
        db.session.remove()
    [reminder] = session.scalars(select(Prompt).where(Prompt.kind == "questionnaire",
                                                      Prompt.user_id == world.ids["agent"])).all()
    start = _local(SH, 2030, 3, 4, 10, 30)
    assert start <= reminder.due_at <= start + timedelta(seconds=120)


def test_concurrent_imports_of_one_agent_never_double_a_shift(app, world, session):
    from concurrent.futures import ThreadPoolExecutor

    key = _key(world)
    body = _day_body()

    def put(_):
        with app.test_client() as client:
            return client.put(f"{API}/users/{world.ids['agent']}/shifts", json=body, headers=key).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(put, range(6))) == {200}
    assert len(session.scalars(select(Shift.id)).all()) == 1
    assert len(session.scalars(select(ShiftCoverage.id)).all()) == 1
