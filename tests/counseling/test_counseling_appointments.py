"""Appointments: the state machine, counselor conflicts, and times in each party's own zone."""
from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from tests.counseling.helpers import (
    API, T0, answer, hr_patch_appointment, iso, pinned, propose, proposed, self_refer, set_timezone,
)
from tests.helpers import assert_problem

START = T0 + timedelta(days=2, hours=13)  # Monday 2030-03-04 14:00 UTC
_slots = itertools.count(1)


def _case_and_appointment(world, starts_at=START, **extra):
    case = self_refer(world)
    return case, proposed(world, case["id"], starts_at, **extra)


def _in_state(world, state: str) -> dict:
    """A fresh appointment (on a fresh case of ``agent``) brought into ``state`` through the API."""
    _, appointment = _case_and_appointment(world, START + timedelta(hours=next(_slots)))
    steps = {"proposed": [], "accepted": [("accept",)], "declined": [("decline",)],
             "reschedule_requested": [("reschedule-request",)], "cancelled": [("hr", "cancelled")]}[state]
    for step in steps:
        response = (hr_patch_appointment(world, appointment["id"], state=step[1]) if step[0] == "hr"
                    else answer(world, appointment["id"], step[0]))
        assert response.status_code == 200, response.json
    return appointment


def test_times_are_shown_in_each_partys_zone_across_a_dst_change(world):
    with pinned(world, T0):
        set_timezone(world, "agent", "Asia/Shanghai")
        set_timezone(world, "hr", "America/New_York")
        case, before = _case_and_appointment(world)
        after = proposed(world, case["id"], T0 + timedelta(days=9, hours=12))  # 2030-03-11 13:00 UTC, after US DST
        mine = world.client.get(f"{API}/me/counseling", headers=world.as_("agent")).json["items"][0]["appointments"]
    assert (before["starts_at"], before["starts_at_local"], before["timezone"]) == (
        "2030-03-04T14:00:00Z", "2030-03-04T09:00:00-05:00", "America/New_York")
    assert before["ends_at_local"] == "2030-03-04T09:50:00-05:00"
    assert after["starts_at_local"] == "2030-03-11T09:00:00-04:00"
    assert [(a["starts_at_local"], a["timezone"]) for a in mine] == [
        ("2030-03-04T22:00:00+08:00", "Asia/Shanghai"), ("2030-03-11T21:00:00+08:00", "Asia/Shanghai")]


def test_a_proposal_carries_time_mode_place_and_counselor(world):
    with pinned(world, T0):
        _, appointment = _case_and_appointment(world, mode="in_person", location="Room 3, 5th floor")
    assert (appointment["state"], appointment["mode"], appointment["location"]) == ("proposed", "in_person",
                                                                                   "Room 3, 5th floor")
    assert appointment["duration_minutes"] == 50 and appointment["ends_at"] == "2030-03-04T14:50:00Z"
    assert appointment["counselor"] == {"id": world.ids["hr"], "name": "Hr"}


def test_agent_answers_move_the_state_and_the_history(world):
    with pinned(world, T0):
        case, appointment = _case_and_appointment(world)
        accepted = answer(world, appointment["id"], "accept")
        window = {"starts_at": "2030-03-05T01:00:00Z", "ends_at": "2030-03-05T04:00:00Z"}
        asked = answer(world, appointment["id"], "reschedule-request", preferred_times=[window])
        history = world.client.get(f"{API}/me/counseling/{case['id']}", headers=world.as_("agent")).json["history"]
    assert accepted.json["state"] == "accepted"
    assert asked.json["state"] == "reschedule_requested" and asked.json["preferred_times"] == [window]
    assert [e["kind"] for e in history] == ["opened", "appointment_proposed", "appointment_accepted",
                                            "appointment_reschedule_requested"]
    assert history[2]["actor_role"] == "agent" and history[2]["appointment_id"] == appointment["id"]


