"""Sign-in, refresh rotation and reuse detection, sign-out, expiry and login throttling."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from api.core.extensions import limiter
from tests.conftest import now_utc
from tests.helpers import PASSWORD, assert_problem
from wellbeing.models import AuthSession, LoginFailure


def _login(client, email, password=PASSWORD, ip="10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_a_token_pair(world):
    response = _login(world.client, "agent@a.test")
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert world.client.get("/api/v1/me", headers=_bearer(body["access_token"])).json["email"] == "agent@a.test"


def test_login_email_is_case_insensitive(world):
    assert _login(world.client, "  Agent@A.test ").status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_answer(world):
    wrong = assert_problem(_login(world.client, "agent@a.test", "wrong password!"), 401)
    unknown = assert_problem(_login(world.client, "nobody@a.test", "wrong password!"), 401)
    for body in (wrong, unknown):
        body.pop("request_id")
    assert wrong == unknown


def test_refresh_returns_a_new_pair_and_the_old_refresh_token_stops_working(world):
    first = _login(world.client, "agent@a.test").json
    second = world.client.post("/api/v1/auth/refresh", headers=_bearer(first["refresh_token"]))
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    assert world.client.get("/api/v1/me", headers=_bearer(second.json["access_token"])).status_code == 200
    third = world.client.post("/api/v1/auth/refresh", headers=_bearer(second.json["refresh_token"]))
    assert third.status_code == 200


def test_reused_refresh_token_revokes_the_whole_family(world, session):
    first = _login(world.client, "agent@a.test").json
    second = world.client.post("/api/v1/auth/refresh", headers=_bearer(first["refresh_token"])).json
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(first["refresh_token"])), 401)
    # The thief's replay also kills the legitimate holder's newer tokens.
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(second["refresh_token"])), 401)
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(second["access_token"])), 401)
    family = session.scalars(select(AuthSession).where(AuthSession.user_id == world.ids["agent"])).all()
    assert [f.revoked_reason for f in family] == ["refresh_reuse"]


def test_reuse_in_one_family_leaves_other_sign_ins_alone(world):
    phone = _login(world.client, "agent@a.test").json
    laptop = _login(world.client, "agent@a.test").json
    world.client.post("/api/v1/auth/refresh", headers=_bearer(phone["refresh_token"]))
    world.client.post("/api/v1/auth/refresh", headers=_bearer(phone["refresh_token"]))
    assert world.client.post("/api/v1/auth/refresh", headers=_bearer(laptop["refresh_token"])).status_code == 200


def test_logout_revokes_refresh_and_access_tokens(world):
    pair = _login(world.client, "agent@a.test").json
    response = world.client.post("/api/v1/auth/logout", headers=_bearer(pair["access_token"]))
    assert response.status_code == 204
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(pair["refresh_token"])), 401)
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])), 401)


def test_logout_with_the_refresh_token_works_too(world):
    pair = _login(world.client, "agent@a.test").json
    assert world.client.post("/api/v1/auth/logout", headers=_bearer(pair["refresh_token"])).status_code == 204
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(pair["refresh_token"])), 401)


def test_access_token_expires_after_15_minutes(world):
    pair = _login(world.client, "agent@a.test").json
    with time_machine.travel(now_utc() + timedelta(minutes=14), tick=False):
        assert world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])).status_code == 200
    with time_machine.travel(now_utc() + timedelta(minutes=16), tick=False):
        body = assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])), 401)
        assert "expired" in body["detail"]


def test_access_token_is_refused_by_the_refresh_endpoint_with_401(world):
    pair = _login(world.client, "agent@a.test").json
    assert_problem(world.client.post("/api/v1/auth/refresh", headers=_bearer(pair["access_token"])), 401)


def test_refresh_token_does_not_open_user_endpoints(world):
    pair = _login(world.client, "agent@a.test").json
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["refresh_token"])), 401)


def test_missing_and_garbage_tokens_are_401_problems(world):
    assert_problem(world.client.get("/api/v1/me"), 401)
    assert_problem(world.client.get("/api/v1/me", headers=_bearer("not.a.jwt")), 401)
    assert_problem(world.client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401)


def test_tokens_signed_with_another_key_are_refused(world):
    import jwt as pyjwt

    forged = pyjwt.encode({"sub": world.ids["admin"], "type": "access", "sid": "x", "fresh": False,
                           "jti": "j", "exp": 4102444800}, "a-different-signing-key-of-sufficient-length-0123456789", algorithm="HS256")
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(forged)), 401)


def test_api_key_never_opens_user_endpoints(world):
    key = world.client.post("/api/v1/api-keys", json={}, headers=world.as_("admin")).json["key"]
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(key)), 401)


def test_five_failures_from_one_address_hold_that_address_for_that_account(world):
    for _ in range(5):
        assert_problem(_login(world.client, "agent@a.test", "wrong password!", ip="10.0.1.1"), 401)
    body = assert_problem(response := _login(world.client, "agent@a.test", ip="10.0.1.1"), 429)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Try again later" in body["detail"]
    assert _login(world.client, "agent2@a.test", ip="10.0.1.1").status_code == 200


def _guess_as_fast_as_allowed(world, start, guesses: int):
    """A guesser on many addresses, each guess at the first moment the back-off allows; returns the last one's time."""
    moment, waits = start, []
    for n in range(guesses):
        while True:
            with time_machine.travel(moment, tick=False):
                status = _login(world.client, "agent@a.test", "wrong password!", ip=f"10.0.5.{n}").status_code
            if status == 401:
                break
            assert status == 429
            moment += timedelta(seconds=1)
        waits.append(moment)
        moment += timedelta(seconds=1) if n < 4 else timedelta(0)
    return waits


