"""The demo organization shows real trends: released, pooled and weekly cells from its seeded history."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from wellbeing import demo
from wellbeing.models import Team, TrendCell
from wellbeing.trends.release import release_due_periods


def test_seed_demo_publishes_trends_across_the_roster_bands(session):
    now = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
    summary = demo.seed_demo(session, now)
    statuses = dict(session.execute(select(TrendCell.status, func.count()).where(
        TrendCell.org_id == summary.org_id).group_by(TrendCell.status)).all())
    assert statuses.get("released", 0) > 0 and statuses.get("pooled", 0) > 0
    tiny = session.scalar(select(Team.id).where(Team.org_id == summary.org_id, Team.name == "Escalations"))
    assert {c.status for c in session.scalars(select(TrendCell).where(TrendCell.cell == tiny))} == {"pooled"}
    assert session.scalar(select(func.count()).select_from(TrendCell).where(TrendCell.granularity == "week")) > 0
    assert release_due_periods(session, summary.org_id, now) == {}


def test_release_command_publishes_due_periods_once(flask_cli):
    flask_cli("db", "upgrade")
    flask_cli("seed-demo", "--months", "2")
    first = flask_cli("release", "--until", "2100-01-01")
    assert first.stdout.startswith("Published") and "nothing new" in first.stdout  # seed-demo already released
    assert "Error" in flask_cli("release", "--until", "someday", check=False).stderr
