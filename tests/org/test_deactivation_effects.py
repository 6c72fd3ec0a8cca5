"""A deactivated user drops out of prompt planning, counseling reminders and later trend rosters; data is kept."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import now_utc
from tests.counseling.helpers import T0, answer, pinned, proposed, self_refer
from wellbeing.core.db import db
from wellbeing.counseling.reminders import send_counseling_reminders
from wellbeing.models import ConsentChange, CounselingReminder, Prompt, TeamMembership, User
from wellbeing.prompts.planner import top_up_plans
from wellbeing.trends.inputs import roster_at


def _deactivate(world, key):
    response = world.client.post(f"/api/v1/users/{world.ids[key]}/deactivate", headers=world.as_("admin"))
    assert response.status_code == 200, response.json


def _prompts_of(session, user_id):
    return session.scalar(select(func.count()).select_from(Prompt).where(Prompt.user_id == user_id))


def test_a_deactivated_agent_gets_no_new_prompts(app, world, session):
    _deactivate(world, "agent")
    with app.app_context():
        top_up_plans(db.session, now_utc())
        db.session.remove()
    assert _prompts_of(session, world.ids["agent"]) == 0
    assert _prompts_of(session, world.ids["agent2"]) > 0


def test_a_deactivated_agent_gets_no_counseling_reminders(app, world, session):
    with pinned(world, T0):
        case = self_refer(world)
        appointment = proposed(world, case["id"], T0 + timedelta(days=3))
        assert answer(world, appointment["id"], "accept").status_code == 200
    _deactivate(world, "agent")
    with app.app_context():
        send_counseling_reminders(db.session, T0 + timedelta(days=3) - timedelta(minutes=30))
        db.session.remove()
    statuses = dict(session.execute(select(CounselingReminder.recipient_id, CounselingReminder.status)
                                    .where(CounselingReminder.kind != "follow_up")
                                    .order_by(CounselingReminder.due_at)).all())
    assert statuses[world.ids["agent"]] == "skipped"
    assert statuses[world.ids["hr"]] == "sent"


def test_a_deactivated_agent_leaves_later_rosters_but_not_earlier_ones(app, world, session):
    before = now_utc() - timedelta(days=1)
    for key in ("agent", "agent2"):
        response = world.client.put("/api/v1/me/consents", headers=world.as_(key),
                                    json={"team_aggregates": True, "hr_followup": False})
        assert response.status_code == 200
    # Consent and membership count from when they were recorded: date them back to cover the earlier instant.
    session.execute(ConsentChange.__table__.update().values(changed_at=before - timedelta(days=1)))
    session.execute(TeamMembership.__table__.update().values(valid_from=before - timedelta(days=1)))
    session.commit()
    _deactivate(world, "agent")
    with app.app_context():
        earlier = roster_at(db.session, world.org_id, before)
        later = roster_at(db.session, world.org_id, now_utc() + timedelta(seconds=1))
        db.session.remove()
    assert world.ids["agent"] in earlier and world.ids["agent2"] in earlier
    assert world.ids["agent"] not in later and world.ids["agent2"] in later
    assert session.get(User, world.ids["agent"]) is not None
