"""Insights cache what they sum from an agent's settled (past) days under users.diary_revision (SettledDays).

Every change to a settled day raises the revision in its own transaction, so the cached answer is always the
answer read from the database: after each such change the insights equal an uncached read and differ from the
answer before it. An entry of today leaves the revision (and the cache) alone and still counts, from the raw
entries of the window's last day. The clock is pinned (time-machine)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from wellbeing import data_rights
from wellbeing.core.db import db
from wellbeing.diary import insights, rollup
from wellbeing.models import User

API = "/api/v1"
INSIGHTS = f"{API}/diary/insights?days=30"


def _zone(app, user_id: str) -> ZoneInfo:
    with app.app_context():
        tz_name = db.session.scalar(select(User.timezone).where(User.id == user_id))
        db.session.remove()
    return ZoneInfo(tz_name)


def _pinned_at_local(world, app, hour: int, minute: int = 0):
    """The clock pinned at hour:minute of the agent's local day (today's, or tomorrow's when that is nearer)."""
    local = now_utc().astimezone(_zone(app, world.ids["agent"])).replace(hour=hour, minute=minute, second=0,
                                                                          microsecond=0)
    world.headers.clear()  # sign in again at the pinned time (tokens issued earlier may have expired by then)
    return time_machine.travel(local.astimezone(timezone.utc), tick=False), local.astimezone(timezone.utc)


@pytest.fixture
def now(world, app):
    # Local noon in the agent's zone: an entry of "today" lies hours from either end of the day.
    travel, moment = _pinned_at_local(world, app, 12)
    with travel:
        yield moment


def _entry(at: datetime, **overrides) -> dict:
    body = {"id": str(uuid.uuid4()), "occurred_at": at.isoformat(), "emotion": "frustrated", "intensity": 7,
            "triggers": ["customer_complaint"], "signals": ["headache"], "stress": 6, "coping": ["deep_breathing"]}
    return body | overrides


def _insights(world) -> dict:
    response = world.client.get(INSIGHTS, headers=world.as_("agent"))
    assert response.status_code == 200, response.json
    return response.json


def _uncached(world) -> dict:
    insights.SETTLED_DAYS.clear()
    return _insights(world)


def _revision(app, user_id: str) -> int:
    with app.app_context():
        revision = db.session.scalar(select(User.diary_revision).where(User.id == user_id))
        db.session.remove()
    return revision


def _history(world, now: datetime) -> list[dict]:
    """Ten entries on ten past days, stored as a batch (which raises the revision: they are settled)."""
    bodies = [_entry(now - timedelta(days=2 + n, hours=n % 5), emotion=("calm", "angry", "tired")[n % 3],
                     intensity=1 + n % 9) for n in range(10)]
    response = world.client.post(f"{API}/diary/batch", json={"entries": bodies}, headers=world.as_("agent"))
    assert response.status_code == 200 and {r["status"] for r in response.json["results"]} == {"created"}
    return bodies


def _backdated_post(world, app, now, bodies):
    agent = world.as_("agent")
    # Twice: a token's second POST takes the path whose INSERT carries the sign-in check (one CTE on PostgreSQL).
    for days in (3, 5):
        response = world.client.post(f"{API}/diary", json=_entry(now - timedelta(days=days), emotion="sad"),
                                     headers=agent)
        assert response.status_code == 201, response.json


def _batch(world, app, now, bodies):
    batch = [_entry(now - timedelta(days=4, hours=n), emotion="anxious") for n in range(3)]
    response = world.client.post(f"{API}/diary/batch", json={"entries": batch}, headers=world.as_("agent"))
    assert response.status_code == 200, response.json


def _edit_the_day(world, app, now, bodies):
    response = world.client.patch(f"{API}/diary/{bodies[4]['id']}", headers=world.as_("agent"),
                                  json={"occurred_at": (now - timedelta(days=9)).isoformat()})
    assert response.status_code == 200, response.json


def _edit_the_tags(world, app, now, bodies):
    response = world.client.patch(f"{API}/diary/{bodies[1]['id']}", headers=world.as_("agent"),
                                  json={"triggers": ["long_call", "system_issue"], "signals": []})
    assert response.status_code == 200, response.json


def _delete(world, app, now, bodies):
    assert world.client.delete(f"{API}/diary/{bodies[2]['id']}", headers=world.as_("agent")).status_code == 204


def _time_zone(world, app, now, bodies):
    response = world.client.patch(f"{API}/me", json={"timezone": "America/Los_Angeles"}, headers=world.as_("agent"))
    assert response.status_code == 200, response.json


def _retention(world, app, now, bodies):
    assert world.client.patch(f"{API}/org", json={"retention_days": 30}, headers=world.as_("admin")).status_code == 200
    with app.app_context():  # the purge as it runs 25 days on: the entries older than 5 days now are due
        counts = data_rights.purge_expired(db.session, now + timedelta(days=25))
        db.session.remove()
    assert counts["diary_entries"] > 0