# Before the appointment starts: state -> expected status of accept, decline, reschedule-request, HR cancel, HR new time.
BEFORE_START = {
    "proposed": (200, 200, 200, 200, 200),
    "accepted": (409, 409, 200, 200, 200),
    "reschedule_requested": (409, 409, 409, 200, 200),
    "declined": (409, 409, 409, 409, 409),
    "cancelled": (409, 409, 409, 409, 409),
}


def test_the_state_machine_before_the_start(world):
    actions = ("accept", "decline", "reschedule-request", "cancel", "reschedule")
    with pinned(world, T0):
        for state, expected in BEFORE_START.items():
            for action, status in zip(actions, expected):
                appointment = _in_state(world, state)
                if action == "cancel":
                    response = hr_patch_appointment(world, appointment["id"], state="cancelled")
                elif action == "reschedule":
                    response = hr_patch_appointment(world, appointment["id"], duration_minutes=30)
                else:
                    response = answer(world, appointment["id"], action)
                assert response.status_code == status, (state, action, response.json)
                if status == 409:
                    assert response.json["code"] == "invalid_transition"


def test_outcomes_are_recorded_only_once_the_session_has_started(world):
    with pinned(world, T0):
        _, accepted = _case_and_appointment(world)
        answer(world, accepted["id"], "accept")
        _, still_proposed = _case_and_appointment(world, START + timedelta(hours=2))
        body = assert_problem(hr_patch_appointment(world, accepted["id"], state="completed"), 409)
        assert body["code"] == "not_started"
    with pinned(world, START + timedelta(hours=3)):
        assert hr_patch_appointment(world, accepted["id"], state="completed").json["state"] == "completed"
        assert assert_problem(hr_patch_appointment(world, still_proposed["id"], state="no_show"), 409)["code"] == \
            "invalid_transition"
        assert assert_problem(answer(world, still_proposed["id"], "accept"), 409)["code"] == "in_the_past"
        for change in ({"state": "cancelled"}, {"state": "no_show"}, {"duration_minutes": 30}, {"mode": "phone"}):
            assert_problem(hr_patch_appointment(world, accepted["id"], **change), 409)


def test_no_show_is_recorded_after_the_start(world):
    with pinned(world, T0):
        case, appointment = _case_and_appointment(world)
        answer(world, appointment["id"], "accept")
    with pinned(world, START + timedelta(minutes=20)):
        assert hr_patch_appointment(world, appointment["id"], state="no_show").json["state"] == "no_show"
        kinds = [e["kind"] for e in world.client.get(f"{API}/counseling/cases/{case['id']}",
                                                     headers=world.as_("hr")).json["history"]]
    assert kinds[-1] == "appointment_no_show"


def test_hr_reschedule_goes_back_to_proposed_for_the_agent_to_accept_again(world):
    with pinned(world, T0):
        _, appointment = _case_and_appointment(world)
        answer(world, appointment["id"], "accept")
        moved = hr_patch_appointment(world, appointment["id"], starts_at=iso(START + timedelta(days=1)))
        assert moved.json["state"] == "proposed" and moved.json["starts_at"] == "2030-03-05T14:00:00Z"
        assert moved.json["ends_at"] == "2030-03-05T14:50:00Z"
        assert answer(world, appointment["id"], "accept").json["state"] == "accepted"


def test_mode_and_place_change_without_a_new_answer(world):
    with pinned(world, T0):
        _, appointment = _case_and_appointment(world)
        answer(world, appointment["id"], "accept")
        changed = hr_patch_appointment(world, appointment["id"], mode="phone", location=None).json
    assert (changed["state"], changed["mode"], changed["location"]) == ("accepted", "phone", None)


