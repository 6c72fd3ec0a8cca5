"""Admin pages for users: the paged list, creating (or inviting) a user, moving them between teams, changing their role,
and their account: resending the invitation, a password reset, deactivation."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from api.console import bp, forms
from api.console.display import role_options, timezone_options
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, api, api_failure, fetch, form_errors, form_failed, render, segment, signed_in

add_nav("admin", "console.admin_users", N_("Users"))
PAGE_SIZE = 25
CREATE_FIELDS = ("email", "name", "role", "team_id", "password", "timezone", "locale")
STATUS_LABELS = {"invited": N_("Invited"), "active": N_("Active"), "deactivated": N_("Deactivated")}


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
                  status_labels=STATUS_LABELS,
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


def user_page(user_id: str, status: int = 200, errors: dict | None = None, temporary_password: str | None = None):
    user = fetch(f"/users/{segment(user_id)}")
    teams = fetch("/teams")["items"]
    return render("console/admin/user.html", status, user=user, role_options=role_options(),
                  status_labels=STATUS_LABELS, temporary_password=temporary_password,
                  team_options=[(t["id"], t["name"]) for t in teams], team_names={t["id"]: t["name"] for t in teams},
                  platform_labels={"amazon_connect": "Amazon Connect", "genesys": "Genesys Cloud"},
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


@bp.post("/admin/users/<user_id>/external-ids")
@signed_in("admin")
def admin_external_ids(user_id: str):
    """Set the person's platform ids (PATCH /users/{id} with external_ids); other platforms' ids are kept."""
    current = dict(fetch(f"/users/{segment(user_id)}").get("external_ids") or {})
    for platform in ("amazon_connect", "genesys"):
        value = forms.text(platform)
        if value:
            current[platform] = value
        else:
            current.pop(platform, None)
    return _change(user_id, {"external_ids": current or None}, N_("Contact-centre ids of %(name)s are saved."))


def _account_action(user_id: str, path: str, done: str):
    """POST one of the account actions of /users/{id}; the answer is a message on the user's page."""
    result = api().post(f"/users/{segment(user_id)}/{path}")
    if not result.ok:
        return user_page(user_id, result.status, form_errors(result)) if form_failed(result) else api_failure(result)
    if isinstance(result.body, dict) and result.body.get("temporary_password"):
        return user_page(user_id, temporary_password=result.body["temporary_password"])
    email = result.body.get("email") if isinstance(result.body, dict) and "email" in result.body else None
    flash(gettext(done, email=email or fetch(f"/users/{segment(user_id)}")["email"]), "success")
    return redirect(url_for(".admin_user", user_id=user_id))


@bp.post("/admin/users/<user_id>/invitation")
@signed_in("admin")
def admin_resend_invitation(user_id: str):
    """Send a new invitation e-mail (POST /users/{id}/invitation)."""
    return _account_action(user_id, "invitation", N_("A new invitation is on its way to %(email)s."))


@bp.post("/admin/users/<user_id>/password-reset")
@signed_in("admin")
def admin_reset_password(user_id: str):
    """Reset the password (POST /users/{id}/password-reset): a mail, or a temporary password when mail is off."""
    return _account_action(user_id, "password-reset", N_("A password reset e-mail is on its way to %(email)s."))


@bp.post("/admin/users/<user_id>/deactivate")
@signed_in("admin")
def admin_deactivate(user_id: str):
    """Deactivate the user (POST /users/{id}/deactivate): signed out at once, data kept."""
    return _account_action(user_id, "deactivate", N_("%(email)s is deactivated; their sessions have ended."))


@bp.post("/admin/users/<user_id>/reactivate")
@signed_in("admin")
def admin_reactivate(user_id: str):
    """Reactivate the user (POST /users/{id}/reactivate)."""
    return _account_action(user_id, "reactivate", N_("%(email)s is active again."))
