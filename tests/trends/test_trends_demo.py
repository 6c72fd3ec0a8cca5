"""The demo organization shows real trends: released, pooled and weekly cells from its seeded history."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from wellbeing import demo
from wellbeing.models import Organization, Team, TrendCell, TrendRelease, User
from wellbeing.trends.release import release_due_periods
from wellbeing.trends.visibility import budget_by_month


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


def test_the_demo_team_of_12_shows_its_own_monthly_cells_and_no_agent_month_passes_the_limit(session):
    now = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
    summary = demo.seed_demo(session, now)
    org = session.get(Organization, summary.org_id)
    twelve = session.scalar(select(Team.id).where(Team.org_id == org.id, Team.name == demo.TEAM_NAMES[1]))
    monthly = session.scalars(select(TrendCell).where(TrendCell.cell == twelve, TrendCell.granularity == "month",
                                                      TrendCell.metric == "burnout_risk")).all()
    # Consent in the demo grows month by month; once 8 of the 12 agree, the team has cells of its own (the old
    # pooling rule pulled it into the pool of the 5-agent team instead, every month).
    latest = sorted(monthly, key=lambda c: c.period_start)[-2:]
    assert "pooled" not in {c.status for c in latest}  # released, unless its noisy count fell under 5
    own = session.scalars(select(TrendRelease).where(TrendRelease.cell == twelve)).all()
    assert {r.period_start for r in own} >= {c.period_start for c in latest}
    assert all(r.epsilon_micro == 3_000_000 for r in own)
    agent = session.scalar(select(User).where(User.email == f"agent2-1@{demo.DEMO_DOMAIN}"))
    budget = budget_by_month(session, agent.id, org, now)
    assert len(budget) == 12 and all(m["epsilon_spent"] <= m["epsilon_limit"] == 3.0 for m in budget)
    assert budget[-2]["epsilon_spent"] == 3.0 and budget[-2]["kinds"] == ["team_monthly"]  # October, Billing


def test_release_command_publishes_due_periods_once(flask_cli):
    flask_cli("db", "upgrade")
    flask_cli("seed-demo", "--months", "2")
    first = flask_cli("release", "--until", "2100-01-01")
    assert first.stdout.startswith("Published") and "nothing new" in first.stdout  # seed-demo already released
    assert "Error" in flask_cli("release", "--until", "someday", check=False).stderr
