"""The demo's questionnaire history and risk snapshots follow each agent's strain and the real scoring and model."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from statistics import mean

import pytest
from sqlalchemy import func, select

from tests.conftest import now_utc
from wellbeing.demo import DEMO_DOMAIN, DEMO_PASSWORD, agent_strain, seed_demo
from wellbeing.assessments.catalog import instrument_catalog
from wellbeing.models import Assessment, RiskSnapshot, User
from wellbeing.risk.model import MODEL_VERSION
from wellbeing.risk.snapshots import latest_snapshot, recompute_risk
from wellbeing.assessments.scoring import score_answers


def test_agent_strain_is_fixed_by_the_seed_and_the_indices():
    assert agent_strain(3, 1, 7) == agent_strain(3, 1, 7)
    assert agent_strain(3, 1, 7) != agent_strain(3, 1, 8)
    assert agent_strain(3, 1, 7) != agent_strain(4, 1, 7)


def test_agent_strain_lies_between_0_and_1_with_a_strained_minority():
    strains = [agent_strain(agent, team, seed) for seed in range(3) for team in range(4) for agent in range(50)]
    assert all(0 <= strain <= 1 for strain in strains)
    assert 0.3 < mean(strains) < 0.45
    assert 0.01 < sum(strain >= 0.7 for strain in strains) / len(strains) < 0.2


@pytest.fixture
def seeded(session):
    now = now_utc()
    seed_demo(session, now, agents=24, teams=2, seed=11, months=4)
    strains = {}
    for user in session.scalars(select(User).where(User.role == "agent")):
        team, number = map(int, re.match(r"agent(\d+)-(\d+)@", user.email).groups())
        strains[user.id] = agent_strain(number - 1, team - 1, 11)
    return now, strains


def test_demo_results_are_the_default_instruments_scored_by_the_engine(session, seeded):
    now, _ = seeded
    results = session.scalars(select(Assessment)).all()
    assert {result.instrument_id for result in results} == {"cbi", "phq4", "burnout1"}
    assert all(now - timedelta(days=120) <= result.completed_at < now for result in results)
    for result in results[:200]:
        scored = score_answers(instrument_catalog()[result.instrument_id], result.answers)
        assert (result.scores, result.bands) == (scored.scores, scored.bands)
        assert result.instrument_version == scored.instrument_version


def test_demo_history_keeps_each_instruments_minimum_interval(session, seeded):
    rows = session.execute(select(Assessment.user_id, Assessment.instrument_id, Assessment.completed_at)
                           .order_by(Assessment.user_id, Assessment.instrument_id, Assessment.completed_at)).all()
    catalog = instrument_catalog()
    gaps = [(later.completed_at - earlier.completed_at, catalog[later.instrument_id].min_interval_days)
            for earlier, later in zip(rows, rows[1:])
            if (earlier.user_id, earlier.instrument_id) == (later.user_id, later.instrument_id)]
    assert gaps and all(gap >= timedelta(days=days) for gap, days in gaps)


def test_the_demo_organization_shows_its_localized_lines_then_the_national_ones(seeded, client):
    signed_in = client.post("/api/v1/auth/token", json={"email": f"agent1-1@{DEMO_DOMAIN}", "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {signed_in.json['access_token']}", "Accept-Language": "zh-CN"}
    resources = client.get("/api/v1/support", headers=headers).json["resources"]
    assert [(r["id"], r["name"], r["confidential"]) for r in resources] == [
        ("org_1", "员工援助计划（外部机构，保密）", True), ("org_2", "人力资源部员工关爱专线", False),
        ("cn_12356", "全国统一心理援助热线 12356", True), ("cn_120", "医疗急救电话 120", False),
        ("cn_110", "报警电话（紧急危险）110", False)]


def test_demo_burnout_scores_follow_strain(session, seeded):
    _, strains = seeded
    answered_cbi = session.scalars(select(Assessment.user_id).where(Assessment.instrument_id == "cbi")).all()
    assert set(answered_cbi) == set(strains)
    by_strain = sorted(strains, key=strains.get)
    means = {}
    for user_id in by_strain[:6] + by_strain[-6:]:
        cbi = session.scalars(select(Assessment).where(Assessment.user_id == user_id, Assessment.instrument_id == "cbi"))
        means[user_id] = mean(result.unrounded["work"] for result in cbi)
    assert mean(means[u] for u in by_strain[-6:]) > mean(means[u] for u in by_strain[:6]) + 20


def test_demo_risk_snapshots_are_what_the_model_gives_now(session, seeded):
    now, strains = seeded
    assert session.scalar(select(func.count()).select_from(RiskSnapshot)) > len(strains)
    assert set(session.scalars(select(RiskSnapshot.model_version))) == {MODEL_VERSION}
    for user_id in strains:
        latest = latest_snapshot(session, user_id)
        assert recompute_risk(session, user_id, now).id == latest.id


def test_seed_demo_command_takes_the_months_of_history(flask_cli, fresh_database_url):
    from sqlalchemy import create_engine, text

    flask_cli("db", "upgrade")
    flask_cli("seed-demo", "--agents", "6", "--teams", "2", "--months", "1")
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            oldest, count = conn.execute(text("SELECT min(completed_at), count(*) FROM assessments")).one()
            snapshots = conn.execute(text("SELECT count(*) FROM risk_snapshots")).scalar()
    finally:
        engine.dispose()
    assert count > 6 and snapshots >= 6
    # SQLite hands back naive UTC text, PostgreSQL an aware datetime
    oldest = datetime.fromisoformat(str(oldest))
    oldest = oldest.astimezone(timezone.utc) if oldest.tzinfo else oldest.replace(tzinfo=timezone.utc)
    assert now_utc() - timedelta(days=31) <= oldest <= now_utc() - timedelta(days=20)
