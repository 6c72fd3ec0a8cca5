"""Admin pages for users: the paged list, creating a user, moving them between teams, changing their role."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from api.console import bp, forms
from api.console.display import role_options, timezone_options
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, api, api_failure, fetch, form_errors, form_failed, render, segment, signed_in

add_nav("admin", "console.admin_users", N_("Users"))
PAGE_SIZE = 25
CREATE_FIELDS = ("email", "name", "role", "team_id", "password", "timezone", "locale")


def users_page(status: int = 200, errors: dict | None = None, form: dict | None = None):
    filters = {"role": request.args.get("role", ""), "team_id": request.args.get("team_id", "")}
    cursor = request.args.get("cursor", "")
    page = fetch("/users", {**filters, "cursor": cursor, "limit": PAGE_SIZE})
    teams = fetch("/teams")["items"]
    org = fetch("/org")
    form = form or {"timezone": org["timezone"], "locale": "en"}
    return render("console/admin/users.html", status, users=page["items"], next_cursor=page["next_cursor"],
                  filters=filters, filters_set={k: v for k, v in filters.items() if v}, paged=bool(cursor),
                  team_options=[(t["id"], t["name"]) for t in teams], team_names={t["id"]: t["name"] for t in teams},
                  role_options=role_options(), timezone_options=timezone_options(form.get("timezone")),
                  errors=errors or {}, form=form, request_id=forms.client_id() or forms.new_client_id())


@bp.get("/admin/users")
@signed_in("admin")
def admin_users():
    """The organization's users, newest first, a page at a time (filter by role or team), and a create form."""
    return users_page()


@bp.post("/admin/users")
@signed_in("admin")
def admin_create_user():
    """Create a user through POST /users (idempotent on the form's id)."""
    body = {"id": forms.client_id(), **forms.present(*CREATE_FIELDS)}
    result = api().post("/users", body)
    if result.ok:
        done = (N_("User %(email)s created.") if result.status == 201
                else N_("User %(email)s had already been created."))
        flash(gettext(done, email=result.body["email"]), "success")
        return redirect(url_for(".admin_user", user_id=result.body["id"]))
    if form_failed(result):
        body.pop("password", None)
        return users_page(result.status, form_errors(result), body)
    return api_failure(result)


def user_page(user_id: str, status: int = 200, errors: dict | None = None):
    user = fetch(f"/users/{segment(user_id)}")
    teams = fetch("/teams")["items"]
    return render("console/admin/user.html", status, user=user, role_options=role_options(),
                  team_options=[(t["id"], t["name"]) for t in teams], team_names={t["id"]: t["name"] for t in teams},
                  errors=errors or {}, active="console.admin_users")


@bp.get("/admin/users/<user_id>")
@signed_in("admin")
def admin_user(user_id: str):
    """One user, with forms to move them to another team and to change their role."""
    return user_page(user_id)


def _change(user_id: str, changes: dict, done: str):
    result = api().patch(f"/users/{segment(user_id)}", changes)
    if result.ok:
        flash(gettext(done, name=result.body["name"]), "success")
        return redirect(url_for(".admin_user", user_id=user_id))
    if form_failed(result):
        return user_page(user_id, result.status, form_errors(result))
    return api_failure(result)


@bp.post("/admin/users/<user_id>/team")
@signed_in("admin")
def admin_move_user(user_id: str):
    """Move a user to another team, or out of every team (PATCH /users/{id} with team_id)."""
    return _change(user_id, {"team_id": forms.text("team_id") or None}, N_("%(name)s has moved."))


@bp.post("/admin/users/<user_id>/role")
@signed_in("admin")
def admin_change_role(user_id: str):
    """Change a user's role (PATCH /users/{id} with role); the API signs them out everywhere."""
    return _change(user_id, {"role": forms.text("role")}, N_("%(name)s has a new role."))
