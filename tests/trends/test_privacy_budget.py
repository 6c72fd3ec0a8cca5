"""The epsilon promise per person and month: every release that could include someone is paid from their budget.

Each test records what actually went into the mechanisms (the people whose values a release read, captured at
`release_cell`) and adds up, per person and month, the epsilon of every such release: the sum is the privacy
loss of that person-month, whatever the ledgers say. It must never pass the organization's limit.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from tests.trends.helpers import AFTER_MARCH, SINCE, add_snapshot, make_agent, make_org, make_team, make_team_of
from wellbeing.core.db import new_id
from wellbeing.models import (
    Consent,
    ConsentChange,
    PrivacyPersonLedger,
    RiskSnapshot,
    Team,
    TeamMembership,
    TrendCell,
    TrendRelease,
    User,
)
from wellbeing.trends import release as release_module
from wellbeing.trends.privacy import NoiseScales, NoisyAnswers, epsilon_to_micro, ledger_months
from wellbeing.trends.read import organization_series
from wellbeing.trends.release import release_due_periods

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
LIMIT = 3_000_000


@pytest.fixture
def spent(monkeypatch):
    """(person, month) -> micro-epsilon of every release whose mechanisms read that person's value."""
    loss: dict[tuple[str, date], int] = defaultdict(int)
    releasing = {}
    real_cell, real_release = release_module.release_cell, release_module.Releaser._release

    def release(self, cell, people, records):
        releasing["months"] = ledger_months(cell.period.first, cell.period.last)
        return real_release(self, cell, people, records)

    def release_cell(values_per_person, public_roster, spec, **kwargs):
        for month in releasing["months"]:
            for person in values_per_person:
                loss[(person, month)] += spec.budget.total
        return real_cell(values_per_person, public_roster, spec, **kwargs)

    monkeypatch.setattr(release_module.Releaser, "_release", release)
    monkeypatch.setattr(release_module, "release_cell", release_cell)
    return loss


def _move(session, user: User, to: Team, at: datetime) -> None:
    current = session.scalar(select(TeamMembership).where(TeamMembership.user_id == user.id,
                                                          TeamMembership.valid_to.is_(None)))
    current.valid_to = at
    session.add(TeamMembership(user_id=user.id, team_id=to.id, valid_from=at))


def test_an_agent_moved_mid_month_into_a_weekly_team_is_charged_within_the_limit(session, spent):
    # The reproduced case: a monthly team (21) and a weekly one (55); one agent moves on 10 February.
    org = make_org(session)
    monthly, agents = make_team_of(session, org, "Billing", 21)
    weekly, _ = make_team_of(session, org, "Front Line", 55)
    mover = agents[0]
    _move(session, mover, weekly, datetime(2026, 2, 10, tzinfo=timezone.utc))
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    assert spent[(mover.id, FEB)] <= LIMIT
    # Charged by the weeks of the weekly team it joined, and left out of the monthly cell it could not pay.
    ledger = session.get(PrivacyPersonLedger, (mover.id, FEB))
    assert ledger.team_weekly_micro > 0 and ledger.team_monthly_micro == 0
    assert ledger.spent_micro == spent[(mover.id, FEB)]
    feb_cell = session.scalar(select(TrendRelease).where(TrendRelease.cell == monthly.id,
                                                         TrendRelease.period_start == FEB))
    assert feb_cell.epsilon_micro == 3_000_000  # the twenty others still make the cell
    for key, micro in spent.items():
        assert micro <= LIMIT, key


def test_a_week_straddling_two_months_is_paid_in_both(session, spent):
    org = make_org(session)
    team, agents = make_team_of(session, org, "Front Line", 55)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    straddling = session.scalar(select(TrendRelease).where(TrendRelease.cell == team.id,
                                                           TrendRelease.period_start == date(2026, 1, 26)))
    assert straddling.period_end == date(2026, 2, 1)
    jan = session.get(PrivacyPersonLedger, (agents[0].id, JAN))
    feb = session.get(PrivacyPersonLedger, (agents[0].id, FEB))
    assert jan.team_weekly_micro >= straddling.epsilon_micro and feb.team_weekly_micro >= straddling.epsilon_micro
    assert max(spent.values()) <= LIMIT


