"""Materializing the plan: rolling top-ups across DST switches, work and quiet hours, the cap, no duplicates."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.prompts.helpers import API
from wellbeing.core.db import db
from wellbeing.models import Prompt, User
from wellbeing.prompts.schedule import plan_prompts
from wellbeing.prompts.planner import HORIZON, top_up_plans
from wellbeing.prompts.planner import schedule_of
from wellbeing.prompts.settings import settings_of

UTC = timezone.utc


def _profile(world, key="agent", **changes):
    response = world.client.patch(f"{API}/me", json=changes, headers=world.as_(key))
    assert response.status_code == 200, response.json


def _top_up_every(app, start: datetime, end: datetime, step: timedelta) -> None:
    """The plan job as the scheduler runs it: again and again as the clock moves."""
    with app.app_context():
        now = start
        while now <= end:
            top_up_plans(db.session, now, batch_size=2)
            now += step
        db.session.remove()


def _dues(session, user_id: str, since: datetime) -> list[tuple[str, datetime]]:
    """The agent's prompts due from `since` (the profile change planned some at the real time, too)."""
    return [(p.kind, p.due_at) for p in session.scalars(
        select(Prompt).where(Prompt.user_id == user_id, Prompt.due_at >= since).order_by(Prompt.due_at))]


@pytest.mark.parametrize("zone, day", [
    ("America/New_York", datetime(2030, 3, 10, tzinfo=UTC)),   # spring forward: 02:00 -> 03:00
    ("America/New_York", datetime(2030, 11, 3, tzinfo=UTC)),   # fall back: 02:00 -> 01:00 again
    ("Asia/Shanghai", datetime(2030, 3, 10, tzinfo=UTC)),      # no DST at all
])
def test_rolling_top_ups_across_a_dst_switch_lose_and_double_nothing(app, world, session, zone, day):
    _profile(world, timezone=zone, work_hours={"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "23:30"})
    start = day - timedelta(days=1)
    _top_up_every(app, start, start + timedelta(days=3), timedelta(minutes=50))
    user = session.get(User, world.ids["agent"])
    expected = [(p.kind, p.due_at) for p in plan_prompts(schedule_of(user, settings_of(session, user.id)),
                                                         start, start + timedelta(days=3) + HORIZON)]
    stored = _dues(session, user.id, start)
    assert stored == expected
    assert len(set(due for _, due in stored)) == len(stored)
    local = ZoneInfo(zone)
    per_day = Counter((due.astimezone(local)).date() for _, due in stored)
    assert max(per_day.values()) <= 12
    # The switch day in the agent's own zone has its prompts, none inside the skipped or repeated hour twice
    switch_day = day.date()
    assert per_day[switch_day] >= 8


def test_prompts_fall_only_in_work_hours_outside_quiet_hours_under_the_cap(app, world, session):
    _profile(world, timezone="Asia/Shanghai", work_hours={"days": [1, 2, 3, 4, 5], "start": "08:30", "end": "17:30"},
             quiet_hours={"days": [1, 2, 3, 4, 5], "start": "12:00", "end": "13:30"})
    body = world.client.get(f"{API}/me/prompt-settings", headers=world.as_("agent")).json
    body["max_per_day"] = 4
    assert world.client.put(f"{API}/me/prompt-settings", json=body, headers=world.as_("agent")).status_code == 200
    _top_up_every(app, datetime(2030, 3, 4, tzinfo=UTC), datetime(2030, 3, 9, tzinfo=UTC), timedelta(hours=7))
    zone = ZoneInfo("Asia/Shanghai")
    stored = [due.astimezone(zone) for _, due in _dues(session, world.ids["agent"], datetime(2030, 3, 4, tzinfo=UTC))]
    assert stored
    for local in stored:
        minutes = local.hour * 60 + local.minute
        assert local.isoweekday() <= 5 and 8 * 60 + 30 <= minutes < 17 * 60 + 30
        assert not 12 * 60 <= minutes < 13 * 60 + 30
    per_day = Counter(local.date() for local in stored)
    assert set(per_day.values()) == {4}


def test_two_planners_racing_insert_each_prompt_once(app, world, session):
    start = datetime(2030, 3, 4, 6, tzinfo=UTC)
    with app.app_context():
        first = top_up_plans(db.session, start)
        # Forget the bookkeeping, as a second scheduler process would not have seen it: same rows, no duplicates
        db.session.execute(db.text("UPDATE prompt_settings SET planned_until = NULL"))
        db.session.commit()
        again = top_up_plans(db.session, start)
        db.session.remove()
    assert again == first and again["agents"] >= 3 and again["planned"] > 0
    stored = session.scalar(select(func.count()).select_from(Prompt).where(Prompt.due_at >= start))
    assert stored == first["planned"]
    dues = _dues(session, world.ids["agent"], start)
    assert dues and len(dues) == len(set(dues))


def test_a_batch_that_fails_to_store_leaves_its_agents_unplanned_and_the_error_surfaces(app, world, session, monkeypatch):
    from wellbeing.models import PromptSettings
    from wellbeing.prompts import planner

    start = datetime(2030, 3, 4, 6, tzinfo=UTC)
    stored_batches = []
    real_insert = planner.insert_prompts

    def insert_then_fail_the_second(writer_session, rows):
        # Runs in the writer thread, in the batch's own transaction
        if len(stored_batches) == 1:
            real_insert(writer_session, rows)  # half of the batch written, then the failure: all must roll back
            raise RuntimeError("disk full")
        stored_batches.append({row["user_id"] for row in rows})
        real_insert(writer_session, rows)

    monkeypatch.setattr(planner, "insert_prompts", insert_then_fail_the_second)
    with app.app_context():
        with pytest.raises(RuntimeError, match="disk full"):
            top_up_plans(db.session, start, batch_size=1)
        db.session.remove()
    planned = set(session.scalars(select(PromptSettings.user_id).where(PromptSettings.planned_until.is_not(None))))
    with_prompts = set(session.scalars(select(Prompt.user_id).where(Prompt.due_at >= start).distinct()))
    assert len(stored_batches) == 1 and planned == with_prompts == stored_batches[0]
