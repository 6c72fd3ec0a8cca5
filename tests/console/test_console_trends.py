"""Supervisor trend pages, the chart proxy, organization trends and the admin's questionnaire page (test client)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.console.helpers import browser, heading, post_form, sign_in, text
from tests.trends.helpers import AFTER_MARCH, SINCE, add_snapshot, make_agent
from wellbeing.models import OrgInstrument, Organization, Team
from wellbeing.trends.release import release_due_periods


@pytest.fixture
def signed_in(app, world):
    def make(key: str):
        client = browser(app)
        sign_in(client, world.emails[key])
        return client

    return make


@pytest.fixture
def published(world, session):
    """Twelve consenting agents in team A since January, January..March released (team B stays small: pooled)."""
    org = session.get(Organization, world.org_id)
    team = session.get(Team, world.team_a)
    agents = []
    for _ in range(12):
        agent = make_agent(session, org, team, since=SINCE - timedelta(hours=8))
        add_snapshot(session, agent, SINCE - timedelta(hours=8), 60.0)
        agents.append(agent)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)
    return agents


def test_team_page_shows_a_chart_and_the_published_numbers_of_each_metric(signed_in, world, published, client):
    page = text(signed_in("supervisor").get(f"/console/supervisor/teams/{world.team_a}"))
    for metric in ("burnout_risk", "participation", "high_risk_share"):
        assert f'src="/console/supervisor/teams/{world.team_a}/charts/{metric}.svg"' in page
    series = client.get(f"/api/v1/teams/{world.team_a}/trends", headers=world.as_("supervisor")).json["series"]
    numeric = [p for p in series if isinstance(p["value"], (int, float)) and p["margin"] is not None]
    assert numeric, series  # the fixture publishes released burnout-risk periods
    for point in numeric:
        assert f"{point['value']:.1f} ± {point['margin']:.1f}" in page
    for point in series:
        assert f"{point['period_start']} – {point['period_end']}" in page
    assert "Monthly periods." in page and "Published" in page


def test_team_page_names_no_individual(signed_in, world, published):
    page = text(signed_in("supervisor").get(f"/console/supervisor/teams/{world.team_a}"))
    assert "/console/admin/users" not in page and "/console/hr/" not in page
    for agent in published:
        assert agent.id not in page and agent.email not in page
    assert world.ids["agent"] not in page


def test_a_pooled_team_is_explained_in_plain_words(signed_in, world, published):
    page = text(signed_in("supervisor_b").get(f"/console/supervisor/teams/{world.team_b}"))
    assert 'data-status="pooled"' in page
    assert "counted together with other small teams and it has no number of its own" in page


def test_protection_explainer_carries_the_visibility_facts(signed_in, world, published):
    page = text(signed_in("supervisor").get(f"/console/supervisor/teams/{world.team_a}"))
    assert "How these numbers protect your team" in page
    assert "Teams with fewer than 8 consenting people" in page and "about 5 or more people" in page
    assert "at most epsilon 3 per person per month" in page


def test_team_page_before_anything_is_published_says_so(signed_in, world):
    page = text(signed_in("supervisor").get(f"/console/supervisor/teams/{world.team_a}"))
    assert "Nothing has been published yet." in page


def test_the_chart_is_the_apis_svg_passed_through(signed_in, world, published, client):
    response = signed_in("supervisor").get(f"/console/supervisor/teams/{world.team_a}/charts/participation.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data().lstrip().startswith((b"<?xml", b"<svg"))
    assert b"Bearer" not in response.get_data() and "Authorization" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_another_teams_chart_is_not_found_and_an_unknown_metric_too(signed_in, world, published):
    supervisor = signed_in("supervisor")
    response = supervisor.get(f"/console/supervisor/teams/{world.team_b}/charts/burnout_risk.svg")
    assert response.status_code == 404 and response.mimetype == "text/html"
    response = supervisor.get(f"/console/supervisor/teams/{world.team_a}/charts/salary.svg")
    assert response.status_code == 404 and heading(response) == "Not found"


def test_team_page_in_chinese(signed_in, world, published):
    supervisor = signed_in("supervisor")
    post_form(supervisor, "/console/supervisor/", "/console/language", {"lang": "zh-CN"})
    page = text(supervisor.get(f"/console/supervisor/teams/{world.team_a}"))
    assert "已发布" in page and "平均职业倦怠风险" in page and "按月统计。" in page


@pytest.mark.parametrize("key", ["hr", "admin"])
def test_organization_trends_for_hr_and_admin(signed_in, key, world, published):
    response = signed_in(key).get("/console/trends?metric=participation")
    page = text(response)
    assert response.status_code == 200 and heading(response) == "Organization trends"
    assert "Team A" in page and "Team B" in page and "Pooled small teams" in page and "The whole organization" in page
    assert 'aria-current="page">Participation</a>' in page and "%" in page


def test_organization_trends_are_not_for_supervisors(signed_in):
    assert signed_in("supervisor").get("/console/trends").status_code == 403


def test_an_unknown_metric_falls_back_to_burnout_risk(signed_in, published):
    page = text(signed_in("hr").get("/console/trends?metric=salary"))
    assert 'aria-current="page">Mean burnout risk (0–100)</a>' in page


def test_admin_sees_every_questionnaire_with_its_licence(signed_in, client, world):
    page = text(signed_in("admin").get("/console/admin/instruments"))
    for item in client.get("/api/v1/org/instruments", headers=world.as_("admin")).json:
        assert f'data-instrument="{item["id"]}"' in page
        assert str(item["license"]["text"]).split("\n")[0][:40].replace("'", "&#39;") in page


def test_admin_switches_a_questionnaire_off_and_on(signed_in, client, world, session):
    admin = signed_in("admin")
    enabled = {i["id"] for i in client.get("/api/v1/org/instruments", headers=world.as_("admin")).json if i["enabled"]}
    target = sorted(enabled)[0]
    response = post_form(admin, "/console/admin/instruments", "/console/admin/instruments",
                         {"instrument_id": target, "enabled": "false"}, follow_redirects=True)
    assert "is no longer offered." in text(response)
    now = {i["id"] for i in client.get("/api/v1/org/instruments", headers=world.as_("admin")).json if i["enabled"]}
    assert now == enabled - {target}
    stored = session.scalar(select(OrgInstrument).where(OrgInstrument.org_id == world.org_id,
                                                        OrgInstrument.instrument_id == target))
    assert stored.enabled is False
    response = post_form(admin, "/console/admin/instruments", "/console/admin/instruments",
                         {"instrument_id": target, "enabled": "true"}, follow_redirects=True)
    assert "is now offered to agents." in text(response)
    assert {i["id"] for i in client.get("/api/v1/org/instruments", headers=world.as_("admin")).json
            if i["enabled"]} == enabled


def test_an_unknown_questionnaire_is_a_readable_refusal(signed_in):
    response = post_form(signed_in("admin"), "/console/admin/instruments", "/console/admin/instruments",
                         {"instrument_id": "nope", "enabled": "true"})
    assert response.status_code == 422 and "No such questionnaire." in text(response)


def test_questionnaire_page_is_admin_only(signed_in):
    assert signed_in("hr").get("/console/admin/instruments").status_code == 403


def test_an_agent_signing_in_reads_what_the_privacy_promise_cost_them_this_month(app, world, session):
    from datetime import date, datetime, timezone

    import time_machine

    from tests.console.helpers import browser, sign_in, text
    from wellbeing.models import PrivacyPersonLedger

    session.add(PrivacyPersonLedger(user_id=world.ids["agent"], month=date(2027, 3, 1), org_id=world.org_id,
                                    limit_micro=3_000_000, spent_micro=1_500_000, team_monthly_micro=0,
                                    team_weekly_micro=1_500_000, pooled_micro=0,
                                    updated_at=datetime(2027, 3, 2, tzinfo=timezone.utc)))
    session.commit()
    with time_machine.travel(datetime(2027, 3, 10, 4, tzinfo=timezone.utc), tick=False):
        client = browser(app)
        assert sign_in(client, world.emails["agent"]).headers["Location"] == "/console/for-agents"
        page = text(client.get("/console/for-agents"))
        assert "This month, 1.5 of 3.0 used on figures that may include you." in page
        again = text(client.get("/console/for-agents"))  # the sign-in has ended: the figure is not shown again
    assert "used on figures that may include you" not in again
