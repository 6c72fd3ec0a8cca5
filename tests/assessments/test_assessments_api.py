"""POST, GET /assessments: exact scores stored, every 422 named, idempotent creates, own history only."""
from __future__ import annotations

import uuid
from datetime import timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import assert_problem
from wellbeing.models import Assessment

URL = "/api/v1/assessments"
# Golden vector C1 (research/instruments.md §2.3): personal 75.0, work 475/7 = 67.857..., client 50.0 (on the line: high)
CBI_C1 = {str(i): 75 for i in range(1, 14)} | {str(i): 50 for i in range(14, 20)}
PHQ4_NORMAL = {"1": 0, "2": 1, "3": 1, "4": 0}


@pytest.fixture
def now():
    """The clock pinned a moment after the world's tokens were issued."""
    moment = now_utc().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        yield moment


def post(world, body, who="agent"):
    return world.client.post(URL, json=body, headers=world.as_(who))


def z(moment):
    return moment.isoformat().replace("+00:00", "Z")


def test_cbi_result_is_scored_exactly_and_stored_with_the_instrument_version(world, session, now):
    response = post(world, {"instrument": "cbi", "answers": CBI_C1})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["instrument"] == "cbi" and body["instrument_version"] == "1.1-puma-order"
    assert body["scores"] == {"personal": 75.0, "work": 67.9, "client": 50.0}
    assert body["bands"] == {"personal": "high", "work": "high", "client": "high"}
    assert body["completed_at"] == z(now) and body["alerts"] == [] and "support" not in body
    stored = session.get(Assessment, body["id"])
    assert stored.user_id == world.ids["agent"] and stored.answers == CBI_C1
    assert stored.unrounded == {"personal": 75.0, "work": 475 / 7, "client": 50.0}
    assert (stored.instrument_version, stored.support_offered_at) == ("1.1-puma-order", None)


def test_cbi_scale_short_of_its_minimum_is_left_out(world, now):
    # C4: personal 3 answered -> 275/3; work 2 answered (< 4) and client none: not scored
    answers = {"1": 100, "2": 100, "3": 75, "7": 75, "10": 100, "14": None}
    response = post(world, {"instrument": "cbi", "answers": answers})
    assert response.status_code == 201
    assert (response.json["scores"], response.json["bands"]) == ({"personal": 91.7}, {"personal": "high"})


def test_unknown_instrument_is_422(world, now):
    body = assert_problem(post(world, {"instrument": "mbi", "answers": {"1": 1}}), 422)
    assert body["errors"] == {"json": {"instrument": ["Unknown instrument."]}}


def test_disabled_instrument_is_422(world, now):
    body = assert_problem(post(world, {"instrument": "pss10", "answers": {str(i): 0 for i in range(1, 11)}}), 422)
    assert body["errors"] == {"json": {"instrument": ["Not enabled in your organization."]}}
    assert body["code"] == "instrument_disabled"


def test_unknown_item_is_422_naming_the_item(world, now):
    body = assert_problem(post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL | {"5": 0}}), 422)
    assert body["errors"] == {"json": {"answers": {"5": ["unknown item"]}}}
    assert "item 5" in body["detail"]


def test_missing_required_item_is_422_naming_the_item(world, now):
    answers = {"1": 0, "2": 1, "3": 1}
    body = assert_problem(post(world, {"instrument": "phq4", "answers": answers}), 422)
    assert body["errors"] == {"json": {"answers": {"4": ["an answer is required"]}}}


@pytest.mark.parametrize("value", [4, -1, 1.5, True, "2", [1], None])
def test_value_not_among_the_options_is_422_naming_the_item(world, now, value):
    body = assert_problem(post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL | {"3": value}}), 422)
    assert list(body["errors"]["json"]["answers"]) == ["3"]


def test_cbi_option_values_are_the_published_ones(world, now):
    body = assert_problem(post(world, {"instrument": "cbi", "answers": CBI_C1 | {"13": 3}}), 422)
    assert body["errors"] == {"json": {"answers": {"13": ["must be one of 0, 25, 50, 75, 100"]}}}


def test_cbi_with_no_scorable_scale_is_422(world, now):
    body = assert_problem(post(world, {"instrument": "cbi", "answers": {"1": 50, "2": 50}}), 422)
    assert body["errors"] == {"json": {"answers": ["too few answers to score any scale"]}}


def test_nothing_is_stored_for_a_refused_result(world, session, now):
    assert_problem(post(world, {"instrument": "phq4", "answers": {"1": 9}}), 422)
    assert session.scalar(select(Assessment.id)) is None


@pytest.mark.parametrize("body", [
    {"answers": PHQ4_NORMAL},
    {"instrument": "phq4"},
    {"instrument": "phq4", "answers": [0, 1, 1, 0]},
    {"instrument": "phq4", "answers": PHQ4_NORMAL, "score": 3},
    {"instrument": "", "answers": PHQ4_NORMAL},
    {"instrument": "phq4", "answers": {"x" * 17: 1}},
    {"instrument": "phq4", "answers": PHQ4_NORMAL, "id": "not-a-uuid"},
    {"instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": "2026-03-02T09:00:00"},
])
def test_malformed_bodies_are_422(world, now, body):
    assert_problem(post(world, body), 422)


def test_completed_at_may_lie_up_to_30_days_back_and_5_minutes_ahead(world, now):
    for moment in (now - timedelta(days=30), now + timedelta(minutes=5)):
        response = post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": z(moment)})
        assert response.status_code == 201 and response.json["completed_at"] == z(moment)


