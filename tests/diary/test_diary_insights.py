"""Diary insights against hand-computed fixtures (Shanghai, and a DST week in New York), the mood chart,
notes encrypted at rest with key rotation, notes kept out of logs, and the diary's signals in the risk model."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import text

from tests.helpers import assert_problem
from wellbeing.core.crypto import generate_key
from wellbeing.core.db import db
from wellbeing.risk.snapshots import refresh_diary_risk
from wellbeing.diary.insights import risk_signals

API = "/api/v1"
UTC = timezone.utc


@contextmanager
def at(world, when: datetime):
    world.headers.clear()
    with time_machine.travel(when, tick=False):
        yield
    world.headers.clear()


def log(world, when, emotion, intensity, triggers=(), signals=(), coping=(), stress=None, note=None, who="agent"):
    body = {"occurred_at": when.isoformat(), "emotion": emotion, "intensity": intensity, "triggers": list(triggers),
            "signals": list(signals), "coping": list(coping), "stress": stress, "note": note}
    response = world.client.post(f"{API}/diary", json=body, headers=world.as_(who))
    assert response.status_code == 201, response.json
    return response.json


def set_zone(world, tz, who="agent"):
    assert world.client.patch(f"{API}/me", json={"timezone": tz}, headers=world.as_(who)).status_code == 200


def insights(world, days, who="agent"):
    response = world.client.get(f"{API}/diary/insights?days={days}", headers=world.as_(who))
    assert response.status_code == 200, response.json
    return response.json


def counts(pattern, key):
    return {row[key]: row["count"] for row in pattern if row["count"]}


SHANGHAI_NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # 20:00 Friday in Shanghai


def test_insights_for_an_agent_in_shanghai_match_the_hand_computed_numbers(world):
    with at(world, SHANGHAI_NOW):
        set_zone(world, "Asia/Shanghai")
        # Local (UTC+8):      Mon 16 09:30            Tue 17 01:00         Wed 18 14:10          Fri 13 07:30
        log(world, datetime(2026, 3, 16, 1, 30, tzinfo=UTC), "frustrated", 8, ["customer_complaint", "kpi_pressure"],
            coping=["deep_breathing"], stress=7)
        log(world, datetime(2026, 3, 16, 17, 0, tzinfo=UTC), "calm", 4, coping=["deep_breathing"], stress=2)
        log(world, datetime(2026, 3, 18, 6, 10, tzinfo=UTC), "anxious", 6, ["customer_complaint"], ["headache"])
        log(world, datetime(2026, 3, 12, 23, 30, tzinfo=UTC), "content", 6)
        log(world, datetime(2026, 3, 5, 10, 0, tzinfo=UTC), "angry", 9, ["abusive_customer"])  # 15 days back: outside
        log(world, SHANGHAI_NOW - timedelta(hours=1), "sad", 5, who="agent2")  # someone else's: never counted
        body = insights(world, 14)
    assert body["entries"] == 4 and body["timezone"] == "Asia/Shanghai" and body["days"] == 14
    assert body["mean_intensity"] == 6.0  # (8 + 4 + 6 + 6) / 4
    assert body["negative_share"] == 0.5  # frustrated, anxious of four
    assert body["mean_stress"] == 4.5  # (7 + 2) / 2, entries without stress left out
    assert body["by_emotion"] == {"anxious": 1, "calm": 1, "content": 1, "frustrated": 1}
    assert body["by_trigger"] == [
        {"trigger": "customer_complaint", "count": 2, "mean_intensity": 7.0, "negative_share": 1.0},
        {"trigger": "kpi_pressure", "count": 1, "mean_intensity": 8.0, "negative_share": 1.0},
    ]
    assert body["by_signal"] == [{"signal": "headache", "count": 1, "mean_intensity": 6.0}]
    assert body["by_coping"] == [{"coping": "deep_breathing", "count": 2, "mean_stress": 4.5}]
    assert len(body["by_hour"]) == 24 and counts(body["by_hour"], "hour") == {1: 1, 7: 1, 9: 1, 14: 1}
    assert body["by_hour"][9] == {"hour": 9, "count": 1, "negative_share": 1.0, "mean_intensity": 8.0}
    assert body["by_hour"][3] == {"hour": 3, "count": 0, "negative_share": None, "mean_intensity": None}
    assert len(body["by_weekday"]) == 7 and counts(body["by_weekday"], "weekday") == {1: 1, 2: 1, 3: 1, 5: 1}
    assert body["trend"] == [
        {"week_start": "2026-03-02", "entries": 0, "negative_share": None, "mean_mood": None},
        {"week_start": "2026-03-09", "entries": 1, "negative_share": 0.0, "mean_mood": 6.0},
        {"week_start": "2026-03-16", "entries": 3, "negative_share": 0.667, "mean_mood": -3.33},  # (-8 + 4 - 6) / 3
    ]


NEW_YORK_NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # clocks went forward on Sunday 8 March 2026, 02:00


def test_insights_across_the_spring_forward_week_in_new_york(world):
    with at(world, NEW_YORK_NOW):
        set_zone(world, "America/New_York")
        log(world, datetime(2026, 3, 7, 14, 0, tzinfo=UTC), "stressed", 5)  # Sat 09:00 EST (UTC-5)
        log(world, datetime(2026, 3, 8, 13, 0, tzinfo=UTC), "stressed", 5)  # Sun 09:00 EDT (UTC-4), not 08:00
        log(world, datetime(2026, 3, 9, 13, 30, tzinfo=UTC), "calm", 3)  # Mon 09:30 EDT
        log(world, datetime(2026, 3, 9, 4, 30, tzinfo=UTC), "tired", 7)  # Mon 00:30 EDT: at UTC-5 it would be Sunday
        body = insights(world, 7)
    assert counts(body["by_hour"], "hour") == {0: 1, 9: 3}
    assert counts(body["by_weekday"], "weekday") == {1: 2, 6: 1, 7: 1}
    assert body["trend"] == [
        {"week_start": "2026-03-02", "entries": 2, "negative_share": 1.0, "mean_mood": -5.0},
        {"week_start": "2026-03-09", "entries": 2, "negative_share": 0.5, "mean_mood": -2.0},
    ]


def test_insights_across_the_fall_back_night_in_new_york(world):
    # 1 November 2026: 01:00-02:00 happens twice. Both 01:30s are hour 1 of Sunday; 06:30Z is 01:30 EST.
    with at(world, datetime(2026, 11, 3, 12, 0, tzinfo=UTC)):
        set_zone(world, "America/New_York")
        log(world, datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "anxious", 4)  # 01:30 EDT
        log(world, datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "anxious", 6)  # 01:30 EST
        log(world, datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "calm", 2)  # 02:30 EST
        body = insights(world, 7)
    assert counts(body["by_hour"], "hour") == {1: 2, 2: 1} and counts(body["by_weekday"], "weekday") == {7: 3}


def test_insights_days_must_be_7_to_365_and_are_the_callers_alone(world):
    for days in (6, 366, "x"):
        body = assert_problem(world.client.get(f"{API}/diary/insights?days={days}", headers=world.as_("agent")), 422)
        assert "days" in body["errors"]["query"]
    assert_problem(world.client.get(f"{API}/diary/insights?user_id={world.ids['agent2']}", headers=world.as_("agent")), 422)
    assert_problem(world.client.get(f"{API}/diary/insights", headers=world.as_("supervisor")), 403)
    empty = insights(world, 30)
    assert empty["entries"] == 0 and empty["by_trigger"] == [] and empty["mean_intensity"] is None


# --- the mood chart ---------------------------------------------------------------------------------------------

def test_mood_chart_is_a_real_png_and_svg_localized_and_cacheable(world):
    with at(world, SHANGHAI_NOW):
        log(world, SHANGHAI_NOW - timedelta(days=2), "frustrated", 8, ["abusive_customer"])
        log(world, SHANGHAI_NOW - timedelta(days=1), "calm", 6)
        png = world.client.get(f"{API}/diary/chart.png?days=14", headers=world.as_("agent"))
        assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(png.data) > 5_000 and png.headers["Cache-Control"] == "private, no-cache"
        svg = world.client.get(f"{API}/diary/chart.svg?days=14", headers=world.as_("agent") | {"Accept-Language": "zh-CN"})
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        root = ET.fromstring(svg.data)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.find("{http://www.w3.org/2000/svg}title").text == "我的情绪"
        english = world.client.get(f"{API}/diary/chart.svg?days=14", headers=world.as_("agent") | {"Accept-Language": "en"})
        assert ET.fromstring(english.data).find("{http://www.w3.org/2000/svg}title").text == "My mood"
        assert english.headers["ETag"] != svg.headers["ETag"]

        etag = png.headers["ETag"]
        cached = world.client.get(f"{API}/diary/chart.png?days=14", headers=world.as_("agent") | {"If-None-Match": etag})
        assert cached.status_code == 304 and cached.data == b"" and cached.headers["ETag"] == etag
        log(world, SHANGHAI_NOW - timedelta(hours=1), "sad", 3)
        fresh = world.client.get(f"{API}/diary/chart.png?days=14", headers=world.as_("agent") | {"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert "days" in assert_problem(world.client.get(f"{API}/diary/chart.png?days=400", headers=world.as_("agent")),
                                    422)["errors"]["query"]


# --- encryption at rest, rotation, logs ---------------------------------------------------------------------------

def _raw_note(app, entry_id):
    with app.app_context():
        value = db.session.execute(text("SELECT note_ciphertext FROM diary_entries WHERE id = :id"), {"id": entry_id}).scalar()
        db.session.remove()
        return value


def test_notes_are_ciphertext_in_the_database_and_rotate_to_a_new_key(app, world):
    secret = "my manager shouted at me 经理对我大喊"
    entry = log(world, datetime.now(UTC) - timedelta(minutes=5), "wronged", 8, note=secret)
    raw = _raw_note(app, entry["id"])
    old_kid = raw.split(".")[1]
    assert raw.startswith("v1.") and secret not in raw and "manager" not in raw
    with app.app_context():
        dumped = "\n".join(str(row) for row in db.session.execute(text("SELECT * FROM diary_entries")).all())
        db.session.remove()
    assert "manager" not in dumped

    old_keys = app.config["DATA_KEYS"]
    new_key = generate_key("rotated")
    app.config["DATA_KEYS"] = f"{new_key},{old_keys}"
    app.extensions.pop("wellbeing_keyring", None)
    try:
        # Before rotation the old token still reads; after it, the row is under the new key and reads the same.
        assert world.client.get(f"{API}/diary/{entry['id']}", headers=world.as_("agent")).json["note"] == secret
        result = app.test_cli_runner().invoke(args=["rotate-keys", "--batch-size", "1"])
        assert result.exit_code == 0, result.output
        assert "diary_entries.note_ciphertext" in result.output and "1 re-encrypted" in result.output
        rotated = _raw_note(app, entry["id"])
        assert rotated.startswith("v1.rotated.") and rotated != raw
        again = app.test_cli_runner().invoke(args=["rotate-keys"])
        assert again.exit_code == 0 and "diary_entries.note_ciphertext            0 re-encrypted" in again.output
        app.config["DATA_KEYS"] = new_key  # the old key can now be dropped
        app.extensions.pop("wellbeing_keyring", None)
        assert world.client.get(f"{API}/diary/{entry['id']}", headers=world.as_("agent")).json["note"] == secret
    finally:
        app.config["DATA_KEYS"] = old_keys
        app.extensions.pop("wellbeing_keyring", None)
    assert old_kid != "rotated"


def test_a_note_moved_to_another_row_does_not_decrypt(app, world):
    first = log(world, datetime.now(UTC) - timedelta(minutes=5), "sad", 4, note="first note")
    second = log(world, datetime.now(UTC) - timedelta(minutes=4), "sad", 4, note="second note")
    with app.app_context():
        db.session.execute(text("UPDATE diary_entries SET note_ciphertext = :t WHERE id = :id"),
                           {"t": _raw_note(app, first["id"]), "id": second["id"]})
        db.session.commit()
        db.session.remove()
    response = world.client.get(f"{API}/diary/{second['id']}", headers=world.as_("agent"))
    assert response.status_code == 500 or "first note" not in response.get_data(as_text=True)


def test_every_ciphertext_column_is_registered_for_rotation():
    from wellbeing.encrypted_columns import ENCRYPTED_COLUMNS

    in_schema = {f"{table.name}.{column.name}" for table in db.metadata.sorted_tables for column in table.columns
                 if column.name.endswith("_ciphertext")}
    assert in_schema == {spec.name for spec in ENCRYPTED_COLUMNS}


def test_notes_never_reach_the_logs(world, caplog):
    marker = "NOTE-MARKER-7f3a"
    with caplog.at_level(logging.DEBUG):
        log(world, datetime.now(UTC) - timedelta(minutes=5), "angry", 9, note=f"{marker} ok")
        world.client.post(f"{API}/diary", json={"occurred_at": "bad", "emotion": "angry", "intensity": 9,
                                                "note": f"{marker} invalid"}, headers=world.as_("agent"))
        too_long = world.client.post(f"{API}/diary", headers=world.as_("agent"), json={
            "occurred_at": datetime.now(UTC).isoformat(), "emotion": "angry", "intensity": 9, "note": marker * 300})
        assert too_long.status_code == 422 and marker not in too_long.get_data(as_text=True)
        world.client.post(f"{API}/diary/batch", json={"entries": [{"emotion": "x", "note": marker}]},
                          headers=world.as_("agent"))
    assert marker not in caplog.text


# --- the risk model's diary signals -------------------------------------------------------------------------------

def test_the_risk_model_reads_the_last_14_days_of_the_diary(app, world):
    now = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
    with at(world, now):
        cbi = world.client.post(f"{API}/assessments", headers=world.as_("agent"), json={
            "instrument": "cbi", "answers": {str(n): 50 for n in range(1, 20)}, "completed_at": (now - timedelta(days=5)).isoformat()})
        assert cbi.status_code == 201, cbi.json
        log(world, now - timedelta(days=1), "frustrated", 8, ["customer_complaint"])
        log(world, now - timedelta(days=2), "angry", 6, ["abusive_customer", "call_volume"])
        log(world, now - timedelta(days=3), "calm", 3, ["call_volume"])
        log(world, now - timedelta(days=4), "tired", 4)
        log(world, now - timedelta(days=20), "angry", 10, ["abusive_customer"])  # older than 14 days
        with app.app_context():
            signals = risk_signals(db.session, world.ids["agent"], now)
            assert refresh_diary_risk(db.session, now) == 1
            db.session.remove()
        risk = world.client.get(f"{API}/me/risk", headers=world.as_("agent")).json
    assert signals.entry_count == 4 and signals.negative_share == 0.75
    assert signals.mean_negative_intensity == 6.0  # (8 + 6 + 4) / 3
    assert signals.tough_call_triggers == 2
    factors = {f["name"]: f for f in risk["factors"]}
    assert factors["diary_negative_share"]["value"] == 75.0
    assert factors["diary_tough_calls"]["value"] == 50.0  # 2 of 4 entries
