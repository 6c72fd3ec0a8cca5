"""Supervisor pages: the teams they lead (GET /teams), each with the place its trend charts take.

The charts and published numbers come from the team-trends API, which lands separately: they go into
``templates/console/supervisor/_trends.html`` and this module. Nothing here reaches an individual.
"""
from __future__ import annotations

from api.console import bp
from api.console.i18n import N_
from api.console.pages import add_nav, fetch, render, segment, signed_in

add_nav("supervisor", "console.supervisor_home", N_("My teams"), home=True)


@bp.get("/supervisor/")
@signed_in("supervisor")
def supervisor_home():
    """The teams the supervisor leads."""
    return render("console/supervisor/home.html", teams=fetch("/teams")["items"])


@bp.get("/supervisor/teams/<team_id>")
@signed_in("supervisor")
def supervisor_team(team_id: str):
    """One team the supervisor leads (the API answers 404 for any other team)."""
    team = fetch(f"/teams/{segment(team_id)}")
    return render("console/supervisor/team.html", team=team, active="console.supervisor_home")
