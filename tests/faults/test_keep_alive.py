"""Kept-alive connections under the README's gunicorn settings (gthread, 2 workers x 4 threads).

Regression: an answer given before the body was read (401 on a 500-entry batch with an expired token, 413 for an
over-size body, any body on GET /healthz) left the body on the connection; gunicorn drained at most 64 KiB, then
closed the connection it had just announced as kept alive, and the next request on it failed with "connection
closed without response". The client must always get the answer, and the next request must work.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import requests

from tests.faults.server import Server, app_env, bootstrap, migrate

ROUNDS = 15
CAP = 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keepalive")
    env = app_env(f"sqlite:///{tmp / 'keepalive.db'}", tmp / "instance")
    migrate(env)
    bootstrap(env)
    server = Server(env, tmp / "gunicorn.log", workers=2, threads=4)
    server.start()
    try:
        yield server, server.login("admin@fault.test"), env
    finally:
        server.stop()


def _expired_token(env: dict) -> str:
    """An access token as the service signs them, expired a minute ago (what a phone holds after a night offline)."""
    past = datetime.now(timezone.utc) - timedelta(minutes=16)
    claims = {"sub": "someone", "type": "access", "fresh": False, "jti": "x", "iat": past, "nbf": past,
              "exp": past + timedelta(minutes=15)}
    return jwt.encode(claims, env["SECRET_KEY"], algorithm="HS256")


def _batch(entries: int = 500) -> bytes:
    entry = {"occurred_at": datetime.now(timezone.utc).isoformat(), "emotion": "calm", "intensity": 3,
             "note": "n" * 1000}
    return json.dumps({"entries": [entry] * entries}).encode()


def _each_then_next(session: requests.Session, base: str, send, expected: int) -> list[requests.Response]:
    """Send the early-answered request, then an ordinary one on the same session, ROUNDS times."""
    answers = []
    for _ in range(ROUNDS):
        response = send()
        assert response.status_code == expected, response.text[:300]
        assert response.headers["Content-Type"] == "application/problem+json" or expected < 400
        after = session.get(f"{base}/healthz")  # would raise ConnectionError on a broken connection
        assert after.status_code == 200 and after.json() == {"status": "ok"}
        answers.append(response)
    return answers


def test_a_big_batch_with_an_expired_token_is_401_and_the_connection_lives_on(served):
    server, _, env = served
    base, body = f"http://127.0.0.1:{server.port}", _batch()
    assert CAP // 2 < len(body) <= CAP  # bigger than gunicorn's 64 KiB drain, within the service's cap
    with requests.Session() as session:
        headers = {"Authorization": f"Bearer {_expired_token(env)}", "Content-Type": "application/json"}
        answers = _each_then_next(session, base, lambda: session.post(f"{base}/api/v1/diary/batch", data=body,
                                                                      headers=headers), 401)
    # Within the cap the unread body is drained: the connection is kept, not closed.
    assert all(answer.headers.get("Connection", "keep-alive").lower() != "close" for answer in answers)


def test_a_body_on_get_healthz_does_not_break_the_next_request(served):
    server, _, _ = served
    base = f"http://127.0.0.1:{server.port}"
    with requests.Session() as session:
        answers = _each_then_next(session, base, lambda: session.get(
            f"{base}/healthz", data=b"x" * (CAP - 1), headers={"Content-Type": "application/json"}), 200)
    assert all(answer.headers.get("Connection", "keep-alive").lower() != "close" for answer in answers)


def test_an_over_size_body_is_413_with_connection_close_and_the_next_request_works(served):
    server, admin, _ = served
    base = f"http://127.0.0.1:{server.port}"
    over = b'{"name": "' + b"x" * (2 * CAP) + b'"}'
    with requests.Session() as session:
        headers = admin | {"Content-Type": "application/json"}
        answers = _each_then_next(session, base, lambda: session.post(f"{base}/api/v1/teams", data=over,
                                                                      headers=headers), 413)
        chunked = _each_then_next(session, base, lambda: session.post(
            f"{base}/api/v1/teams", data=iter([b'{"name": "'] + [b"y" * 65536] * 20 + [b'"}']), headers=headers), 413)
    # Past the cap the body is not read: the answer says so, and the client opens a new connection.
    assert all(answer.headers["Connection"].lower() == "close" for answer in answers + chunked)


def test_an_over_long_request_line_is_a_414_problem_from_gunicorn(served):
    server, _, _ = served
    response = requests.get(f"http://127.0.0.1:{server.port}/healthz", params={"q": "a" * 5000}, timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == {"type": "about:blank", "title": "URI Too Long", "status": 414,
                               "detail": "The request line (method, path and query) is too long."}
