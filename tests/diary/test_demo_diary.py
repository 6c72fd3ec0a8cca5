"""The demo's diary history: repeatable, shaped by strain, team weekday and tough-call runs, and fed to the risk model."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from statistics import fmean

from sqlalchemy import case, func, select

from wellbeing.core.db import db
from wellbeing.diary.demo import DemoAgent, seed_diary_history
from wellbeing.models import DiaryEntry, DiaryTag, User

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=timezone.utc)


def _agents(app, count):
    from wellbeing.org import organizations
    with app.app_context():
        org = organizations.bootstrap(db.session, "Diary Demo", "admin@diary-demo.test", "correct horse battery",
                                      "Asia/Shanghai", NOW)
        users = []
        for n in range(count):
            user = User(org_id=org.id, email=f"a{n}@diary-demo.test", name=f"A{n}", role="agent", password_hash="x",
                        timezone="Asia/Shanghai" if n % 2 else "America/New_York", created_at=NOW)
            db.session.add(user)
            users.append(user)
        db.session.commit()
        ids = [(u.id, u.timezone) for u in users]
        db.session.remove()
    return ids


def test_demo_diary_history_follows_strain_team_weekday_and_tough_call_runs(app):
    ids = _agents(app, 8)
    agents = [DemoAgent(user_id, strain=0.1 if n < 4 else 0.85, team_index=n % 2, timezone=tz)
              for n, (user_id, tz) in enumerate(ids)]
    with app.app_context():
        inserted = seed_diary_history(db.session, agents, NOW, months=3, seed=11)
        stored = db.session.scalar(select(func.count()).select_from(DiaryEntry))
        assert inserted == stored > 8 * 60  # about 65 workdays each, one or more entries on most
        share = {a.user_id: db.session.scalar(select(func.avg(case((DiaryEntry.valence == "negative", 1.0), else_=0.0)))
                                              .where(DiaryEntry.user_id == a.user_id)) for a in agents}
        calm, strained = fmean(share[a.user_id] for a in agents[:4]), fmean(share[a.user_id] for a in agents[4:])
        assert strained > calm + 0.3
        first = db.session.scalar(select(func.min(DiaryEntry.occurred_at)))
        last = db.session.scalar(select(func.max(DiaryEntry.occurred_at)))
        assert first >= NOW - timedelta(days=91) and last <= NOW
        tough = db.session.scalar(select(func.count()).select_from(DiaryTag).where(
            DiaryTag.kind == "triggers", DiaryTag.key.in_(["customer_complaint", "abusive_customer"])))
        assert tough >= 20
        # Work hours in each agent's own zone: nothing before 09:00 or after 18:00 local.
        from zoneinfo import ZoneInfo

        for agent in agents[:2]:
            hours = {e.astimezone(ZoneInfo(agent.timezone)).hour
                     for e in db.session.scalars(select(DiaryEntry.occurred_at).where(DiaryEntry.user_id == agent.user_id))}
            assert hours and min(hours) >= 9 and max(hours) <= 18
        db.session.remove()
    # The same seed gives the same history (emotions in time order), whatever ran before.
    with app.app_context():
        before = db.session.scalars(select(DiaryEntry.emotion).where(DiaryEntry.user_id == agents[0].user_id)
                                    .order_by(DiaryEntry.occurred_at)).all()
        db.session.query(DiaryEntry).delete()
        db.session.commit()
        seed_diary_history(db.session, agents, NOW, months=3, seed=11)
        after = db.session.scalars(select(DiaryEntry.emotion).where(DiaryEntry.user_id == agents[0].user_id)
                                   .order_by(DiaryEntry.occurred_at)).all()
        db.session.remove()
    assert before == after
