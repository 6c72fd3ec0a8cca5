"""Abuse limits: capped bodies (with and without a length), pagination and batch limits on every list, HSTS only on HTTPS."""
from __future__ import annotations

import io
import uuid
from datetime import timedelta

from tests.conftest import now_utc
from tests.helpers import assert_problem

API = "/api/v1"


def _list_routes(app) -> list[str]:
    """Every GET operation whose OpenAPI parameters include `limit` (found from the document, so new lists count)."""
    with app.test_request_context():
        spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    paths = []
    for path, operations in spec["paths"].items():
        get = operations.get("get") or {}
        if any(p.get("name") == "limit" and p.get("in") == "query" for p in get.get("parameters", [])):
            paths.append(path)
    return paths


def test_every_list_refuses_a_limit_over_500_and_accepts_500(app, world):
    lists = _list_routes(app)
    assert {"/api/v1/diary", "/api/v1/users", "/api/v1/assessments"} <= set(lists)
    callers = {"/api/v1/users": "admin", "/api/v1/api-keys": "admin", "/api/v1/teams": "admin"}
    for path in lists:
        if "{" in path:
            continue  # lists under an object are covered by the same CursorArgsSchema; the matrix covers their access
        caller = callers.get(path, "agent" if path.startswith(("/api/v1/diary", "/api/v1/assessments", "/api/v1/me"))
                             else "hr" if "counsel" in path else "admin")
        headers = world.as_(caller)
        ok = world.client.get(f"{path}?limit=500", headers=headers)
        if ok.status_code in (401, 403, 404):
            continue  # not this caller's list: the authorization matrix decides who may read it
        assert ok.status_code == 200, (path, ok.status_code, ok.get_data(as_text=True)[:300])
        body = assert_problem(world.client.get(f"{path}?limit=501", headers=headers), 422)
        assert "limit" in body["errors"]["query"], path


def test_a_batch_over_500_entries_is_422_and_stores_nothing(world, session):
    from sqlalchemy import func, select

    from wellbeing.models import DiaryEntry

    at = (now_utc() - timedelta(hours=1)).isoformat()
    entries = [{"id": str(uuid.uuid4()), "occurred_at": at, "emotion": "calm", "intensity": 3} for _ in range(501)]
    assert_problem(world.client.post(f"{API}/diary/batch", json={"entries": entries}, headers=world.as_("agent")), 422)
    assert session.scalar(select(func.count()).select_from(DiaryEntry)) == 0


def test_a_chunked_body_without_length_is_capped_at_one_mebibyte(world):
    """A client that sends no Content-Length (chunked) must hit the same cap, as a 413 problem, not a 500."""
    big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = world.client.post(f"{API}/teams", input_stream=io.BytesIO(big), headers=world.as_("admin") | {
        "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 413)


def test_an_oversized_diary_post_is_413_problem(world):
    note = "x" * (1024 * 1024)
    body = {"occurred_at": now_utc().isoformat(), "emotion": "calm", "intensity": 3, "note": note}
    assert_problem(world.client.post(f"{API}/diary", json=body, headers=world.as_("agent")), 413)


def test_hsts_only_on_https_and_forwarded_proto_trusted_only_behind_a_proxy(app, world):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    # Without TRUST_PROXY a client cannot claim HTTPS with a header.
    assert "Strict-Transport-Security" not in world.client.get("/healthz", headers=forwarded).headers
    assert "Strict-Transport-Security" not in world.client.get(f"{API}/me", headers=world.as_("agent")).headers
    secure = world.client.get(f"{API}/me", headers=world.as_("agent"), base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_a_trusted_proxy_forwarded_https_gets_hsts(database_url, tmp_path):
    from api import create_app
    from api.config import Config
    from wellbeing.core.crypto import generate_key

    env = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40,
           "DATA_KEYS": generate_key("t"), "TRUST_PROXY": "1", "RATELIMIT_DISABLED": "1"}
    proxied = create_app(Config(env), TESTING=True).test_client()
    assert proxied.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in proxied.get("/healthz", headers={"X-Forwarded-Proto": "http"}).headers
    assert "Strict-Transport-Security" not in proxied.get("/healthz").headers


def test_deeply_nested_json_is_400_not_500(world):
    """Found by this suite: json.loads raised RecursionError on ~1,000 levels (a few kB), and that was a 500."""
    bodies = ("[" * 100_000 + "]" * 100_000, '{"name": ' + "[" * 5_000 + "]" * 5_000 + "}",
              '{"entries": [' + '{"a":' * 3_000 + "1" + "}" * 3_000 + "]}")
    for body in bodies:
        for url, who in ((f"{API}/teams", "admin"), (f"{API}/diary/batch", "agent"), (f"{API}/diary", "agent")):
            response = world.client.post(url, data=body, content_type="application/json", headers=world.as_(who))
            problem = assert_problem(response, 400)
            assert problem["errors"] == {"json": ["Invalid JSON body."]}, url


def test_nesting_under_the_parser_limit_is_a_422_not_a_crash(world):
    nested = "[" * 500 + "]" * 500
    for url, who in ((f"{API}/teams", "admin"), (f"{API}/diary/batch", "agent"), (f"{API}/users", "admin")):
        body = '{"name": %s, "entries": [%s], "email": %s}' % (nested, nested, nested)
        response = world.client.post(url, data=body, content_type="application/json", headers=world.as_(who))
        assert_problem(response, 422)


def test_an_exhausted_connection_pool_is_a_503_problem_not_a_500(database_url, tmp_path):
    """Found by this suite: the pool's TimeoutError (every connection busy for pool_timeout) was not a 503."""
    from api import create_app
    from api.config import Config
    from wellbeing.core.crypto import generate_key
    from wellbeing.core.db import db

    env = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40,
           "DATA_KEYS": generate_key("t"), "RATELIMIT_DISABLED": "1"}
    config = Config(env)
    options = dict(config.SQLALCHEMY_ENGINE_OPTIONS) | {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2}
    small = create_app(config, TESTING=True, PROPAGATE_EXCEPTIONS=False, SQLALCHEMY_ENGINE_OPTIONS=options)
    with small.app_context():
        engine = db.engine
    held = engine.connect()  # the only connection, busy elsewhere
    try:
        client = small.test_client()
        body = assert_problem(client.get("/readyz"), 503)
        assert body["title"]
        response = client.post(f"{API}/auth/token", json={"email": "a@b.test", "password": "whatever pw"})
        assert_problem(response, 503)
        assert response.headers["Retry-After"]
    finally:
        held.close()
    assert small.test_client().get("/readyz").status_code == 200
    engine.dispose()
