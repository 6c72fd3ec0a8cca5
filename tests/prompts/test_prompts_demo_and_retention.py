"""The demo's prompt history, and retention of prompts and call events."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from tests.counseling.helpers import T0
from tests.prompts.helpers import API, add_prompt
from wellbeing import data_rights, demo
from wellbeing.core.db import db
from wellbeing.models import CallEvent, Prompt, PromptSettings, User
from wellbeing.prompts.planner import top_up_plans


def test_the_demo_gives_agents_settings_and_a_realistic_prompt_history(app, session):
    with app.app_context():
        demo.seed_demo(db.session, T0, agents=12, teams=2, months=0)
        top_up_plans(db.session, T0 + timedelta(days=1))  # T0 is a Saturday: the horizon reaches Monday
        db.session.remove()
    agents = session.scalars(select(User.id).where(User.role == "agent")).all()
    assert session.scalar(select(func.count()).select_from(PromptSettings)) == len(agents) == 12
    statuses = Counter(session.scalars(select(Prompt.status).where(Prompt.due_at < T0)))
    answered = (statuses["acknowledged"] + statuses["completed"]) / sum(statuses.values())
    assert 0.4 < answered < 0.8 and statuses["completed"] > statuses["dismissed"] > statuses["expired"] > 0
    assert session.scalar(select(func.count()).where(Prompt.due_at >= T0, Prompt.status == "scheduled")) > 0


def test_retention_purges_old_prompts_and_call_events(app, world, session):
    assert world.client.patch(f"{API}/org", json={"retention_days": 30}, headers=world.as_("admin")).status_code == 200
    old = add_prompt(app, world.ids["agent"], T0 - timedelta(days=31), status="completed")
    recent = add_prompt(app, world.ids["agent"], T0 - timedelta(days=29), status="completed")
    with app.app_context():
        org_id = db.session.get(User, world.ids["agent"]).org_id
        for days in (31, 29):
            db.session.add(CallEvent(org_id=org_id, user_id=world.ids["agent"], kind="ended",
                                     at=T0 - timedelta(days=days), received_at=T0))
        db.session.commit()
        counts = data_rights.purge_expired(db.session, T0)
        db.session.remove()
    assert counts["prompts"] == 1 and counts["call_events"] == 1
    assert session.get(Prompt, old) is None and session.get(Prompt, recent) is not None
    assert session.scalar(select(func.count()).select_from(CallEvent)) == 1
