"""The minimum interval between two answers of one instrument: a retake sooner is 409 retake_too_soon with the
moment it opens again; replays of a stored answer stay 200; the catalog says from when a retake is accepted."""
from __future__ import annotations

import functools
import uuid
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import now_utc
from tests.helpers import assert_problem
from wellbeing.assessments import results
from wellbeing.core import idempotency
from wellbeing.models import Assessment, RiskSnapshot

URL = "/api/v1/assessments"
ANSWERS = {
    "phq4": {"1": 0, "2": 1, "3": 1, "4": 0},
    "who5": {str(i): 3 for i in range(1, 6)},
    "burnout1": {"1": 2},
    "cbi": {str(i): 50 for i in range(1, 20)},
    "pss10": {str(i): 2 for i in range(1, 11)},
    "brs": {str(i): 3 for i in range(1, 7)},
}
# Days between two answers: PHQ-4 and WHO-5 two weeks (their recall period), the single item a week, CBI and PSS-10
# four weeks, the BRS four weeks as well (trait-like, offered quarterly; README "Minimum interval between answers").
MIN_DAYS = {"phq4": 14, "who5": 14, "burnout1": 7, "cbi": 28, "pss10": 28, "brs": 28}


@pytest.fixture
def now():
    moment = now_utc().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        yield moment


@pytest.fixture
def every_instrument(world):
    response = world.client.put("/api/v1/org/instruments", json={"enabled": list(ANSWERS)}, headers=world.as_("admin"))
    assert response.status_code == 200


def z(moment):
    return moment.isoformat().replace("+00:00", "Z")


def post(world, instrument, at=None, **extra):
    body = {"instrument": instrument, "answers": ANSWERS[instrument], **extra}
    if at is None:
        return world.client.post(URL, json=body, headers=world.as_("agent"))
    current = world.as_("agent")
    with time_machine.travel(at, tick=False):
        # Days later the access token has expired: sign in again then, and keep today's token for today.
        try:
            return world.client.post(URL, json=body, headers=world.login("agent"))
        finally:
            world.headers["agent"] = current


def stored(session, instrument):
    return session.scalar(select(func.count()).select_from(Assessment).where(Assessment.instrument_id == instrument))


@pytest.mark.parametrize("instrument", list(MIN_DAYS))
def test_a_retake_inside_the_minimum_interval_is_409_with_the_moment_it_opens(world, session, now, every_instrument,
                                                                              instrument):
    assert post(world, instrument).status_code == 201
    opens = now + timedelta(days=MIN_DAYS[instrument])
    body = assert_problem(post(world, instrument, at=opens - timedelta(seconds=1)), 409)
    assert body["code"] == "retake_too_soon"
    assert body["available_from"] == z(opens)
    assert stored(session, instrument) == 1
    assert post(world, instrument, at=opens).status_code == 201
    assert stored(session, instrument) == 2


def test_the_interval_is_per_instrument(world, now):
    assert post(world, "phq4").status_code == 201
    assert post(world, "burnout1").status_code == 201
    assert post(world, "cbi").status_code == 201


def test_a_replay_of_the_stored_answer_stays_200_inside_the_interval(world, session, now):
    body_id = str(uuid.uuid4())
    first = post(world, "phq4", id=body_id)
    assert first.status_code == 201
    replay = post(world, "phq4", at=now + timedelta(days=1), id=body_id)
    assert replay.status_code == 200 and replay.json["id"] == body_id
    other = post(world, "phq4", at=now + timedelta(days=1), id=str(uuid.uuid4()))
    assert assert_problem(other, 409)["code"] == "retake_too_soon"
    assert stored(session, "phq4") == 1


def test_a_replay_that_raced_the_first_insert_still_ends_as_a_replay(world, session, now, monkeypatch):
    body_id = str(uuid.uuid4())
    assert post(world, "phq4", id=body_id).status_code == 201
    # A concurrent replay looked the id up before the first insert committed: it goes on to check and insert.
    monkeypatch.setattr(results, "create_once", functools.partial(idempotency.create_once, known_new=True))
    replay = post(world, "phq4", id=body_id)
    assert replay.status_code == 200 and replay.json["id"] == body_id
    assert stored(session, "phq4") == 1


def test_the_same_id_with_another_body_is_still_an_id_conflict(world, now):
    body_id = str(uuid.uuid4())
    assert post(world, "phq4", id=body_id).status_code == 201
    other_body = {"id": body_id, "instrument": "phq4", "answers": {"1": 3, "2": 3, "3": 3, "4": 3}}
    response = world.client.post(URL, json=other_body, headers=world.as_("agent"))
    assert assert_problem(response, 409)["code"] == "id_conflict"


def test_a_backdated_retake_inside_the_interval_after_an_earlier_answer_is_409(world, now):
    assert post(world, "phq4", completed_at=z(now - timedelta(days=20))).status_code == 201
    body = assert_problem(post(world, "phq4", completed_at=z(now - timedelta(days=10))), 409)
    assert body["available_from"] == z(now - timedelta(days=6))


def test_an_answer_completed_offline_before_the_newest_one_is_kept(world, session, now):
    # The phone answered 10 days ago while offline; meanwhile the agent answered again today on another device.
    assert post(world, "phq4").status_code == 201
    late = post(world, "phq4", completed_at=z(now - timedelta(days=10)))
    assert late.status_code == 201
    assert stored(session, "phq4") == 2
    # The next retake opens two weeks after the newest answer, not the late one.
    body = assert_problem(post(world, "phq4", at=now + timedelta(days=13)), 409)
    assert body["available_from"] == z(now + timedelta(days=14))


def test_a_refused_retake_stores_nothing_and_recomputes_no_risk(world, session, now):
    assert post(world, "cbi").status_code == 201
    snapshots = session.scalar(select(func.count()).select_from(RiskSnapshot))
    assert_problem(post(world, "cbi", at=now + timedelta(days=1)), 409)
    assert stored(session, "cbi") == 1
    assert session.scalar(select(func.count()).select_from(RiskSnapshot)) == snapshots


def test_the_catalog_says_from_when_a_new_answer_is_accepted(world, now):
    assert post(world, "phq4").status_code == 201
    catalog = {item["id"]: item for item in world.client.get("/api/v1/instruments", headers=world.as_("agent")).json}
    phq4, cbi = catalog["phq4"], catalog["cbi"]
    assert (phq4["min_interval_days"], phq4["available_from"]) == (14, z(now + timedelta(days=14)))
    assert (cbi["min_interval_days"], cbi["available_from"]) == (28, z(now))
    one = world.client.get("/api/v1/instruments/phq4", headers=world.as_("agent")).json
    assert one["available_from"] == z(now + timedelta(days=14))
