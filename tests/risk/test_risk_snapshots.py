"""Burnout-risk snapshots after each result, GET /me/risk, and the diary signals' single entry point.

Model heuristic-blend-v1 (docs/risk-model.md): CBI occupational = max(work, client) weighs 0.50, burnout1
0.05 with points (answer - 1) x 25; diary 0.05 / 0.03 / 0.02; missing weights are shared out in proportion.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import assert_problem
from wellbeing.risk import snapshots as risk_snapshots
from wellbeing.models import RiskSnapshot
from wellbeing.risk.model import MODEL_VERSION, DiarySignals
from wellbeing.risk.snapshots import ScoredRecord, gather_inputs, recompute_risk

URL = "/api/v1/me/risk"
# CBI C1: work 475/7 = 67.857..., client 50 -> occupational 67.857...
CBI_C1 = {str(i): 75 for i in range(1, 14)} | {str(i): 50 for i in range(14, 20)}
# Every work item 75 (item 13 answered 25 is reversed to 75): work 75; client 50
CBI_WORK_75 = CBI_C1 | {"13": 25}


@pytest.fixture
def now():
    moment = now_utc().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        yield moment


def z(moment):
    return moment.isoformat().replace("+00:00", "Z")


def submit(world, instrument, answers, who="agent", **extra):
    response = world.client.post("/api/v1/assessments", json={"instrument": instrument, "answers": answers, **extra},
                                 headers=world.as_(who))
    assert response.status_code == 201, response.json
    return response.json


def snapshots(session, user_id):
    session.expire_all()
    return session.scalars(select(RiskSnapshot).where(RiskSnapshot.user_id == user_id).order_by(RiskSnapshot.id)).all()


def test_without_any_result_the_risk_is_insufficient_data_and_nothing_is_stored(world, session, now):
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert body == {
        "level": "insufficient_data", "score": None, "factors": [], "model_version": MODEL_VERSION,
        "computed_at": z(now), "confidence": 0.0, "flags": [],
        "notice": "A screening indicator for your own self-care, not a diagnosis. Only you can see it.",
    }
    assert snapshots(session, world.ids["agent"]) == []


def test_a_cbi_result_stores_a_snapshot_with_the_model_version_and_its_factors(world, session, now):
    created = submit(world, "cbi", CBI_C1)
    [snapshot] = snapshots(session, world.ids["agent"])
    assert (snapshot.level, snapshot.score, snapshot.model_version, snapshot.confidence) == ("moderate", 67.9, MODEL_VERSION, 0.5)
    assert snapshot.unrounded_score == 475 / 7 and snapshot.computed_at == now
    assert snapshot.inputs == {
        "cbi_work": {"assessment_id": created["id"], "completed_at": now.isoformat(), "value": 475 / 7},
        "cbi_client": {"assessment_id": created["id"], "completed_at": now.isoformat(), "value": 50.0},
        "diary": None,
    }
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert (body["level"], body["score"], body["computed_at"], body["flags"]) == ("moderate", 67.9, z(now), [])
    assert body["factors"] == [{"name": "cbi_occupational", "value": 67.9, "weight": 1.0, "input_value": 475 / 7}]


def test_a_result_that_changes_nothing_adds_no_snapshot(world, session, now):
    submit(world, "cbi", CBI_C1)
    submit(world, "phq4", {"1": 0, "2": 1, "3": 1, "4": 0})
    assert len(snapshots(session, world.ids["agent"])) == 1


def test_a_new_input_adds_a_snapshot_with_the_blend(world, session, now):
    submit(world, "cbi", CBI_C1)
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        submit(world, "burnout1", {"1": 4})
    # (0.5 x 475/7 + 0.05 x 75) / 0.55 = 21100/308 = 68.506...
    first, second = snapshots(session, world.ids["agent"])
    assert (first.score, second.score, second.level, second.confidence) == (67.9, 68.5, "moderate", 0.55)
    assert second.computed_at == now + timedelta(minutes=1)
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert [(f["name"], f["value"], f["weight"]) for f in body["factors"]] == [
        ("cbi_occupational", 67.9, 0.9091), ("burnout1", 75.0, 0.0909)]


def test_cbi_75_with_burnout_4_is_very_high(world, now):
    submit(world, "cbi", CBI_WORK_75)
    submit(world, "burnout1", {"1": 4})
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert (body["level"], body["score"]) == ("very_high", 75.0)


def test_a_positive_phq4_alone_is_insufficient_data_with_a_flag(world, session, now):
    submit(world, "phq4", {"1": 2, "2": 1, "3": 1, "4": 1})
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert (body["level"], body["score"], body["flags"], body["factors"]) == (
        "insufficient_data", None, ["phq4_anxiety_positive"], [])
    assert [s.level for s in snapshots(session, world.ids["agent"])] == ["insufficient_data"]


def test_phq4_never_enters_the_score(world, now):
    submit(world, "cbi", CBI_C1)
    submit(world, "phq4", {"1": 3, "2": 3, "3": 3, "4": 3})
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert (body["score"], body["flags"]) == (67.9, ["phq4_anxiety_positive", "phq4_depression_positive"])


def test_a_backdated_older_result_does_not_replace_the_latest(world, session, now):
    submit(world, "cbi", CBI_C1, completed_at=z(now - timedelta(days=1)))
    submit(world, "cbi", {str(i): 0 for i in range(1, 20)}, completed_at=z(now - timedelta(days=10)))
    assert [s.score for s in snapshots(session, world.ids["agent"])] == [67.9]


def test_a_stale_cbi_turns_the_risk_into_insufficient_data_on_recompute(world, session, now):
    submit(world, "cbi", CBI_C1, completed_at=z(now - timedelta(days=30)))
    later = now + timedelta(days=5, seconds=1)
    snapshot = recompute_risk(session, world.ids["agent"], later)
    assert (snapshot.level, snapshot.score, snapshot.computed_at) == ("insufficient_data", None, later)
    assert [s.level for s in snapshots(session, world.ids["agent"])] == ["moderate", "insufficient_data"]


def test_recompute_takes_diary_signals_as_an_argument(world, session, now):
    submit(world, "cbi", CBI_C1)
    diary = DiarySignals(entry_count=10, negative_share=0.5, mean_negative_intensity=6.0, tough_call_triggers=4)
    snapshot = recompute_risk(session, world.ids["agent"], now, diary=diary)
    # (0.5 x 475/7 + 0.05 x 50 + 0.03 x 500/9 + 0.02 x 40) / 0.6 = (8168/210) / 0.6 = 64.825...
    assert (snapshot.score, snapshot.level, snapshot.confidence) == (64.8, "moderate", 0.6)
    assert [f["name"] for f in snapshot.factors] == [
        "cbi_occupational", "diary_negative_share", "diary_negative_intensity", "diary_tough_calls"]
    assert snapshot.inputs["diary"] == {"entry_count": 10, "negative_share": 0.5, "mean_negative_intensity": 6.0,
                                        "tough_call_triggers": 4}


def test_the_diary_signals_are_read_in_one_place_after_each_result(world, session, now, monkeypatch):
    signals = DiarySignals(entry_count=10, negative_share=0.5, mean_negative_intensity=6.0, tough_call_triggers=4)
    monkeypatch.setattr(risk_snapshots, "diary_signals", lambda session, user_id, at: signals)
    submit(world, "cbi", CBI_C1)
    assert world.client.get(URL, headers=world.as_("agent")).json["score"] == 64.8


def test_the_latest_score_of_each_scale_counts_on_its_own(now):
    older = ScoredRecord("a", "cbi", {"personal": 80.0, "work": 70.0, "client": 40.0}, now - timedelta(days=9))
    newer = ScoredRecord("b", "cbi", {"personal": 20.0, "client": 30.0}, now - timedelta(days=2))
    inputs, summary = gather_inputs([newer, older], None)
    assert (inputs.cbi_work.value, inputs.cbi_client.value) == (70.0, 30.0)
    assert (summary["cbi_work"]["assessment_id"], summary["cbi_client"]["assessment_id"]) == ("a", "b")


def test_risk_is_the_callers_own(world, now):
    submit(world, "cbi", CBI_C1)
    assert world.client.get(URL, headers=world.as_("agent2")).json["level"] == "insufficient_data"


def test_the_notice_follows_the_language(world, now):
    body = world.client.get(URL, headers=world.as_("agent") | {"Accept-Language": "zh-CN"}).json
    assert body["notice"] == "这是供您自我关照的筛查指标，不是诊断。只有您本人可以看到。"


@pytest.mark.parametrize("who", ["supervisor", "hr", "admin"])
def test_only_agents_have_a_risk_indicator(world, who):
    assert_problem(world.client.get(URL, headers=world.as_(who)), 403)
