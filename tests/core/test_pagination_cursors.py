"""Signed pagination cursors: a crafted, tampered or foreign cursor is a 400 problem+json, never a 500."""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from itsdangerous import URLSafeSerializer

from api.core.pagination import CURSOR_PATTERN
from tests.helpers import assert_problem

API = "/api/v1"
LISTS = ("/diary", "/me/prompts", "/me/devices", "/assessments")


def _endpoint(app, path: str) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(API + path, method="GET")[0]


def _unsigned(payload) -> str:
    """What the old, unsigned cursors were: base64url JSON the client could write itself."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _diary_cursor(world) -> str:
    now = datetime.now(timezone.utc)
    for minutes in (1, 2, 3):
        response = world.client.post(f"{API}/diary", headers=world.as_("agent"), json={
            "occurred_at": (now - timedelta(minutes=minutes)).isoformat(), "emotion": "calm", "intensity": 3})
        assert response.status_code == 201, response.json
    page = world.client.get(f"{API}/diary?limit=1", headers=world.as_("agent")).json
    assert page["next_cursor"]
    return page["next_cursor"]


def test_a_real_cursor_matches_the_documented_pattern_and_pages_on(world):
    cursor = _diary_cursor(world)
    assert re.match(CURSOR_PATTERN, cursor), cursor
    following = world.client.get(f"{API}/diary?limit=1&cursor={cursor}", headers=world.as_("agent"))
    assert following.status_code == 200 and len(following.json["items"]) == 1


@pytest.mark.parametrize("path", LISTS)
def test_crafted_and_tampered_cursors_are_400_problems(app, world, path):
    real = _diary_cursor(world)
    payload, signature = real.rsplit(".", 1)
    forged_key = URLSafeSerializer("not-our-secret", salt=f"wellbeing.cursor:{_endpoint(app, path)}")
    ours = URLSafeSerializer(app.secret_key, salt=f"wellbeing.cursor:{_endpoint(app, path)}")
    crafted = [
        _unsigned([{"t": "9999-12-31T23:59:59"}, "x"]),           # the old format: accepted unsigned, then 500
        _unsigned([{"t": "not a date"}, ["a list"]]) + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA",
        payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:],   # a flipped signature
        forged_key.dumps([{"t": "2026-01-01T00:00:00+00:00"}, "x"]),               # signed with another key
        ours.dumps([{"t": "not a date"}, "x"]),                                     # ours, but a broken key inside
        ours.dumps([[1, 2], {"id": 1}]),
        ours.dumps("just a string"),
    ]
    if path != "/diary":
        crafted.append(real)  # a diary cursor is not a cursor of another list
    for cursor in crafted:
        response = world.client.get(f"{API}{path}", query_string={"cursor": cursor}, headers=world.as_("agent"))
        if re.match(CURSOR_PATTERN, cursor):
            body = assert_problem(response, 400)
            assert body["errors"] == {"query": {"cursor": ["Invalid cursor."]}}, (cursor, body)
            assert body["code"] == "invalid_cursor"
        else:
            body = assert_problem(response, 422)   # the documented pattern already refuses it
            assert "cursor" in body["errors"]["query"]
