"""Request rate limits live in shared storage (the database by default), so every worker counts the same hits."""
from __future__ import annotations

import time

import time_machine

from api.core.limiter_storage import SQLStorage
from tests.helpers import assert_problem


def test_default_limiter_storage_is_the_database(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "wellbeing+sql://"


def test_two_storage_instances_share_one_counter(app):
    with app.app_context():
        first, second = SQLStorage(), SQLStorage()
        assert first.incr("k", expiry=60) == 1
        assert second.incr("k", expiry=60) == 2
        assert first.get("k") == 2
        assert 0 < first.get_expiry("k") - time.time() <= 60
        first.clear("k")
        assert second.get("k") == 0


def test_an_expired_window_starts_again(app):
    with app.app_context():
        storage = SQLStorage()
        start = time.time()
        with time_machine.travel(start, tick=False):
            storage.incr("w", expiry=60, amount=5)
        with time_machine.travel(start + 61, tick=False):
            assert storage.get("w") == 0
            assert storage.incr("w", expiry=60) == 1


def test_sign_in_requests_are_limited_per_address(client):
    for _ in range(30):
        client.post("/api/v1/auth/token", json={"email": "a@b.c", "password": "x"}, environ_base={"REMOTE_ADDR": "10.7.7.7"})
    assert_problem(client.post("/api/v1/auth/token", json={"email": "a@b.c", "password": "x"},
                               environ_base={"REMOTE_ADDR": "10.7.7.7"}), 429)
    other = client.post("/api/v1/auth/token", json={"email": "a@b.c", "password": "x"}, environ_base={"REMOTE_ADDR": "10.7.7.8"})
    assert other.status_code in (401, 429) and other.headers.get("X-RateLimit-Remaining") != "0"
