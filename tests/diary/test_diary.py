"""The emotion diary over HTTP: vocabularies, validation, idempotent creates and batches, ownership, edits from
two devices, deletion, and the stored state behind each answer."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import now_utc
from tests.helpers import assert_problem
from wellbeing.core.db import db
from wellbeing.models import DiaryEntry, DiaryTag, DiaryTombstone

API = "/api/v1"


def entry(**overrides) -> dict:
    body = {"occurred_at": (now_utc() - timedelta(hours=1)).isoformat(), "emotion": "frustrated", "intensity": 7,
            "triggers": ["customer_complaint"], "signals": ["headache"], "stress": 6, "coping": ["deep_breathing"],
            "note": "third angry caller before lunch", "after_call": True}
    body.update(overrides)
    return body


def post(world, body, who="agent"):
    return world.client.post(f"{API}/diary", json=body, headers=world.as_(who))


def stored_count(app, user_id=None) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(DiaryEntry)
        if user_id:
            stmt = stmt.where(DiaryEntry.user_id == user_id)
        count = db.session.scalar(stmt)
        db.session.remove()
        return count


# --- vocabularies -------------------------------------------------------------------------------------------

API_MD_EMOTIONS = {"calm", "happy", "content", "grateful", "tired", "anxious", "stressed", "frustrated", "irritated",
                   "angry", "wronged", "sad", "overwhelmed"}
API_MD_TRIGGERS = {"customer_complaint", "abusive_customer", "call_volume", "long_call", "kpi_pressure", "system_issue",
                   "policy_unclear", "colleague", "supervisor", "personal", "health", "sleep"}


def test_emotions_are_served_in_english_and_chinese_with_valences(world):
    en = world.client.get(f"{API}/emotions", headers=world.as_("agent") | {"Accept-Language": "en"}).json
    zh = world.client.get(f"{API}/emotions", headers=world.as_("agent") | {"Accept-Language": "zh-CN,zh;q=0.9"}).json
    assert API_MD_EMOTIONS <= {e["key"] for e in en["emotions"]}
    assert API_MD_TRIGGERS <= {t["key"] for t in en["triggers"]}
    assert {"headache", "poor_sleep", "mood_swings", "low_focus"} <= {s["key"] for s in en["signals"]}
    labels = {e["key"]: e["label"] for e in zh["emotions"]}
    assert labels["calm"] == "平静" and {t["key"]: t["label"] for t in zh["triggers"]}["customer_complaint"] == "客户投诉"
    valences = {e["key"]: e["valence"] for e in en["emotions"]}
    assert valences["calm"] == "positive" and valences["wronged"] == "negative"
    assert [e["key"] for e in en["emotions"]] == [e["key"] for e in zh["emotions"]]


# --- create, replay, validation -----------------------------------------------------------------------------

def test_create_returns_the_entry_and_replays_by_client_id(app, world):
    client_id = str(uuid.uuid4())
    first = post(world, entry(id=client_id))
    assert first.status_code == 201, first.json
    body = first.json
    assert body["id"] == client_id and body["valence"] == "negative" and body["revision"] == 1
    assert body["note"] == "third angry caller before lunch" and body["triggers"] == ["customer_complaint"]
    assert body["coping"] == ["deep_breathing"] and body["signals"] == ["headache"] and body["stress"] == 6
    replay = post(world, entry(id=client_id, occurred_at=body["occurred_at"]))
    assert replay.status_code == 200 and replay.json["id"] == client_id
    clash = post(world, entry(id=client_id, occurred_at=body["occurred_at"], intensity=3))
    assert assert_problem(clash, 409)["code"] == "id_conflict"
    # Another agent presenting the same id learns nothing about the entry and gets no access to it.
    stolen = post(world, entry(id=client_id, occurred_at=body["occurred_at"]), who="agent2")
    assert assert_problem(stolen, 409)["code"] == "id_conflict" and "note" not in stolen.get_data(as_text=True)
    assert stored_count(app) == 1
    with app.app_context():
        stored = db.session.get(DiaryEntry, client_id)
        assert stored.intensity == 7 and stored.user_id == world.ids["agent"]
        db.session.remove()


@pytest.mark.parametrize("changes, field", [
    ({"emotion": "elated"}, "emotion"),
    ({"triggers": ["customer_complaint", "bad_weather"]}, "triggers"),
    ({"signals": ["sneezing"]}, "signals"),
    ({"coping": ["shouting"]}, "coping"),
    ({"intensity": 0}, "intensity"),
    ({"intensity": 11}, "intensity"),
    ({"intensity": 7.5}, "intensity"),
    ({"stress": 11}, "stress"),
    ({"note": "x" * 2001}, "note"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"occurred_at": "2026-03-01T10:00:00"}, "occurred_at"),  # no offset: ambiguous
    ({"emotion": None}, "emotion"),
    ({"triggers": ["customer_complaint", "customer_complaint"]}, "triggers"),
    ({"colour": "blue"}, "colour"),
])
def test_each_invalid_field_is_a_422_naming_it_and_nothing_is_stored(app, world, changes, field):
    body = assert_problem(post(world, entry(**changes)), 422)
    assert field in body["errors"]["json"], body
    assert stored_count(app) == 0


def test_occurred_at_window_is_30_days_back_and_5_minutes_ahead(app, world):
    now = now_utc()
    too_old = assert_problem(post(world, entry(occurred_at=(now - timedelta(days=30, minutes=1)).isoformat())), 422)
    assert too_old["code"] == "occurred_at_out_of_range" and "30 days" in too_old["errors"]["json"]["occurred_at"][0]
    ahead = assert_problem(post(world, entry(occurred_at=(now + timedelta(minutes=6)).isoformat())), 422)
    assert "5 minutes" in ahead["errors"]["json"]["occurred_at"][0]
    assert post(world, entry(occurred_at=(now - timedelta(days=29, hours=23)).isoformat())).status_code == 201
    assert post(world, entry(occurred_at=(now + timedelta(minutes=4)).isoformat())).status_code == 201
    assert stored_count(app) == 2


def test_only_agents_keep_a_diary(world):
    assert_problem(world.client.post(f"{API}/diary", json=entry(), headers=world.as_("supervisor")), 403)
    assert_problem(world.client.get(f"{API}/diary", headers=world.as_("hr")), 403)


# --- batches ---------------------------------------------------------------------------------------------------

def test_a_batch_reports_each_entry_and_never_rejects_good_ones_for_a_bad_one(app, world):
    good = [entry(id=str(uuid.uuid4()), note=f"entry {n}") for n in range(3)]
    bad_emotion = entry(id=str(uuid.uuid4()), emotion="elated")
    too_old = entry(id=str(uuid.uuid4()), occurred_at=(now_utc() - timedelta(days=40)).isoformat())
    twice = str(uuid.uuid4())
    for not_an_entry in (None, "not an object", 5, []):  # not an entry at all: the client is broken, nothing is stored
        body = {"entries": [good[0], not_an_entry]}
        problem = assert_problem(world.client.post(f"{API}/diary/batch", json=body, headers=world.as_("agent")), 422)
        assert "1" in problem["errors"]["json"]["entries"], problem
    assert world.client.get(f"{API}/diary", headers=world.as_("agent")).json["items"] == []
    batch = [good[0], bad_emotion, good[1], entry(id=str(uuid.uuid4()), occurred_at="yesterday"), too_old,
             entry(id=twice), entry(id=twice, intensity=2), good[2], entry(intensity=99)]
    response = world.client.post(f"{API}/diary/batch", json={"entries": batch}, headers=world.as_("agent"))
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["status"] for r in results] == ["created", "error", "created", "error", "error", "error", "error",
                                              "created", "error"]
    assert results[1]["errors"] == {"emotion": [results[1]["errors"]["emotion"][0]]} and results[1]["id"] == bad_emotion["id"]
    assert "occurred_at" in results[3]["errors"]
    assert results[4]["code"] == "occurred_at_out_of_range"
    assert results[5]["code"] == results[6]["code"] == "duplicate_id_in_batch"
    assert "intensity" in results[8]["errors"] and results[8]["id"] is None
    assert [r["entry"]["note"] for r in results if r["status"] == "created"] == ["entry 0", "entry 1", "entry 2"]
    assert stored_count(app) == 3

    # The phone lost the answer and sends the same batch again: nothing is duplicated.
    again = world.client.post(f"{API}/diary/batch", json={"entries": good}, headers=world.as_("agent")).json["results"]
    assert [r["status"] for r in again] == ["unchanged"] * 3 and [r["id"] for r in again] == [g["id"] for g in good]
    changed = world.client.post(f"{API}/diary/batch", json={"entries": [good[0] | {"intensity": 1}]},
                                headers=world.as_("agent")).json["results"]
    assert changed == [{"id": good[0]["id"], "status": "error", "code": "id_conflict", "errors": {}}]
    assert stored_count(app) == 3


def test_a_single_create_and_a_batch_replay_each_other(world):
    one = entry(id=str(uuid.uuid4()))
    assert post(world, one).status_code == 201
    replay = world.client.post(f"{API}/diary/batch", json={"entries": [one]}, headers=world.as_("agent")).json
    assert replay["results"][0]["status"] == "unchanged"


def test_batch_limits(app, world):
    over = [entry() for _ in range(501)]
    body = assert_problem(world.client.post(f"{API}/diary/batch", json={"entries": over}, headers=world.as_("agent")), 422)
    assert "entries" in body["errors"]["json"]
    assert_problem(world.client.post(f"{API}/diary/batch", json={"entries": []}, headers=world.as_("agent")), 422)
    full = [entry(id=str(uuid.uuid4()), note=None) for _ in range(500)]
    response = world.client.post(f"{API}/diary/batch", json={"entries": full}, headers=world.as_("agent"))
    assert response.status_code == 200 and {r["status"] for r in response.json["results"]} == {"created"}
    assert stored_count(app) == 500


# --- reading, ownership -----------------------------------------------------------------------------------------

def test_list_is_own_newest_first_with_from_to_and_cursor(world):
    now = now_utc().replace(microsecond=0)
    for hours in (1, 5, 9, 30, 50):
        post(world, entry(occurred_at=(now - timedelta(hours=hours)).isoformat(), note=f"{hours}h ago"))
    post(world, entry(note="someone else's"), who="agent2")
    first = world.client.get(f"{API}/diary?limit=2", headers=world.as_("agent")).json
    assert [e["note"] for e in first["items"]] == ["1h ago", "5h ago"]
    second = world.client.get(f"{API}/diary?limit=2&cursor={first['next_cursor']}", headers=world.as_("agent")).json
    assert [e["note"] for e in second["items"]] == ["9h ago", "30h ago"]
    window = {"from": (now - timedelta(hours=31)).isoformat(), "to": (now - timedelta(hours=5)).isoformat()}
    bounded = world.client.get(f"{API}/diary", query_string=window, headers=world.as_("agent")).json
    assert [e["note"] for e in bounded["items"]] == ["5h ago", "9h ago", "30h ago"] and bounded["next_cursor"] is None
    backwards = {"from": window["to"], "to": window["from"]}
    assert_problem(world.client.get(f"{API}/diary", query_string=backwards, headers=world.as_("agent")), 422)
    assert "page" in assert_problem(world.client.get(f"{API}/diary?page=2", headers=world.as_("agent")), 422)["errors"]["query"]


def test_another_users_entry_is_404_for_every_verb_and_stays_untouched(app, world):
    mine = post(world, entry(note="mine")).json
    url = f"{API}/diary/{mine['id']}"
    for who in ("agent2", "other_agent"):
        headers = world.as_(who)
        assert_problem(world.client.get(url, headers=headers), 404)
        assert_problem(world.client.patch(url, json={"intensity": 1}, headers=headers), 404)
        assert_problem(world.client.delete(url, headers=headers), 404)
    assert_problem(world.client.get(f"{API}/diary/{uuid.uuid4()}", headers=world.as_("agent")), 404)
    still = world.client.get(url, headers=world.as_("agent")).json
    assert still["intensity"] == 7 and still["note"] == "mine" and still["revision"] == 1


# --- edits from two devices, deletion -----------------------------------------------------------------------------

def test_the_later_device_edit_wins_and_the_earlier_one_is_a_conflict(app, world):
    created = post(world, entry(occurred_at=(now_utc() - timedelta(hours=3)).isoformat())).json
    url = f"{API}/diary/{created['id']}"
    edit_time = now_utc() - timedelta(hours=2)
    # The tablet edited at T+10 min while offline; the phone edited at T+5 min, also offline. The tablet syncs first.
    tablet = world.client.patch(url, headers=world.as_("agent"), json={
        "intensity": 4, "note": "calmer after a break", "updated_at": (edit_time + timedelta(minutes=10)).isoformat()})
    assert tablet.status_code == 200 and tablet.json["revision"] == 2
    phone = world.client.patch(url, headers=world.as_("agent"), json={
        "intensity": 9, "triggers": ["abusive_customer"], "updated_at": (edit_time + timedelta(minutes=5)).isoformat()})
    problem = assert_problem(phone, 409)
    assert problem["code"] == "edit_conflict" and problem["errors"]["current"]["revision"] == 2
    stored = world.client.get(url, headers=world.as_("agent")).json
    assert (stored["intensity"], stored["note"], stored["triggers"]) == (4, "calmer after a break", ["customer_complaint"])
    # The phone resends the same values the server already holds: nothing to conflict over.
    same = world.client.patch(url, headers=world.as_("agent"), json={
        "intensity": 4, "updated_at": (edit_time + timedelta(minutes=1)).isoformat()})
    assert same.status_code == 200 and same.json["revision"] == 2
    # A later edit wins and replaces the tag lists; an edit with no device clock counts as the latest.
    later = world.client.patch(url, headers=world.as_("agent"), json={
        "triggers": ["abusive_customer", "kpi_pressure"], "emotion": "calm", "note": None,
        "updated_at": (edit_time + timedelta(minutes=20)).isoformat()}).json
    assert (later["triggers"], later["valence"], later["note"], later["revision"]) == (
        ["abusive_customer", "kpi_pressure"], "positive", None, 3)
    assert world.client.patch(url, headers=world.as_("agent"), json={"stress": 1}).json["revision"] == 4
    with app.app_context():
        tags = db.session.scalars(select(DiaryTag.key).where(DiaryTag.entry_id == created["id"], DiaryTag.kind == "triggers")
                                  .order_by(DiaryTag.position)).all()
        assert tags == ["abusive_customer", "kpi_pressure"]
        assert db.session.get(DiaryEntry, created["id"]).note_ciphertext is None
        db.session.remove()


def test_patch_validates_like_create(world):
    created = post(world, entry()).json
    url = f"{API}/diary/{created['id']}"
    assert "emotion" in assert_problem(world.client.patch(url, json={"emotion": "elated"}, headers=world.as_("agent")),
                                       422)["errors"]["json"]
    old = (now_utc() - timedelta(days=31)).isoformat()
    assert_problem(world.client.patch(url, json={"occurred_at": old}, headers=world.as_("agent")), 422)
    future_clock = (now_utc() + timedelta(hours=1)).isoformat()
    assert "updated_at" in assert_problem(world.client.patch(url, json={"intensity": 2, "updated_at": future_clock},
                                                             headers=world.as_("agent")), 422)["errors"]["json"]
    assert assert_problem(world.client.patch(url, json={}, headers=world.as_("agent")), 422)["code"] == "empty_patch"
    assert world.client.get(url, headers=world.as_("agent")).json["revision"] == 1


def test_a_deleted_entry_is_gone_and_its_id_cannot_come_back(app, world):
    client_id = str(uuid.uuid4())
    body = entry(id=client_id)
    created = post(world, body).json
    url = f"{API}/diary/{client_id}"
    assert world.client.delete(url, headers=world.as_("agent")).status_code == 204
    assert_problem(world.client.get(url, headers=world.as_("agent")), 404)
    assert_problem(world.client.delete(url, headers=world.as_("agent")), 404)
    # The phone's queue still holds the create: replaying it must not resurrect the entry.
    replay = post(world, body | {"occurred_at": created["occurred_at"]})
    assert assert_problem(replay, 409)["code"] == "entry_deleted"
    batch = world.client.post(f"{API}/diary/batch", json={"entries": [body]}, headers=world.as_("agent")).json
    assert batch["results"][0]["status"] == "error" and batch["results"][0]["code"] == "entry_deleted"
    with app.app_context():
        assert db.session.get(DiaryEntry, client_id) is None
        assert db.session.scalar(select(func.count()).select_from(DiaryTag).where(DiaryTag.entry_id == client_id)) == 0
        assert db.session.get(DiaryTombstone, client_id).user_id == world.ids["agent"]
        db.session.remove()
