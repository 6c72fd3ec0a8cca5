"""Assertions and constants the tests share."""
from __future__ import annotations

PASSWORD = "correct horse battery"


def assert_problem(response, status: int) -> dict:
    """The response is a problem+json document with this status; return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"]
    return body