CHANGES = [_backdated_post, _batch, _edit_the_day, _edit_the_tags, _delete, _time_zone, _retention]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__.strip("_") for change in CHANGES])
def test_every_change_to_a_settled_day_reaches_the_cached_insights(app, world, now, change):
    bodies = _history(world, now)
    before = _insights(world)
    assert before["entries"] == 10 and _insights(world) == before  # the second read is served from the cache
    revision = _revision(app, world.ids["agent"])
    change(world, app, now, bodies)
    assert _revision(app, world.ids["agent"]) > revision
    after = _insights(world)
    assert after != before
    assert after == _uncached(world)


def test_an_entry_of_today_leaves_the_cache_valid_and_still_counts(app, world, now):
    _history(world, now)
    before = _insights(world)
    revision = _revision(app, world.ids["agent"])
    for hours in (1, 2):  # the second POST of a token is the guarded one
        response = world.client.post(f"{API}/diary", json=_entry(now - timedelta(hours=hours), emotion="happy"),
                                     headers=world.as_("agent"))
        assert response.status_code == 201
    assert _revision(app, world.ids["agent"]) == revision
    after = _insights(world)
    assert after["entries"] == before["entries"] + 2 and after["by_emotion"]["happy"] == 2
    assert after == _uncached(world)


def test_another_agents_writes_leave_the_cache_alone(app, world, now):
    _history(world, now)
    before = _insights(world)
    revision = _revision(app, world.ids["agent"])
    response = world.client.post(f"{API}/diary", json=_entry(now - timedelta(days=3)), headers=world.as_("agent2"))
    assert response.status_code == 201
    assert _revision(app, world.ids["agent"]) == revision and _revision(app, world.ids["agent2"]) > 0
    assert _insights(world) == before


def test_a_day_counts_as_settled_from_the_clock_skew_before_its_end():
    tz = ZoneInfo("America/New_York")
    # 2026-11-01 is 25 hours long there (DST ends at 02:00 local).
    day = rollup.local_day(datetime(2026, 11, 1, 12, tzinfo=tz), tz)
    morning = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=tz)  # the second 01:30, after the clocks went back
    assert not rollup.settled_day(day, tz, morning)
    assert rollup.settled_day(day - 1, tz, morning)
    end = datetime(2026, 11, 2, 0, 0, tzinfo=tz)
    assert not rollup.settled_day(day, tz, end - rollup.CLOCK_SKEW - timedelta(seconds=1))
    assert rollup.settled_day(day, tz, end - rollup.CLOCK_SKEW)
    assert rollup.settled([(day + 1, "day", ""), (day, "hour", "23")], tz, end - rollup.CLOCK_SKEW)
    assert not rollup.settled([(day + 1, "day", "")], tz, end - rollup.CLOCK_SKEW)


@pytest.mark.parametrize("minute, raised", [(54, False), (56, True)])
def test_an_entry_posted_minutes_before_local_midnight_raises_the_revision(app, world, minute, raised):
    travel, late = _pinned_at_local(world, app, 23, minute)
    with travel:
        revision = _revision(app, world.ids["agent"])
        for seconds in (30, 20):  # the second POST of a token is the guarded one
            response = world.client.post(f"{API}/diary", json=_entry(late - timedelta(seconds=seconds)),
                                         headers=world.as_("agent"))
            assert response.status_code == 201
    # Another server's clock may already be in tomorrow (up to CLOCK_SKEW): its cached "yesterday" must not miss
    # an entry of the last minutes of today.
    assert _revision(app, world.ids["agent"]) == revision + (2 if raised else 0)


def test_the_cache_is_bounded_by_the_figures_it_holds():
    held = insights.SettledDays(max_rows=8)
    summary = insights.Summary.of({("emotion", "calm"): (1, 0, 3, 3, 0, 0)},
                                  {day: (1, 0, 3, 3, 0, 0) for day in range(3)})  # Thursday 1970-01-01 to Saturday
    assert summary.size() == 1 + 1 + 1  # one total, one week, the weekdays
    held.put(("a",), 1, summary)
    held.put(("b",), 1, summary)
    assert held.rows == 6 and held.get(("a",), 1) is summary
    assert held.get(("a",), 2) is None  # another revision: a miss
    held.put(("c",), 1, summary)  # over the bound: the least recently used ("b") goes
    assert held.rows == 6 and held.get(("b",), 1) is None and held.get(("c",), 1) is summary
    big = insights.Summary.of({("hour", str(h)): (1, 0, 0, 0, 0, 0) for h in range(24)}, {})
    held.put(("d",), 1, big)  # larger than the whole cache: not held
    assert held.get(("d",), 1) is None and held.rows == 6


def test_a_summary_sums_weekdays_and_weeks_as_the_days_add_up():
    monday = 4  # 1970-01-05
    daily = {monday: (2, 1, 9, -1, 0, 0), monday + 6: (1, 0, 4, 4, 3, 1), monday + 7: (3, 3, 15, -15, 0, 0)}
    whole = insights.Summary.of({}, {d: v for d, v in daily.items() if d != monday + 7})
    part = insights.Summary.of({}, {monday + 7: daily[monday + 7]})
    both = whole.plus(part)
    assert both == insights.Summary.of({}, daily)
    assert both.weekdays[0] == (5, 4, 24) and both.weekdays[6] == (1, 0, 4)  # Mondays; the Sunday
    assert both.weeks == {monday: (3, 1, 3), monday + 7: (3, 3, -15)}
