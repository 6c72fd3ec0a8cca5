"""One error path: every failure is application/problem+json, and bad input is never a 500."""
from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from tests.helpers import assert_problem


def test_malformed_json_is_400(world):
    response = world.client.post("/api/v1/teams", data="{not json", content_type="application/json",
                                 headers=world.as_("admin"))
    assert_problem(response, 400)


def test_unknown_route_is_404_problem(client):
    assert_problem(client.get("/api/v1/nowhere"), 404)
    assert_problem(client.get("/nowhere"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/healthz")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_body_over_one_mebibyte_is_413(world):
    big = '{"name": "' + "x" * (1024 * 1024) + '"}'
    response = world.client.post("/api/v1/teams", data=big, content_type="application/json", headers=world.as_("admin"))
    assert_problem(response, 413)


def test_non_json_body_is_415(world):
    response = world.client.post("/api/v1/teams", data="name=x", content_type="application/x-www-form-urlencoded",
                                 headers=world.as_("admin"))
    assert_problem(response, 415)


def test_validation_errors_are_422_with_field_errors(world):
    body = assert_problem(world.client.post("/api/v1/teams", json={"name": ""}, headers=world.as_("admin")), 422)
    assert list(body["errors"]["json"]) == ["name"]
    body = assert_problem(world.client.post("/api/v1/teams", json={}, headers=world.as_("admin")), 422)
    assert "Missing data for required field." in body["errors"]["json"]["name"]


def test_hostile_values_are_4xx_never_500(world):
    admin = world.as_("admin")
    hostile = [
        ("/api/v1/teams", "post", {"name": "a\u0000b"}),
        ("/api/v1/teams", "post", {"name": ["list"]}),
        ("/api/v1/teams", "post", {"name": 10 ** 400}),
        ("/api/v1/teams", "post", {"name": "x", "id": "not-a-uuid"}),
        ("/api/v1/teams", "post", {"name": "x", "unknown": 1}),
        ("/api/v1/teams", "post", ["not", "an", "object"]),
        ("/api/v1/teams", "post", None),
        ("/api/v1/org", "patch", {"roster_min": 10 ** 30}),
        ("/api/v1/org", "patch", {"epsilon_per_month": float("1e308")}),
        ("/api/v1/org", "patch", {"help_lines": [{"name": "\u0000", "phone": "1"}]}),
        ("/api/v1/users", "post", {"email": "a@b.c", "name": "n", "role": "emperor", "password": "x" * 12}),
        ("/api/v1/me", "patch", {"work_hours": {"days": [10 ** 20], "start": "09:00", "end": "10:00"}}),
        ("/api/v1/me", "patch", {"locale": "\ud800"}),
    ]
    for url, method, body in hostile:
        response = getattr(world.client, method)(url, json=body, headers=admin)
        assert 400 <= response.status_code < 500, (url, body, response.status_code)
        assert response.mimetype == "application/problem+json"


def test_unexpected_exception_is_a_500_problem_without_internals(world, monkeypatch, caplog):
    from wellbeing.org import users
    def boom(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(users, "update_profile", boom)
    with caplog.at_level(logging.ERROR):
        response = world.client.patch("/api/v1/me", json={"name": "x"}, headers=world.as_("agent"))
    body = assert_problem(response, 500)
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert any(body["request_id"] in r.getMessage() for r in caplog.records)


def test_database_outage_is_a_503_problem(world, monkeypatch):
    from wellbeing.org import users
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(users, "update_profile", down)
    response = world.client.patch("/api/v1/me", json={"name": "x"}, headers=world.as_("agent"))
    assert_problem(response, 503)
    assert response.headers["Retry-After"]


def test_rate_limit_is_a_429_problem_with_retry_after(client):
    responses = [client.post("/api/v1/auth/token", json={"email": "x@y.z", "password": "p"},
                             environ_base={"REMOTE_ADDR": "10.1.1.1"}) for _ in range(31)]
    assert [r.status_code for r in responses[:5]] == [401] * 5
    last = responses[-1]
    assert_problem(last, 429)
    assert int(last.headers["Retry-After"]) > 0


def test_security_headers_on_every_response(world):
    for response in (world.client.get("/healthz"), world.client.get("/api/v1/me", headers=world.as_("agent")),
                     world.client.get("/api/v1/nowhere")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Request-ID"]
    assert "Strict-Transport-Security" not in world.client.get("/healthz").headers
    assert world.client.get("/healthz", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_the_json_provider_answers_as_flasks_own_for_what_orjson_refuses(app):
    """orjson serves the common case; integers beyond 64 bits and lone surrogates take the standard library's path."""
    import json

    from datetime import datetime, timezone

    with app.app_context():
        provider = app.json
        for value in ({"b": 1, "a": [1.5, None, True]}, {"n": 10 ** 30}, {"s": "\ud800"}, {"é": "中文"},
                      {"at": datetime(2030, 3, 2, 1, 0, tzinfo=timezone.utc)}):
            assert json.loads(provider.dumps(value)) == json.loads(json.dumps(value, default=provider.default))
        assert provider.dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'  # sorted and compact, as Flask's
        assert provider.dumps({"at": datetime(2030, 3, 2, 1, 0, tzinfo=timezone.utc)}) == \
            '{"at":"Sat, 02 Mar 2030 01:00:00 GMT"}'  # dates as HTTP dates, as Flask's
        assert provider.loads('{"n": 1000000000000000000000000000000}') == {"n": 10 ** 30}  # an int, as json's
        response = provider.response({"z": 1, "a": "x"})
        assert response.mimetype == "application/json" and response.get_data() == b'{"a":"x","z":1}\n'