def test_the_accounts_back_off_doubles_from_one_second_to_a_minute(world, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)  # the per-route request limit would add its own waits
    times = _guess_as_fast_as_allowed(world, now_utc(), 12)
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(times[4:], times[5:])]
    assert gaps == [1, 2, 4, 8, 16, 32, 60]


def test_a_guesser_elsewhere_never_locks_the_owner_out_for_more_than_a_minute(world, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    last = _guess_as_fast_as_allowed(world, now_utc(), 12)[-1]
    with time_machine.travel(last + timedelta(seconds=30), tick=False):
        response = _login(world.client, "agent@a.test", ip="10.0.6.1")
        assert_problem(response, 429)
        assert int(response.headers["Retry-After"]) <= 60
    with time_machine.travel(last + timedelta(seconds=60), tick=False):
        assert _login(world.client, "agent@a.test", ip="10.0.6.1").status_code == 200


def test_an_address_is_held_only_after_many_failures_across_accounts(world):
    for n in range(5):
        _login(world.client, f"nobody{n}@a.test", "wrong password!", ip="10.9.9.9")
    assert _login(world.client, "agent@a.test", ip="10.9.9.9").status_code == 200
    for n in range(45):
        _login(world.client, f"nobody{n}@a.test", "wrong password!", ip="10.9.9.9")
    assert_problem(_login(world.client, "agent2@a.test", ip="10.9.9.9"), 429)
    assert _login(world.client, "agent2@a.test", ip="10.9.9.10").status_code == 200


def test_parallel_guesses_cannot_slip_past_the_count(app, world, session):
    """The check, the verification and the count run one attempt at a time per account (no race on the counter)."""
    from concurrent.futures import ThreadPoolExecutor

    def guess(n):
        return _login(app.test_client(), "agent@a.test", f"wrong password {n}", ip="10.0.9.9").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(guess, range(12)))
    assert sorted(statuses) == [401] * 5 + [429] * 7, statuses
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == 5


def test_lockout_ends_when_the_window_passes(world):
    start = now_utc()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _login(world.client, "agent@a.test", "wrong password!")
        assert_problem(_login(world.client, "agent@a.test"), 429)
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert _login(world.client, "agent@a.test").status_code == 200


def test_four_failures_do_not_lock_and_success_clears_them(world):
    for _ in range(4):
        _login(world.client, "agent@a.test", "wrong password!", ip="10.0.3.1")
    assert _login(world.client, "agent@a.test", ip="10.0.3.2").status_code == 200
    for _ in range(4):
        _login(world.client, "agent@a.test", "wrong password!", ip="10.0.3.3")
    assert _login(world.client, "agent@a.test", ip="10.0.3.4").status_code == 200


def test_role_change_signs_the_user_out_everywhere(world):
    pair = _login(world.client, "agent@a.test").json
    world.client.patch(f"/api/v1/users/{world.ids['agent']}", json={"role": "hr"}, headers=world.as_("admin"))
    assert_problem(world.client.get("/api/v1/me", headers=_bearer(pair["access_token"])), 401)
    assert _login(world.client, "agent@a.test").status_code == 200
