"""Helpers of the contact-centre tests: sample platform events from tests/fixtures, varied per test."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures"
API = "/api/v1"
CONTACT = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
AGENT = "4a5b6c7d-8e9f-4a0b-b1c2-d3e4f5a6b7c8"
# The fixtures' call: connected 02:00:04, disconnected 02:06:11 UTC on Monday 2030-03-04 (10:00 in Shanghai)
CALL_START = datetime(2030, 3, 4, 2, 0, 4, 512000, tzinfo=timezone.utc)
CALL_END = datetime(2030, 3, 4, 2, 6, 11, 877000, tzinfo=timezone.utc)


def _z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def amazon_event(name: str, event_id: str | None = None, contact: str = CONTACT, agent: str = AGENT,
                 shift: timedelta = timedelta(0)) -> dict:
    """A fixture with its contact and agent ids replaced, every time moved by `shift`, and its own event id."""
    text = (FIXTURES / "amazon_connect" / f"{name}.json").read_text()
    text = text.replace(CONTACT, contact).replace(AGENT, agent)
    event = json.loads(text)
    if event_id is not None:
        event["id"] = event_id
    return _shift_times(event, shift)


def _shift_times(value, shift: timedelta):
    if isinstance(value, dict):
        return {key: _shift_times(item, shift) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift_times(item, shift) for item in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T" and value.endswith("Z"):
        return _z(datetime.fromisoformat(value.replace("Z", "+00:00")) + shift)
    return value


def api_key(world, admin: str = "admin") -> dict:
    key = world.client.post(f"{API}/api-keys", json={"name": "Amazon Connect"}, headers=world.as_(admin)).json["key"]
    return {"Authorization": f"Bearer {key}"}


def link_agent(world, key: str = "agent", platform: str = "amazon_connect", platform_id: str = AGENT) -> None:
    response = world.client.patch(f"{API}/users/{world.ids[key]}", json={"external_ids": {platform: platform_id}},
                                  headers=world.as_("admin"))
    assert response.status_code == 200, response.json
    assert response.json["external_ids"] == {platform: platform_id}
