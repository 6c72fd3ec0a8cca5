"""Admin pages for teams: the list, creating one, and who leads each team."""
from __future__ import annotations

from flask import flash, redirect, url_for

from api.console import bp, forms
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, api, api_failure, fetch, form_errors, form_failed, render, segment, signed_in

add_nav("admin", "console.admin_teams", N_("Teams"), home=True)
PAGE_SIZE = 500


def teams_page(status: int = 200, errors: dict | None = None, name: str = ""):
    teams = fetch("/teams")["items"]
    return render("console/admin/teams.html", status, teams=teams, errors=errors or {}, name=name,
                  request_id=forms.client_id() or forms.new_client_id())


@bp.get("/admin/teams")
@signed_in("admin")
def admin_teams():
    """The organization's teams, and a form to create one."""
    return teams_page()


@bp.post("/admin/teams")
@signed_in("admin")
def admin_create_team():
    """Create a team through POST /teams (idempotent on the form's id)."""
    name = forms.text("name")
    result = api().post("/teams", {"id": forms.client_id(), "name": name})
    if result.ok:
        done = N_("Team %(name)s created.") if result.status == 201 else N_("Team %(name)s had already been created.")
        flash(gettext(done, name=result.body["name"]), "success")
        return redirect(url_for(".admin_team", team_id=result.body["id"]))
    if form_failed(result):
        return teams_page(result.status, form_errors(result), name)
    return api_failure(result)


def team_page(team_id: str, status: int = 200, errors: dict | None = None):
    team = fetch(f"/teams/{segment(team_id)}")
    lead_ids = fetch(f"/teams/{segment(team_id)}/supervisors")["user_ids"]
    supervisors = {user["id"]: user for user in fetch("/users", {"role": "supervisor", "limit": PAGE_SIZE})["items"]}
    leads = [supervisors.get(user_id) or fetch(f"/users/{segment(user_id)}") for user_id in lead_ids]
    candidates = [(user["id"], f"{user['name']} ({user['email']})") for user in supervisors.values()
                  if user["id"] not in lead_ids]
    members = fetch("/users", {"team_id": team_id, "limit": 50})
    return render("console/admin/team.html", status, team=team, leads=leads, candidates=candidates,
                  members=members["items"], more_members=bool(members["next_cursor"]), errors=errors or {},
                  active="console.admin_teams")


@bp.get("/admin/teams/<team_id>")
@signed_in("admin")
def admin_team(team_id: str):
    """One team: its supervisors (assign, remove) and its current members."""
    return team_page(team_id)


@bp.post("/admin/teams/<team_id>/supervisors")
@signed_in("admin")
def admin_assign_supervisor(team_id: str):
    """Make a supervisor lead this team (POST /teams/{id}/supervisors)."""
    result = api().post(f"/teams/{segment(team_id)}/supervisors", {"user_id": forms.text("user_id")})
    if result.ok:
        flash(gettext("The supervisor now leads this team."), "success")
        return redirect(url_for(".admin_team", team_id=team_id))
    if form_failed(result):
        return team_page(team_id, result.status, form_errors(result))
    return api_failure(result)


@bp.post("/admin/teams/<team_id>/supervisors/<user_id>/remove")
@signed_in("admin")
def admin_remove_supervisor(team_id: str, user_id: str):
    """Stop a supervisor leading this team (DELETE /teams/{id}/supervisors/{user_id})."""
    result = api().delete(f"/teams/{segment(team_id)}/supervisors/{segment(user_id)}")
    if not result.ok:
        return api_failure(result)
    flash(gettext("The supervisor no longer leads this team."), "success")
    return redirect(url_for(".admin_team", team_id=team_id))
