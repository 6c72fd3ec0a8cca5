"""Supervisor pages: the teams they lead (GET /teams), each with its published trends (GET /teams/{id}/trends).

Charts are the API's own SVG, fetched through a console route with the user's token (the token never
reaches the browser). Nothing here reaches an individual.
"""
from __future__ import annotations

from flask import Response

from api.console import bp
from api.console.i18n import N_
from api.console.pages import ApiError, add_nav, api, error_page, fetch, render, segment, signed_in
from api.console.trends import metric_label, protection_facts, rows
from wellbeing.trends.privacy.release import METRICS

add_nav("supervisor", "console.supervisor_home", N_("My teams"), home=True)


@bp.get("/supervisor/")
@signed_in("supervisor")
def supervisor_home():
    """The teams the supervisor leads."""
    return render("console/supervisor/home.html", teams=fetch("/teams")["items"])


@bp.get("/supervisor/teams/<team_id>")
@signed_in("supervisor")
def supervisor_team(team_id: str):
    """One team the supervisor leads, with a chart and a table per metric (the API answers 404 for any other team)."""
    team = fetch(f"/teams/{segment(team_id)}")
    trends = [fetch(f"/teams/{segment(team_id)}/trends", {"metric": metric}) for metric in METRICS]
    metrics = [{"metric": body["metric"], "label": metric_label(body["metric"]),
                "granularity": body["granularity"], "rows": rows(body["metric"], body["series"])} for body in trends]
    return render("console/supervisor/team.html", team=team, metrics=metrics, active="console.supervisor_home",
                  facts=protection_facts(trends[0]["roster_min"], trends[0]["epsilon_per_month"]))


@bp.get("/supervisor/teams/<team_id>/charts/<metric>.svg")
@signed_in("supervisor")
def supervisor_chart(team_id: str, metric: str):
    """The API's SVG chart of one metric, passed through with the user's token."""
    if metric not in METRICS:
        return error_page(404)
    result = api().get(f"/teams/{segment(team_id)}/trends.svg", {"metric": metric})
    if not result.ok:
        raise ApiError(result)
    return Response(result.content, mimetype=result.mimetype)
