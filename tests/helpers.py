"""Assertions and constants the tests share."""
from __future__ import annotations

import os

PASSWORD = "correct horse battery"
# What an admin sets on POST /users: its owner must replace it before signing in.
TEMPORARY_PASSWORD = "temporary-from-admin"
# The PostgreSQL server for the measurements that run on it in every run: this run's, else the local one.
PG_SERVER = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") and os.environ["TEST_DATABASE_URL"] \
    or os.environ.get("PG_SERVER_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def assert_problem(response, status: int) -> dict:
    """The response is a problem+json document with this status; return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"]
    return body
