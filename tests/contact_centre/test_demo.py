"""The demo: the first team's shifts from its iCalendar feed, its Amazon Connect calls and recovery breaks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from wellbeing import demo
from wellbeing.core.db import db
from wellbeing.models import CallEvent, PlatformContact, RecoveryBreak, Shift, User

NOW = datetime(2030, 3, 6, 6, 0, tzinfo=timezone.utc)  # a Wednesday


def test_the_demo_team_has_imported_shifts_platform_calls_and_recovery_breaks(app, session):
    with app.app_context():
        demo.seed_demo(db.session, NOW, agents=12, teams=2, months=0)
        db.session.remove()
    first = session.scalars(select(User).where(User.email.like("agent1-%"))).all()
    second = session.scalars(select(User).where(User.email.like("agent2-%"))).all()
    assert len(first) == 6 and all(u.external_ids and "amazon_connect" in u.external_ids for u in first)
    assert all(u.external_ids is None for u in second)
    shifts = session.scalars(select(Shift).where(Shift.user_id == first[0].id).order_by(Shift.start_at)).all()
    assert shifts and {s.start_at.astimezone(timezone(timedelta(hours=8))).hour for s in shifts} == {9}
    assert [a["kind"] for a in shifts[0].activities][:2] == ["break", "meal"]
    assert session.scalar(select(func.count()).select_from(Shift).where(Shift.user_id.in_([u.id for u in second]))) == 0
    calls = session.scalar(select(func.count()).select_from(PlatformContact))
    assert calls >= 6 * 3 * 8 and session.scalar(select(func.count()).select_from(CallEvent).where(
        CallEvent.kind == "ended")) == calls
    statuses = set(session.scalars(select(RecoveryBreak.status)))
    assert "restored" in statuses