def test_two_rosters_of_different_sizes_with_the_same_noisy_answers_publish_identical_cells(session, monkeypatch):
    answers = NoisyAnswers(count=9, centred_sum=120, high_risk=None)
    scales = NoiseScales(2.0, 20.0, None)
    monkeypatch.setattr("wellbeing.trends.privacy.release.measure", lambda scores, budget, at: (answers, scales))
    published = []
    for consenting in (10, 20):
        org = make_org(session, name=f"Org {consenting}")
        team, _ = make_team_of(session, org, "Billing", consenting)
        for _ in range(25 - consenting):  # the same 25 people on the team; only consent differs
            agent = make_agent(session, org, team, consent=False)
            add_snapshot(session, agent, SINCE + timedelta(days=1), 60.0)
        session.commit()
        release_due_periods(session, org.id, AFTER_MARCH)
        published.append([(c.metric, c.period_start, c.status, c.value, c.label, c.margin, c.approx_contributors)
                          for c in session.scalars(select(TrendCell).where(TrendCell.cell == team.id)
                                                   .order_by(TrendCell.metric, TrendCell.period_start))])
    assert published[0] == published[1]
    assert {row[2] for row in published[0]} == {"released", "suppressed"}  # suppressed: no share under 30


def test_a_stale_score_is_not_counted_after_it_expired(session):
    from wellbeing.trends.inputs import person_records
    from tests.trends.helpers import month_bounds

    org = make_org(session)
    team = make_team(session, org, "Billing")
    inactive = make_agent(session, org, team)
    add_snapshot(session, inactive, datetime(2026, 1, 5, tzinfo=timezone.utc), 80.0,
                 expires_at=datetime(2026, 2, 9, tzinfo=timezone.utc))  # a CBI of 5 January, 35 days on
    session.commit()
    assert inactive.id in person_records(session, org.id, *month_bounds(JAN))
    assert inactive.id in person_records(session, org.id, *month_bounds(FEB))  # current until 9 February
    assert inactive.id not in person_records(session, org.id, *month_bounds(MAR))
    assert person_records(session, org.id, *month_bounds(date(2026, 6, 1))) == {}


def test_organization_figures_count_a_weekly_team_once_and_say_how_they_were_formed(session):
    org = make_org(session)
    make_team_of(session, org, "Front Line", 55)
    make_team_of(session, org, "Billing", 20)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    points = organization_series(session, org.id, "burnout_risk")
    assert [p["period_start"] for p in points] == [JAN, FEB, MAR]
    for point in points:
        assert point["status"] == "released"
        assert point["approx_contributors"] <= 120  # 75 people, with noise; four weeks added up gave ~260
        formed = point["formed_from"]
        assert formed["monthly_cells"] == 1 and formed["weekly_teams"] == 1
        assert formed["weeks_averaged"] in (3, 4, 5) and formed["pooled_cell"] == "none"


# --- the property: for any history, every person-month stays within the limit ----------------------------

MONTHS = [JAN, FEB, MAR, date(2026, 4, 1)]
DAY = timedelta(days=1)


@st.composite
def histories(draw):
    """An organization's first four months: teams, joins, moves, leaves and consent changes."""
    # At least one team that can release on its own, and others of every size band (pooled, monthly, weekly).
    sizes = [draw(st.sampled_from([8, 9, 14, 30, 52]))]
    sizes += draw(st.lists(st.sampled_from([0, 3, 6, 8, 12, 30, 50, 53]), max_size=3))
    people = []
    for team, size in enumerate(sizes):
        for _ in range(size):
            joined = draw(st.sampled_from([0, 0, 0, 10, 40]))
            moves = draw(st.lists(st.tuples(st.integers(1, 110), st.integers(0, len(sizes) - 1)), max_size=2))
            left = draw(st.one_of(st.none(), st.integers(20, 115)))
            consent = draw(st.booleans() | st.just(True))
            changes = draw(st.lists(st.integers(1, 115), max_size=2))
            people.append((team, joined, sorted(moves), left, consent, sorted(changes)))
    epsilon = draw(st.sampled_from(["3", "2", "1.5"]))
    return sizes, people, epsilon