def test_a_counselor_cannot_hold_two_overlapping_appointments(world):
    with pinned(world, T0):
        first_case, first = _case_and_appointment(world)  # 14:00-14:50
        other_case = self_refer(world, "agent2")
        clash = propose(world, other_case["id"], START + timedelta(minutes=30))
        assert assert_problem(clash, 409)["code"] == "counselor_conflict"
        assert assert_problem(propose(world, other_case["id"], START - timedelta(minutes=30), duration=31), 409)
        back_to_back = proposed(world, other_case["id"], START + timedelta(minutes=50))
        moved_into = hr_patch_appointment(world, back_to_back["id"], starts_at=iso(START + timedelta(minutes=10)))
        assert assert_problem(moved_into, 409)["code"] == "counselor_conflict"
        hr_patch_appointment(world, first["id"], state="cancelled")
        assert hr_patch_appointment(world, back_to_back["id"], starts_at=iso(START)).status_code == 200


def test_declined_appointments_free_the_slot_and_other_counselors_are_independent(world):
    world.add_person("hr2", "hr")
    with pinned(world, T0):
        _, first = _case_and_appointment(world)
        other_case = self_refer(world, "agent2")
        assert propose(world, other_case["id"], START, hr_key="hr2").status_code == 201
        third = self_refer(world, "agent_b")
        assert propose(world, third["id"], START, counselor_id=world.ids["hr2"]).status_code == 409
        answer(world, first["id"], "decline")
        assert propose(world, third["id"], START).status_code == 201


def test_the_counselor_must_be_hr_of_the_organization(world):
    with pinned(world, T0):
        case = self_refer(world)
        for counselor in (world.ids["supervisor"], world.ids["agent2"], world.ids["other_agent"], "nobody"):
            response = propose(world, case["id"], START, counselor_id=counselor)
            assert "counselor_id" in assert_problem(response, 422)["errors"]["json"]


def test_appointment_input_is_validated(world):
    with pinned(world, T0):
        case = self_refer(world)
        url = f"{API}/counseling/cases/{case['id']}/appointments"
        good = {"starts_at": iso(START), "duration_minutes": 50, "mode": "video"}
        bad = [{**good, "starts_at": iso(T0 - timedelta(minutes=1))}, {**good, "starts_at": iso(T0 + timedelta(days=400))},
               {**good, "starts_at": "2030-03-04T14:00:00"}, {**good, "duration_minutes": 9},
               {**good, "duration_minutes": 241}, {**good, "duration_minutes": 10 ** 20}, {**good, "mode": "carrier_pigeon"},
               {**good, "location": "x" * 201}, {**good, "location": ""}, {k: v for k, v in good.items() if k != "mode"}]
        for body in bad:
            assert_problem(world.client.post(url, json=body, headers=world.as_("hr")), 422)
        appointment = proposed(world, case["id"], START)
        for change in ({}, {"state": "accepted"}, {"state": "cancelled", "starts_at": iso(START)},
                       {"starts_at": iso(T0 - timedelta(hours=1))}, {"next_follow_up_on": "2030-03-01"}):
            assert_problem(hr_patch_appointment(world, appointment["id"], **change), 422)
        assert_problem(hr_patch_appointment(world, "no-such-appointment", state="cancelled"), 404)


def test_appointment_create_replays_on_the_same_id(world):
    with pinned(world, T0):
        case = self_refer(world)
        client_id = str(uuid.uuid4())
        first = propose(world, case["id"], START, id=client_id)
        again = propose(world, case["id"], START, id=client_id)
        assert (first.status_code, again.status_code) == (201, 200) and again.json["id"] == client_id
        assert propose(world, case["id"], START, id=client_id, duration=30).status_code == 409
        other = self_refer(world, "agent2")
        assert propose(world, other["id"], START, id=client_id).status_code == 409


def test_hr_sets_the_next_follow_up_date_with_an_appointment_update(world):
    with pinned(world, T0):
        case, appointment = _case_and_appointment(world)
        response = hr_patch_appointment(world, appointment["id"], next_follow_up_on="2030-03-20")
        detail = world.client.get(f"{API}/counseling/cases/{case['id']}", headers=world.as_("hr")).json
    assert response.status_code == 200 and detail["next_follow_up_on"] == "2030-03-20"
    assert detail["history"][-1]["kind"] == "follow_up_set"
    assert detail["history"][-1]["data"] == {"next_follow_up_on": "2030-03-20"}
