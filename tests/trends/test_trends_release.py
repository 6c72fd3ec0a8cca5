"""The release job on hand-built organizations: pooling, thresholds, bands, freezing, the budget ledger."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.trends.helpers import (
    AFTER_MARCH,
    SINCE,
    add_snapshot,
    make_agent,
    make_org,
    make_team,
    make_team_of,
    month_bounds,
)
from wellbeing.models import ConsentChange, PrivacyLedger, TrendCell, TrendPoolMember, TrendRelease
from wellbeing.trends.privacy import combine_cells, epsilon_to_micro
from wellbeing.trends.inputs import person_records
from wellbeing.trends.read import as_release, organization_series
from wellbeing.trends.release import release_due_periods

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def _cells(session, cell, metric="burnout_risk", granularity="month"):
    return session.scalars(select(TrendCell).where(TrendCell.cell == cell, TrendCell.metric == metric,
                                                   TrendCell.granularity == granularity)
                           .order_by(TrendCell.period_start)).all()


def test_closed_months_are_released_with_values_margins_and_rounded_contributors(session):
    org = make_org(session)
    team, _ = make_team_of(session, org, "Billing", 20, score=60)
    session.commit()
    counts = release_due_periods(session, org.id, AFTER_MARCH)
    cells = _cells(session, team.id)
    assert [c.period_start for c in cells] == [JAN, FEB, MAR]
    assert counts["released"] >= 6
    for cell in cells:
        assert cell.status == "released" and cell.period_end.month == cell.period_start.month
        assert 0 <= cell.value <= 100 and cell.margin > 0
        assert cell.approx_contributors % 5 == 0
    share = _cells(session, team.id, "high_risk_share")
    assert {c.status for c in share} == {"suppressed"}  # a roster of 20 never gets a high-risk share


def test_open_and_grace_day_periods_are_not_released(session):
    org = make_org(session)
    team, _ = make_team_of(session, org, "Billing", 10)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH.replace(day=1) + timedelta(hours=12))
    assert [c.period_start for c in _cells(session, team.id)] == [JAN, FEB]


def test_a_team_at_the_floor_keeps_its_own_cell_and_a_pool_under_the_floor_is_suppressed(session):
    org = make_org(session)
    tiny, _ = make_team_of(session, org, "Tiny", 5)
    small, _ = make_team_of(session, org, "Small", 12)
    large, _ = make_team_of(session, org, "Large", 20)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    assert {c.status for c in _cells(session, tiny.id)} == {"pooled"}
    for team in (small, large):  # their own cells every month (a noisy count under 5 may still hide one)
        assert "pooled" not in {c.status for c in _cells(session, team.id)}
        released = session.scalars(select(TrendRelease).where(TrendRelease.cell == team.id)).all()
        assert sorted(r.period_start for r in released) == [JAN, FEB, MAR]
        assert all(r.epsilon_micro == 3_000_000 for r in released)
    members = session.scalars(select(TrendPoolMember).where(TrendPoolMember.period_start == JAN)).all()
    assert {m.team_id: m.roster_size for m in members} == {tiny.id: 5}
    assert session.scalars(select(TrendRelease).where(TrendRelease.cell == "pooled")).all() == []
    assert {c.status for c in _cells(session, "pooled")} == {"suppressed"}
    for first in (JAN, FEB, MAR):
        rosters = session.scalars(select(TrendRelease.roster_size).where(
            TrendRelease.period_start == first, TrendRelease.granularity == "month")).all()
        assert sorted(rosters) == [12, 20]
    # The organization figures say that the pooled people are in no published figure.
    assert {p["formed_from"]["pooled_cell"] for p in organization_series(session, org.id, "burnout_risk")} == {
        "suppressed"}


def test_non_consenting_agents_are_not_in_the_roster(session):
    org = make_org(session)
    team, _ = make_team_of(session, org, "Billing", 9)
    for _ in range(5):
        make_agent(session, org, team, consent=False)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    assert {r.roster_size for r in session.scalars(select(TrendRelease))} == {9}


def test_high_risk_share_is_a_band_only_for_rosters_of_30_or_more(session):
    org = make_org(session)
    big, _ = make_team_of(session, org, "Big", 32, score=90)
    small, _ = make_team_of(session, org, "Small", 29, score=90)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    labels = [c.label for c in _cells(session, big.id, "high_risk_share")]
    assert labels and all(label in ("<10%", "10-25%", "25-50%", ">50%") for label in labels)
    assert all(c.value is None for c in _cells(session, big.id, "high_risk_share"))
    assert {c.status for c in _cells(session, small.id, "high_risk_share")} == {"suppressed"}


def test_a_period_is_released_once_and_a_second_run_changes_and_charges_nothing(session):
    org = make_org(session)
    team, _ = make_team_of(session, org, "Billing", 12)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    before = [(c.id, c.value, c.margin, c.approx_contributors, c.released_at) for c in _cells(session, team.id)]
    spent = [(r.month, r.spent_micro) for r in session.scalars(select(PrivacyLedger).order_by(PrivacyLedger.month))]
    assert release_due_periods(session, org.id, AFTER_MARCH + timedelta(days=2)) == {}
    assert [(c.id, c.value, c.margin, c.approx_contributors, c.released_at) for c in _cells(session, team.id)] == before
    assert [(r.month, r.spent_micro) for r in
            session.scalars(select(PrivacyLedger).order_by(PrivacyLedger.month))] == spent
    assert all(micro <= epsilon_to_micro(3) for _, micro in spent)


def test_an_exhausted_budget_suppresses_the_release_and_charges_nothing(session):
    org = make_org(session)
    # 20 people: the noisy head count of a team of 12 falls under the publication threshold now and then, which
    # suppressed January by chance (the noise is not seeded); this test is about February's exhausted budget.
    team, _ = make_team_of(session, org, "Billing", 20)
    limit = epsilon_to_micro(3)
    session.add(PrivacyLedger(org_id=org.id, cell=team.id, month=FEB, limit_micro=limit, spent_micro=limit - 1,
                              updated_at=SINCE))
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    statuses = {c.period_start: c.status for c in _cells(session, team.id)}
    assert statuses == {JAN: "released", FEB: "suppressed", MAR: "released"}
    feb = session.scalar(select(TrendRelease).where(TrendRelease.cell == team.id, TrendRelease.period_start == FEB))
    assert feb.noisy_count is None and feb.epsilon_micro == 0
    assert session.get(PrivacyLedger, (org.id, team.id, FEB)).spent_micro == limit - 1


def test_weekly_cells_for_rosters_of_50_and_the_ledger_stays_within_the_limit(session):
    org = make_org(session)
    team, _ = make_team_of(session, org, "Front Line", 55)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    weeks = _cells(session, team.id, granularity="week")
    assert weeks and all(c.period_start.isoweekday() == 1 for c in weeks)
    assert all(c.period_end - c.period_start == timedelta(days=6) for c in weeks)
    assert _cells(session, team.id) == []  # no monthly mean for a weekly team
    assert len(_cells(session, team.id, "high_risk_share")) == 3
    for row in session.scalars(select(PrivacyLedger).where(PrivacyLedger.cell == team.id)):
        assert 0 < row.spent_micro <= row.limit_micro


def test_one_record_per_person_however_many_snapshots(session):
    org = make_org(session)
    team = make_team(session, org, "Billing")
    busy, quiet = make_agent(session, org, team), make_agent(session, org, team)
    for n in range(40):
        add_snapshot(session, busy, SINCE + timedelta(days=32, hours=n), 100 + n)  # clamped to 100
    add_snapshot(session, quiet, SINCE + timedelta(days=33), 20)
    session.commit()
    records = person_records(session, org.id, *month_bounds(FEB))
    assert records == {busy.id: 100.0, quiet.id: 20.0}


def test_organization_figures_are_post_processing_of_the_released_team_cells(session):
    org = make_org(session)
    for n in range(3):
        make_team_of(session, org, f"Team {n}", 10 + 5 * n, score=30 + 20 * n)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    points = organization_series(session, org.id, "burnout_risk")
    assert [p["period_start"] for p in points] == [JAN, FEB, MAR]
    for point in points:
        children = session.scalars(select(TrendRelease).where(
            TrendRelease.period_start == point["period_start"], TrendRelease.status == "released")).all()
        expected = combine_cells([as_release(row) for row in children])
        assert point["value"] == expected.burnout_risk and point["margin"] == expected.burnout_risk_margin
        assert point["approx_contributors"] == expected.approx_contributors


def test_a_week_bordering_a_month_with_a_monthly_plan_is_left_to_that_month(session):
    org = make_org(session)
    team, agents = make_team_of(session, org, "Front Line", 55)
    for agent in agents[:10]:  # ten withdraw in March: the March plan becomes monthly
        session.add(ConsentChange(user_id=agent.id, consent="team_aggregates", granted=False, policy_version="1",
                                  changed_at=SINCE + timedelta(days=40)))
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    weeks = [c.period_start for c in _cells(session, team.id, granularity="week")]
    assert weeks and max(weeks) + timedelta(days=6) < MAR  # no week touching March
    assert date(2026, 2, 16) in weeks and date(2026, 2, 23) not in weeks  # 23 Feb - 1 Mar touches March
    assert date(2025, 12, 29) not in weeks  # nor one touching December, which had no weekly plan
    assert [c.period_start for c in _cells(session, team.id)] == [MAR]  # March is a monthly cell


def test_the_database_refuses_a_ledger_row_over_its_limit(session):
    org = make_org(session)
    session.add(PrivacyLedger(org_id=org.id, cell="pooled", month=JAN, limit_micro=10, spent_micro=11,
                              updated_at=SINCE))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_partition_invariant_every_consenting_person_month_is_in_exactly_one_cell(session):
    rng = random.Random(11)
    org = make_org(session)
    sizes = [rng.choice((0, 2, 5, 7, 8, 9, 14, 31, 52)) for _ in range(12)]
    teams = [make_team_of(session, org, f"Team {n}", size)[0] for n, size in enumerate(sizes)]
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    for first in (JAN, FEB, MAR):
        monthly = session.scalars(select(TrendRelease).where(
            TrendRelease.period_start == first, TrendRelease.granularity == "month")).all()
        pooled = {m.team_id for m in session.scalars(select(TrendPoolMember).where(
            TrendPoolMember.period_start == first))}
        own = {r.cell for r in monthly if r.cell != "pooled"}
        assert not own & pooled and own | pooled == {t.id for t in teams}
        assert sum(r.roster_size for r in monthly) == sum(sizes)
        assert all(r.roster_size >= 8 for r in monthly)
