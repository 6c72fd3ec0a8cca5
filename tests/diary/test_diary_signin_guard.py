"""POST /diary checks the sign-in inside its own INSERT (identity.SigninGuard) once a token's user is known to the
process: these tests hold it to the ordinary check. A revoked sign-in, a deactivated user or a changed time zone
take effect on the very next post, nothing is written for a refused one, and a refused token learns only 401."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from tests.conftest import now_utc
from tests.helpers import assert_problem
from wellbeing.core.db import db
from wellbeing.diary import rollup
from wellbeing.models import AuthSession, DiaryEntry, DiaryRollup, User

API = "/api/v1"


def _entry(**overrides) -> dict:
    body = {"id": str(uuid.uuid4()), "occurred_at": (now_utc() - timedelta(hours=1)).isoformat(),
            "emotion": "tired", "intensity": 4, "triggers": ["long_call"]}
    return body | overrides


def _post(world, body, headers=None):
    return world.client.post(f"{API}/diary", json=body, headers=headers or world.as_("agent"))


def _stored(app, user_id: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(DiaryEntry).where(DiaryEntry.user_id == user_id))
        db.session.remove()
    return count


def _warm(world, headers=None) -> None:
    """Two posts with the token: the first checks the sign-in the ordinary way, the second inside its INSERT."""
    for _ in range(2):
        assert _post(world, _entry(), headers).status_code == 201


def _change(app, stmt) -> None:
    with app.app_context():
        db.session.execute(stmt)
        db.session.commit()
        db.session.remove()


def test_a_sign_out_stops_the_very_next_post_and_nothing_is_written(app, world):
    _warm(world)
    assert world.client.post(f"{API}/auth/logout", headers=world.as_("agent")).status_code == 204
    body = _entry()
    assert_problem(_post(world, body), 401)
    assert _stored(app, world.ids["agent"]) == 2
    with app.app_context():
        assert db.session.get(DiaryEntry, body["id"]) is None
        assert db.session.scalar(select(func.count()).select_from(DiaryRollup)
                                 .where(DiaryRollup.dimension == "day")) >= 1
        db.session.remove()


def test_a_sign_in_revoked_behind_the_service_s_back_is_refused_too(app, world):
    """The revocation is a plain UPDATE (another process, an operator): no cache of this process hears of it."""
    _warm(world)
    _change(app, update(AuthSession).where(AuthSession.user_id == world.ids["agent"]).values(revoked_at=now_utc()))
    assert_problem(_post(world, _entry()), 401)
    assert _stored(app, world.ids["agent"]) == 2


def test_a_deactivated_agent_cannot_post_even_with_a_live_sign_in(app, world):
    _warm(world)
    _change(app, update(User).where(User.id == world.ids["agent"]).values(deactivated_at=now_utc()))
    assert_problem(_post(world, _entry()), 401)
    assert _stored(app, world.ids["agent"]) == 2


def test_an_expired_sign_in_is_refused(app, world):
    _warm(world)
    _change(app, update(AuthSession).where(AuthSession.user_id == world.ids["agent"])
            .values(expires_at=now_utc() - timedelta(seconds=1)))
    assert_problem(_post(world, _entry()), 401)
    assert _stored(app, world.ids["agent"]) == 2


def test_a_refused_token_learns_401_not_what_is_wrong_with_its_body(app, world):
    _warm(world)
    _change(app, update(AuthSession).where(AuthSession.user_id == world.ids["agent"]).values(revoked_at=now_utc()))
    assert_problem(_post(world, {"emotion": "no-such-feeling", "intensity": 40}), 401)
    assert_problem(_post(world, _entry(emotion="no-such-feeling")), 401)
    assert _stored(app, world.ids["agent"]) == 2


def test_a_new_time_zone_counts_the_next_post_in_its_local_day(app, world):
    """The process knew the agent in Asia/Shanghai; the change is a plain UPDATE, so only the guard can notice it."""
    _change(app, update(User).where(User.id == world.ids["agent"]).values(timezone="Asia/Shanghai"))
    _warm(world)
    _change(app, update(User).where(User.id == world.ids["agent"]).values(timezone="America/Los_Angeles"))
    # 03:30 UTC is 11:30 the same day in Shanghai and 19:30 the day before in Los Angeles.
    moment = (now_utc() - timedelta(days=1)).replace(hour=3, minute=30, second=0, microsecond=0)
    assert _post(world, _entry(occurred_at=moment.isoformat(), emotion="calm", triggers=[])).status_code == 201
    with app.app_context():
        calm = db.session.execute(select(DiaryRollup.day, DiaryRollup.entries).where(
            DiaryRollup.user_id == world.ids["agent"], DiaryRollup.dimension == "emotion",
            DiaryRollup.key == "calm")).all()
        hours = db.session.scalars(select(DiaryRollup.key).where(
            DiaryRollup.user_id == world.ids["agent"], DiaryRollup.dimension == "hour",
            DiaryRollup.day == rollup.local_day(moment, ZoneInfo("America/Los_Angeles")))).all()
        db.session.remove()
    assert calm == [(rollup.local_day(moment, ZoneInfo("America/Los_Angeles")), 1)]
    assert "19" in hours or "20" in hours  # 19:30 PST or 20:30 PDT


def test_a_replay_and_a_deleted_id_are_answered_as_before_on_the_guarded_path(app, world):
    _warm(world)
    body = _entry()
    assert _post(world, body).status_code == 201
    replay = _post(world, body)
    assert replay.status_code == 200 and replay.json["id"] == body["id"]
    assert world.client.delete(f"{API}/diary/{body['id']}", headers=world.as_("agent")).status_code == 204
    assert assert_problem(_post(world, body), 409)["code"] == "entry_deleted"
    assert _stored(app, world.ids["agent"]) == 2


def test_another_role_is_still_refused_with_403(app, world):
    for _ in range(2):
        assert_problem(_post(world, _entry(), world.as_("supervisor")), 403)