@pytest.mark.parametrize(("shift", "message"), [
    (-timedelta(days=30, seconds=1), "Must lie within the last 30 days."),
    (timedelta(minutes=5, seconds=1), "Must not lie more than 5 minutes in the future."),
])
def test_completed_at_outside_the_window_is_422(world, now, shift, message):
    body = assert_problem(post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": z(now + shift)}), 422)
    assert body["errors"] == {"json": {"completed_at": [message]}}


def test_completed_at_with_an_offset_is_stored_in_utc(world, now):
    shanghai = (now - timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
    response = post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": shanghai.isoformat()})
    assert response.status_code == 201 and response.json["completed_at"] == z(now - timedelta(hours=1))


def test_create_is_idempotent_on_the_client_id(world, session, now):
    body = {"id": str(uuid.uuid4()), "instrument": "phq4", "answers": PHQ4_NORMAL}
    first = post(world, body)
    replay = post(world, body)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json == first.json and first.json["id"] == body["id"]
    assert len(session.scalars(select(Assessment)).all()) == 1


def test_same_id_with_another_body_is_409(world, now):
    body = {"id": str(uuid.uuid4()), "instrument": "phq4", "answers": PHQ4_NORMAL}
    assert post(world, body).status_code == 201
    assert_problem(post(world, body | {"answers": PHQ4_NORMAL | {"1": 1}}), 409)


def test_another_agents_id_cannot_be_replayed(world, now):
    body = {"id": str(uuid.uuid4()), "instrument": "phq4", "answers": PHQ4_NORMAL}
    assert post(world, body).status_code == 201
    problem = assert_problem(post(world, body, who="agent2"), 409)
    assert "phq4" not in str(problem)


def test_a_replay_after_the_instrument_was_switched_off_still_replays(world, now):
    body = {"id": str(uuid.uuid4()), "instrument": "burnout1", "answers": {"1": 2}}
    assert post(world, body).status_code == 201
    world.client.put("/api/v1/org/instruments", json={"enabled": ["cbi"]}, headers=world.as_("admin"))
    assert post(world, body).status_code == 200


@pytest.mark.parametrize("who", ["supervisor", "hr", "admin"])
def test_only_agents_submit_and_list_assessments(world, now, who):
    assert_problem(post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL}, who=who), 403)
    assert_problem(world.client.get(URL, headers=world.as_(who)), 403)


def test_history_is_own_newest_first_with_a_cursor(world, now):
    # PHQ-4 answers lie at least its 14-day minimum interval apart; the last one arrives late, from an offline phone.
    for days in (28, 0, 14):
        response = post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL, "completed_at": z(now - timedelta(days=days))})
        assert response.status_code == 201, response.json
    post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL}, who="agent2")
    first = world.client.get(URL + "?limit=2", headers=world.as_("agent")).json
    assert [item["completed_at"] for item in first["items"]] == [z(now), z(now - timedelta(days=14))]
    rest = world.client.get(URL + f"?limit=2&cursor={first['next_cursor']}", headers=world.as_("agent")).json
    assert [item["completed_at"] for item in rest["items"]] == [z(now - timedelta(days=28))]
    assert rest["next_cursor"] is None


def test_history_filters_by_instrument(world, now):
    post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL})
    post(world, {"instrument": "burnout1", "answers": {"1": 2}})
    items = world.client.get(URL + "?instrument=burnout1", headers=world.as_("agent")).json["items"]
    assert [(item["instrument"], item["scores"], item["bands"]) for item in items] == [
        ("burnout1", {"score": 2}, {"score": "no_burnout"})]


def test_history_refuses_unknown_query_parameters(world, now):
    assert_problem(world.client.get(URL + "?user_id=x", headers=world.as_("agent")), 422)


def test_own_result_reads_back(world, now):
    created = post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL}).json
    read = world.client.get(f"{URL}/{created['id']}", headers=world.as_("agent"))
    assert read.status_code == 200 and read.json == created
    assert read.json["answers"] == PHQ4_NORMAL


@pytest.mark.parametrize("who", ["agent2", "agent_b", "other_agent"])
def test_another_users_result_is_404(world, now, who):
    created = post(world, {"instrument": "phq4", "answers": PHQ4_NORMAL}).json
    assert_problem(world.client.get(f"{URL}/{created['id']}", headers=world.as_(who)), 404)


@pytest.mark.parametrize("assessment_id", [str(uuid.uuid4()), "x" * 300, "%00"])
def test_missing_or_malformed_ids_are_404(world, now, assessment_id):
    assert_problem(world.client.get(f"{URL}/{assessment_id}", headers=world.as_("agent")), 404)


def test_every_result_screen_carries_the_one_line_non_diagnostic_note(world, now):
    created = post(world, {"instrument": "cbi", "answers": CBI_C1}).json
    assert created["notice"] == "Self-rated screening scores, not a diagnosis. Only you can see them."
    zh = world.client.get(f"{URL}/{created['id']}", headers=world.as_("agent") | {"Accept-Language": "zh-CN"}).json
    assert zh["notice"] == "这些是自评筛查分数，不是诊断。只有您本人可以看到。"
    listed = world.client.get(URL, headers=world.as_("agent")).json["items"]
    assert [item["notice"] for item in listed] == [created["notice"]]