def _build(session, sizes, people, epsilon):
    org = make_org(session, epsilon_per_month=epsilon)
    teams = [make_team(session, org, f"Team {n}") for n in range(len(sizes))]
    users, members, consents, changes, snapshots = [], [], [], [], []
    for team, joined, moves, left, consent, flips in people:
        user_id = new_id()
        start = SINCE + joined * DAY
        end = SINCE + left * DAY if left is not None and left > joined else None
        users.append({"id": user_id, "org_id": org.id, "email": f"{user_id}@p.test", "name": "A", "role": "agent",
                      "password_hash": "x", "timezone": "UTC", "locale": "en", "work_hours": {}, "created_at": SINCE})
        current, since = team, start
        for day, target in moves:
            moment = SINCE + day * DAY
            if moment <= since or (end is not None and moment >= end) or target == current:
                continue
            members.append({"user_id": user_id, "team_id": teams[current].id, "valid_from": since,
                            "valid_to": moment})
            current, since = target, moment
        members.append({"user_id": user_id, "team_id": teams[current].id, "valid_from": since, "valid_to": end})
        granted = consent
        changes.append({"id": new_id(), "user_id": user_id, "consent": "team_aggregates", "granted": granted,
                        "policy_version": "1", "changed_at": SINCE})
        for day in flips:
            granted = not granted
            changes.append({"id": new_id(), "user_id": user_id, "consent": "team_aggregates", "granted": granted,
                            "policy_version": "1", "changed_at": SINCE + day * DAY})
        consents.append({"user_id": user_id, "team_aggregates": granted, "hr_followup": False, "policy_version": "1",
                         "updated_at": SINCE})
        snapshots.append({"user_id": user_id, "computed_at": SINCE + DAY, "level": "moderate", "score": 55.0,
                          "unrounded_score": 55.0, "factors": [], "flags": [], "confidence": 1.0,
                          "model_version": "test", "inputs": {}, "expires_at": SINCE + 200 * DAY})
    for model, rows in ((User, users), (TeamMembership, members), (Consent, consents), (ConsentChange, changes),
                        (RiskSnapshot, snapshots)):
        if rows:
            session.execute(insert(model), rows)
    session.commit()
    return org


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(history=histories())
def test_no_history_lets_a_person_month_spend_past_the_limit(session, spent, history):
    sizes, people, epsilon = history
    org = _build(session, sizes, people, epsilon)
    limit = epsilon_to_micro(epsilon)
    spent.clear()
    # Releases as the scheduler makes them: every week, each time publishing what has closed.
    for day in range(8, 125, 7):
        release_due_periods(session, org.id, SINCE + day * DAY)
    for (person, month), micro in spent.items():
        assert micro <= limit, (person, month, micro)
    for row in session.scalars(select(PrivacyPersonLedger).where(PrivacyPersonLedger.org_id == org.id)):
        # The ledger charged at least what the mechanisms read (it also pays for members without a value).
        assert row.spent_micro <= row.limit_micro == limit
        assert row.spent_micro >= spent.get((row.user_id, row.month), 0)


def test_retention_forgets_budget_months_long_closed_and_erasure_keeps_them(session):
    from wellbeing.trends.data import export_privacy_budget, purge_privacy_budget

    org = make_org(session)
    agent = make_agent(session, org, make_team(session, org, "Billing"))
    for month in (date(2025, 12, 1), JAN, FEB, MAR):
        session.add(PrivacyPersonLedger(user_id=agent.id, month=month, org_id=org.id, limit_micro=LIMIT,
                                        spent_micro=375_000, team_monthly_micro=0, team_weekly_micro=375_000,
                                        pooled_micro=0, updated_at=SINCE))
    session.commit()
    exported = export_privacy_budget(session, agent, None)
    assert [m["month"] for m in exported] == [date(2025, 12, 1), JAN, FEB, MAR]
    assert exported[0]["by_kind"] == {"team_monthly": 0.0, "team_weekly": 0.375, "pooled": 0.0}
    # Cutoff 10 March: February may still be released late; January and before are long closed.
    assert purge_privacy_budget(session, org.id, datetime(2026, 3, 10, tzinfo=timezone.utc)) == {
        "privacy_person_ledger": 2}
    session.commit()
    assert [m["month"] for m in export_privacy_budget(session, agent, None)] == [FEB, MAR]
