"""Abuse limits as a real client meets them: gunicorn in front, chunked and oversized bodies, a proxy's headers."""
from __future__ import annotations

import http.client
import json
import socket

import pytest

from tests.faults.server import PASSWORD, Server, app_env, bootstrap, migrate

CAP = 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One gunicorn behind a (pretend) TLS proxy: TRUST_PROXY=1, on a SQLite file (limits do not depend on the database)."""
    tmp = tmp_path_factory.mktemp("served")
    env = app_env(f"sqlite:///{tmp / 'served.db'}", tmp / "instance", TRUST_PROXY="1")
    migrate(env)
    bootstrap(env)
    server = Server(env, tmp / "gunicorn.log", workers=1, threads=2)
    server.start()
    try:
        yield server, server.login("admin@fault.test")
    finally:
        server.stop()


def _send(server: Server, headers: dict, body_chunks, chunked: bool):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request("POST", "/api/v1/teams", body=body_chunks, headers=headers, encode_chunked=chunked)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        conn.close()


def test_a_chunked_body_over_the_cap_is_413_problem_through_gunicorn(served):
    server, admin = served
    chunks = iter([b'{"name": "'] + [b"x" * 65536] * 17 + [b'"}'])  # 1.06 MiB, no Content-Length
    status, content_type, raw = _send(server, admin | {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                                      chunks, chunked=True)
    assert status == 413 and content_type == "application/problem+json", (status, raw[:200])
    assert json.loads(raw)["status"] == 413


def test_a_chunked_body_under_the_cap_is_accepted_whole(served):
    server, admin = served
    name = "chunked team " + "y" * 50
    chunks = iter([b'{"name": ', json.dumps(name).encode(), b"}"])
    status, _, raw = _send(server, admin | {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                           chunks, chunked=True)
    assert status == 201, raw[:300]
    assert json.loads(raw)["name"] == name


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(served):
    server, admin = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        head = (f"POST /api/v1/teams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Authorization: {admin['Authorization']}\r\nContent-Length: {CAP * 50}\r\n\r\n")
        sock.sendall(head.encode() + b'{"name": "')  # the other 50 MiB never come
        reply = sock.recv(65536).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413") and "application/problem+json" in reply, reply[:300]


def test_hsts_follows_the_proxys_forwarded_proto(served):
    server, _ = served
    https = server.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})[2]
    plain = server.request("GET", "/healthz", headers={"X-Forwarded-Proto": "http"})[2]
    assert https["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in plain
    for headers in (https, plain):
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


def test_sign_in_throttle_holds_across_workers_and_a_restart(tmp_path):
    """Five failed sign-ins from an address in 15 minutes, counted in the database: workers and restarts share it."""
    env = app_env(f"sqlite:///{tmp_path / 'limits.db'}", tmp_path / "instance", RATELIMIT_DISABLED="0")
    migrate(env)
    bootstrap(env)
    server = Server(env, tmp_path / "gunicorn.log", workers=2, threads=2)
    server.start()
    wrong = {"email": "admin@fault.test", "password": "not the password"}
    try:
        statuses = [server.request("POST", "/api/v1/auth/token", wrong)[0] for _ in range(3)]
        server.stop()
        server.start()  # a restart forgets nothing: the failures are not in process memory
        statuses += [server.request("POST", "/api/v1/auth/token", wrong)[0] for _ in range(2)]
        right = {"email": "admin@fault.test", "password": PASSWORD}
        status, body, headers = server.request("POST", "/api/v1/auth/token", right)
    finally:
        server.stop()
    assert statuses == [401] * 5, statuses
    # Even the right password waits now: a guesser cannot tell a hit from a miss while throttled.
    assert status == 429 and body["status"] == 429 and headers["content-type"] == "application/problem+json"
    assert 0 < int(headers["retry-after"]) <= 15 * 60
