"""The trend endpoints: published cells only, the narrow query surface, charts, the agent's visibility."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from tests.helpers import assert_problem
from tests.trends.helpers import AFTER_MARCH, SINCE, add_snapshot, make_agent
from wellbeing.models import ConsentChange, Organization, Team, TeamMembership, TrendCell, User
from wellbeing.trends.release import release_due_periods


def _publish(world, session, size=20, score=60.0):
    """Put `size` consenting agents with risk snapshots in team A since January and release January..March."""
    org = session.get(Organization, world.org_id)
    team = session.get(Team, world.team_a)
    for _ in range(size):
        agent = make_agent(session, org, team, since=SINCE - timedelta(hours=8))  # 00:00 on 1 January in Shanghai
        add_snapshot(session, agent, SINCE - timedelta(hours=8), score)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)


def test_supervisor_reads_the_published_series_of_their_team(world, session):
    _publish(world, session)
    response = world.client.get(f"/api/v1/teams/{world.team_a}/trends?metric=burnout_risk",
                                headers=world.as_("supervisor"))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["team_id"] == world.team_a and body["granularity"] == "month"
    assert body["roster_min"] == 8 and body["epsilon_per_month"] == 3.0
    assert [p["period_start"] for p in body["series"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    stored = session.scalars(select(TrendCell).where(TrendCell.cell == world.team_a,
                                                     TrendCell.metric == "burnout_risk")
                             .order_by(TrendCell.period_start)).all()
    assert [p["value"] for p in body["series"]] == [c.value for c in stored]
    for point in body["series"]:
        assert point["status"] == "released" and point["approx_contributors"] % 5 == 0 and point["margin"] > 0
    again = world.client.get(f"/api/v1/teams/{world.team_a}/trends", headers=world.as_("supervisor"))
    assert again.json == body  # stored numbers, never fresh noise


def test_from_and_to_only_choose_published_periods(world, session):
    _publish(world, session)
    response = world.client.get(f"/api/v1/teams/{world.team_a}/trends?from=2026-02-01&to=2026-02-28",
                                headers=world.as_("admin"))
    assert [p["period_start"] for p in response.json["series"]] == ["2026-02-01"]


def test_any_other_query_parameter_is_refused(world, session):
    for query in ("user_id=x", "granularity=week", "metric=burnout_risk&since=2026-01-01", "limit=1"):
        response = world.client.get(f"/api/v1/teams/{world.team_a}/trends?{query}", headers=world.as_("supervisor"))
        assert_problem(response, 400)
    assert_problem(world.client.get(f"/api/v1/teams/{world.team_a}/trends.png?team=x",
                                    headers=world.as_("supervisor")), 400)
    assert_problem(world.client.get("/api/v1/org/trends?team_id=x", headers=world.as_("hr")), 400)
    assert_problem(world.client.get("/api/v1/me/visibility?team_id=x", headers=world.as_("agent")), 400)


def test_unknown_metric_is_a_validation_error(world):
    response = world.client.get(f"/api/v1/teams/{world.team_a}/trends?metric=stress", headers=world.as_("admin"))
    assert_problem(response, 422)


def test_supervisor_of_another_team_gets_404_and_agents_403(world, session):
    _publish(world, session)
    assert_problem(world.client.get(f"/api/v1/teams/{world.team_a}/trends", headers=world.as_("supervisor_b")), 404)
    assert_problem(world.client.get(f"/api/v1/teams/{world.team_a}/trends.svg", headers=world.as_("supervisor_b")),
                   404)
    assert_problem(world.client.get(f"/api/v1/teams/{world.team_a}/trends", headers=world.as_("agent")), 403)
    assert_problem(world.client.get(f"/api/v1/teams/{world.team_a}/trends", headers=world.as_("other_admin")), 404)
    assert_problem(world.client.get("/api/v1/org/trends", headers=world.as_("supervisor")), 403)


def test_charts_are_real_images_with_an_etag_and_304(world, session):
    _publish(world, session)
    url = f"/api/v1/teams/{world.team_a}/trends"
    png = world.client.get(url + ".png", headers=world.as_("supervisor"))
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n") and len(png.data) > 5000
    etag = png.headers["ETag"]
    again = world.client.get(url + ".png", headers={**world.as_("supervisor"), "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    chinese = {**world.as_("admin"), "Accept-Language": "zh-CN"}
    svg = world.client.get(url + ".svg?metric=participation", headers=chinese)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and svg.headers["ETag"] != etag
    english = world.client.get(url + ".svg?metric=participation", headers=world.as_("admin"))
    assert english.headers["ETag"] != svg.headers["ETag"]  # localized labels are part of the chart


def test_org_trends_are_post_processing_of_released_cells(world, session):
    _publish(world, session)
    body = world.client.get("/api/v1/org/trends?metric=participation", headers=world.as_("hr")).json
    team = next(g for g in body["groups"] if g["cell"] == world.team_a)
    assert [p["status"] for p in team["series"]] == ["released"] * 3
    # Only team A released: the organization equals its one child.
    assert [p["value"] for p in body["organization"]] == [p["value"] for p in team["series"]]
    pooled = next(g for g in body["groups"] if g["cell"] == "pooled")
    assert world.team_b in pooled["team_ids"]


def test_visibility_explains_in_plain_words_in_english_and_chinese(world, session):
    _publish(world, session)
    world.client.put("/api/v1/me/consents", json={"team_aggregates": True, "hr_followup": False},
                     headers=world.as_("agent"))
    body = world.client.get("/api/v1/me/visibility", headers=world.as_("agent")).json
    assert body["consented"] is True and body["team_id"] == world.team_a and body["roster_min"] == 8
    assert body["latest"]["status"] == "released" and body["latest"]["period_start"] == "2026-03-01"
    assert any("never sees your individual answers" in s for s in body["statements"])
    zh = world.client.get("/api/v1/me/visibility", headers={**world.as_("agent"), "Accept-Language": "zh-CN"}).json
    assert zh["language"] == "zh-CN" and any("主管" in s for s in zh["statements"])
    assert_problem(world.client.get("/api/v1/me/visibility", headers=world.as_("supervisor")), 403)


def test_visibility_reports_the_epsilon_spent_on_the_agent_in_each_of_the_last_12_months(world, session):
    # The world's agent has been on team A, consenting, since January, with a risk result.
    world.client.put("/api/v1/me/consents", json={"team_aggregates": True, "hr_followup": False},
                     headers=world.as_("agent"))
    membership = session.scalar(select(TeamMembership).where(TeamMembership.user_id == world.ids["agent"]))
    membership.valid_from = SINCE - timedelta(hours=8)
    session.add(ConsentChange(user_id=world.ids["agent"], consent="team_aggregates", granted=True,
                              policy_version="1", changed_at=SINCE - timedelta(hours=8)))
    add_snapshot(session, session.get(User, world.ids["agent"]), SINCE, 70.0)
    _publish(world, session)
    with time_machine.travel(AFTER_MARCH, tick=False):  # early April 2026, signed in then
        body = world.client.get("/api/v1/me/visibility", headers=world.login("agent")).json
    budget = body["budget"]
    assert [m["month"] for m in budget][-4:] == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    assert len(budget) == 12 and budget[0]["month"] == "2025-05-01"
    assert [(m["epsilon_spent"], m["kinds"]) for m in budget[-4:]] == [
        (3.0, ["team_monthly"]), (3.0, ["team_monthly"]), (3.0, ["team_monthly"]), (0.0, [])]
    assert all(m["epsilon_limit"] == 3.0 for m in budget)
    assert body["statements"][-1] == "This month, 0.0 of 3.0 used on figures that may include you."
    # A supervisor never reads it: the route is the agent's own.
    assert_problem(world.client.get("/api/v1/me/visibility", headers=world.as_("supervisor")), 403)


def test_every_supervisor_read_is_logged(world, session, caplog):
    _publish(world, session)
    with caplog.at_level("INFO", logger="wellbeing.trends.reads"):
        world.client.get(f"/api/v1/teams/{world.team_a}/trends?metric=participation", headers=world.as_("supervisor"))
        world.client.get(f"/api/v1/teams/{world.team_a}/trends.png", headers=world.as_("supervisor"))
    reads = [r.getMessage() for r in caplog.records if r.name == "wellbeing.trends.reads"]
    assert len(reads) == 2 and world.ids["supervisor"] in reads[0] and "participation" in reads[0]


def test_no_open_period_is_ever_returned(world, session):
    _publish(world, session)
    body = world.client.get(f"/api/v1/teams/{world.team_a}/trends?to=2100-01-01", headers=world.as_("admin")).json
    assert max(p["period_end"] for p in body["series"]) == "2026-03-31"  # released at 3 April: April is open


def test_a_team_name_that_looks_like_tex_is_drawn_literally(world, session):
    """Regression: matplotlib parsed titles as math, so `Team $\\frac{a$` made every viewer's chart a 500."""
    _publish(world, session)
    session.get(Team, world.team_a).name = r"Team $\frac{a$"
    session.commit()
    url = f"/api/v1/teams/{world.team_a}/trends"
    for fmt, mimetype in (("png", "image/png"), ("svg", "image/svg+xml")):
        for role in ("supervisor", "admin"):
            response = world.client.get(f"{url}.{fmt}", headers=world.as_(role))
            assert response.status_code == 200, (fmt, role, response.data[:300])
            assert response.mimetype == mimetype
    # The title is text, not TeX: with glyphs as paths the SVG carries the title in its metadata, dollar signs included.
    svg = world.client.get(url + ".svg", headers=world.as_("admin")).data.decode()
    assert r"Team $\frac{a$" in svg
