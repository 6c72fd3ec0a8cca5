"""The diary's daily roll-up (diary_rollups) stays equal to the sums of the raw entries through every write path:
single creates and replays, batches, edits, deletes, a new time zone, retention and erasure; the command line
rebuilds and checks it; and insights read it."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from tests.conftest import now_utc
from wellbeing import data_rights
from wellbeing.core.db import db
from wellbeing.diary import rollup
from wellbeing.models import DiaryEntry, DiaryRollup, User

API = "/api/v1"


def _entry(hours_ago: float, **overrides) -> dict:
    body = {"id": str(uuid.uuid4()), "occurred_at": (now_utc() - timedelta(hours=hours_ago)).isoformat(),
            "emotion": "frustrated", "intensity": 7, "triggers": ["customer_complaint"], "signals": ["headache"],
            "stress": 6, "coping": ["deep_breathing"], "note": "queue again"}
    body.update(overrides)
    return body


def _post(world, body, who="agent"):
    return world.client.post(f"{API}/diary", json=body, headers=world.as_(who))


def _check(app, user_id: str) -> dict:
    """The stored roll-up, after asserting that it equals the sums of the user's raw entries."""
    with app.app_context():
        user = db.session.get(User, user_id)
        want = rollup.computed(db.session, user_id, ZoneInfo(user.timezone))
        have = rollup.stored(db.session, user_id)
        db.session.remove()
    assert have == want
    return have


def _mixed_writes(world) -> None:
    """Creates (one replayed, one on a deleted id), edits of every kind, deletes, and a batch."""
    agent = world.as_("agent")
    bodies = [_entry(1), _entry(3, emotion="calm", intensity=3, triggers=[], signals=[], coping=[], stress=None),
              _entry(26, emotion="happy", intensity=9, triggers=["long_call", "call_volume"]),
              _entry(50, emotion="tired", intensity=4, stress=None), _entry(75, emotion="anxious")]
    for body in bodies:
        assert _post(world, body).status_code == 201
    assert _post(world, bodies[0]).status_code == 200  # a replay adds nothing
    assert _post(world, _entry(2), who="agent2").status_code == 201  # someone else's
    edits = [
        (bodies[0]["id"], {"emotion": "calm", "triggers": ["system_issue", "kpi_pressure"], "stress": None}),
        (bodies[1]["id"], {"occurred_at": (now_utc() - timedelta(hours=49)).isoformat(), "intensity": 8}),
        (bodies[2]["id"], {"signals": [], "coping": ["short_break"], "stress": 2}),
        (bodies[0]["id"], {"intensity": 2, "note": "better now"}),
    ]
    for entry_id, change in edits:
        response = world.client.patch(f"{API}/diary/{entry_id}", json=change, headers=agent)
        assert response.status_code == 200, response.json
    stale = world.client.patch(f"{API}/diary/{bodies[3]['id']}", headers=agent,
                               json={"intensity": 1, "updated_at": (now_utc() - timedelta(days=20)).isoformat()})
    assert stale.status_code == 409  # refused edits change nothing
    for gone in (bodies[3]["id"], bodies[4]["id"]):
        assert world.client.delete(f"{API}/diary/{gone}", headers=agent).status_code == 204
    assert _post(world, bodies[4]).status_code == 409  # a deleted id stays deleted
    batch = [_entry(5 + n, emotion=("calm", "angry", "tired")[n % 3], intensity=1 + n % 10,
                    triggers=[("long_call", "call_volume", "customer_complaint")[n % 3]]) for n in range(12)]
    batch += [bodies[2] | {"occurred_at": bodies[2]["occurred_at"]}, {"emotion": "nope"}, bodies[4]]
    response = world.client.post(f"{API}/diary/batch", json={"entries": batch}, headers=agent)
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]].count("created") == 12


def test_the_rollup_equals_the_raw_entries_after_creates_edits_deletes_and_a_batch(app, world):
    _mixed_writes(world)
    stored = _check(app, world.ids["agent"])
    _check(app, world.ids["agent2"])
    with app.app_context():
        entries = db.session.scalar(select(func.count()).select_from(DiaryEntry)
                                    .where(DiaryEntry.user_id == world.ids["agent"]))
        db.session.remove()
    assert entries == 3 + 12
    # Every entry counts once in its day and once in its hour; the deleted ones left no empty rows behind.
    assert sum(v[0] for (_, dimension, _), v in stored.items() if dimension == "day") == entries
    assert sum(v[0] for (_, dimension, _), v in stored.items() if dimension == "hour") == entries
    assert all(values[0] > 0 for values in stored.values())
    with app.app_context():
        assert rollup.mismatches(db.session) == {}
        db.session.remove()


