"""Helpers the counseling and data-rights tests share: consents, cases, appointments, a pinned clock."""
from __future__ import annotations

import contextlib
from datetime import datetime, timezone

import time_machine

API = "/api/v1"
# A fixed, future instant (Saturday 2030-03-02 01:00 UTC) every pinned-clock scenario starts from.
T0 = datetime(2030, 3, 2, 1, 0, tzinfo=timezone.utc)


def iso(at: datetime) -> str:
    """RFC 3339 with a Z."""
    return at.isoformat().replace("+00:00", "Z")


@contextlib.contextmanager
def pinned(world, when: datetime):
    """Run API calls at ``when``: the clock is frozen and everyone signs in again inside."""
    world.headers.clear()
    with time_machine.travel(when, tick=False):
        yield
    world.headers.clear()


def set_consents(world, key: str, hr_followup: bool = True, team_aggregates: bool = False) -> dict:
    response = world.client.put(f"{API}/me/consents", headers=world.as_(key),
                                json={"team_aggregates": team_aggregates, "hr_followup": hr_followup})
    assert response.status_code == 200, response.json
    return response.json


def self_refer(world, key: str = "agent", **body) -> dict:
    response = world.client.post(f"{API}/me/counseling", json=body, headers=world.as_(key))
    assert response.status_code == 201, response.json
    return response.json


def hr_open(world, agent_key: str = "agent", hr_key: str = "hr", **body) -> dict:
    response = world.client.post(f"{API}/counseling/cases", json={"user_id": world.ids[agent_key], **body},
                                 headers=world.as_(hr_key))
    assert response.status_code == 201, response.json
    return response.json


def propose(world, case_id: str, starts_at: datetime, duration: int = 50, hr_key: str = "hr", **extra):
    """POST an appointment; returns the response (callers check the status)."""
    body = {"starts_at": iso(starts_at), "duration_minutes": duration, "mode": "video", **extra}
    return world.client.post(f"{API}/counseling/cases/{case_id}/appointments", json=body, headers=world.as_(hr_key))


def proposed(world, case_id: str, starts_at: datetime, **extra) -> dict:
    response = propose(world, case_id, starts_at, **extra)
    assert response.status_code == 201, response.json
    return response.json


def answer(world, appointment_id: str, action: str, key: str = "agent", **body):
    return world.client.post(f"{API}/me/counseling/appointments/{appointment_id}/{action}", json=body or None,
                             headers=world.as_(key))


def hr_patch_appointment(world, appointment_id: str, hr_key: str = "hr", **body):
    return world.client.patch(f"{API}/counseling/appointments/{appointment_id}", json=body, headers=world.as_(hr_key))


def set_timezone(world, key: str, zone: str) -> None:
    response = world.client.patch(f"{API}/me", json={"timezone": zone}, headers=world.as_(key))
    assert response.status_code == 200