def test_insights_read_the_rollup_and_see_every_write(app, world):
    _mixed_writes(world)
    insights = world.client.get(f"{API}/diary/insights?days=7", headers=world.as_("agent")).json
    assert insights["entries"] == 15
    assert sum(insights["by_emotion"].values()) == 15 and sum(h["count"] for h in insights["by_hour"]) == 15
    assert sum(w["entries"] for w in insights["trend"]) == 15
    assert "anxious" not in insights["by_emotion"]  # its only entry was deleted
    # The roll-up is the only source for whole days: emptied behind the app's back, the answer stays while the
    # agent's diary revision does (the settled days' sums are cached under it), and changes once it is raised.
    with app.app_context():
        db.session.execute(delete(DiaryRollup).where(DiaryRollup.user_id == world.ids["agent"]))
        db.session.commit()
        db.session.remove()
    cached = world.client.get(f"{API}/diary/insights?days=7", headers=world.as_("agent")).json
    assert cached["entries"] == 15
    with app.app_context():
        rollup.raise_revision(db.session, world.ids["agent"])
        db.session.commit()
        db.session.remove()
    partial = world.client.get(f"{API}/diary/insights?days=7", headers=world.as_("agent")).json
    assert partial["entries"] < 15
    runner = app.test_cli_runner()
    assert runner.invoke(args=["diary-rollup", "check"]).exit_code == 1
    rebuilt = runner.invoke(args=["diary-rollup", "rebuild"])
    assert rebuilt.exit_code == 0 and "Rebuilt the diary roll-up" in rebuilt.output
    checked = runner.invoke(args=["diary-rollup", "check"])
    assert checked.exit_code == 0, checked.output
    again = world.client.get(f"{API}/diary/insights?days=7", headers=world.as_("agent")).json
    assert {k: v for k, v in again.items() if k not in ("from", "to")} == \
        {k: v for k, v in insights.items() if k not in ("from", "to")}


def test_a_new_time_zone_rebuilds_the_rollup_in_local_days(app, world):
    _mixed_writes(world)
    before = _check(app, world.ids["agent"])
    response = world.client.patch(f"{API}/me", json={"timezone": "Pacific/Kiritimati"}, headers=world.as_("agent"))
    assert response.status_code == 200, response.json
    after = _check(app, world.ids["agent"])
    hours = lambda stored: sorted(int(k) for (_, d, k), v in stored.items() if d == "hour" for _ in range(v[0]))  # noqa: E731
    assert hours(after) != hours(before)  # +14 h: the same instants, other local hours


def test_retention_and_erasure_keep_the_rollup_in_step(app, world):
    assert world.client.patch(f"{API}/org", json={"retention_days": 30}, headers=world.as_("admin")).status_code == 200
    _mixed_writes(world)
    agent = world.ids["agent"]
    with app.app_context():  # age every entry but the batch's, so retention takes them
        for old in db.session.scalars(select(DiaryEntry).where(
                DiaryEntry.user_id == agent, DiaryEntry.occurred_at < now_utc() - timedelta(hours=17))):
            old.occurred_at -= timedelta(days=60)
        user = db.session.get(User, agent)
        db.session.execute(delete(DiaryRollup).where(DiaryRollup.user_id == agent))
        rollup.rebuild(db.session, [agent])
        db.session.commit()
        counts = data_rights.purge_expired(db.session, now_utc())
        db.session.remove()
    assert counts["diary_entries"] == 2 and counts["diary_rollups"] > 0
    stored = _check(app, agent)
    assert sum(v[0] for (_, d, _), v in stored.items() if d == "day") == 13
    assert user.timezone
    assert world.client.delete(f"{API}/me/data", headers=world.as_("agent")).status_code == 204
    assert _check(app, agent) == {}
    assert _check(app, world.ids["agent2"])  # another agent's roll-up is untouched
