"""Account pages: accepting an invitation, forgetting and resetting a password, choosing one's own password."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from api.console import bp, state
from api.console.i18n import N_, gettext
from api.console.pages import api, api_failure, form_errors, form_failed, render, signed_in
from wellbeing.core.clock import utcnow

# The API's password-rule messages, so the console shows them in the reader's language.
RULE_MESSAGES = (N_("Use at least 10 characters."), N_("The password must not be your e-mail address."),
                 N_("This password is too common; choose another."), N_("The new password must differ from the old one."),
                 N_("The current password is wrong."))
LINK_FAILED = N_("This link is no longer valid: it was used or it expired. Ask for a new one.")


def _new_password_errors() -> dict[str, list[str]]:
    """The two new-password fields must be filled in and agree (checked before the API is asked)."""
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    if not new:
        return {"new_password": [gettext("Please fill this in.")]}
    if new != again:
        return {"new_password_again": [gettext("The two passwords differ.")]}
    return {}


def _signed_in_with(pair: dict):
    """Keep the token pair the API just issued as this browser's sign-in, and go home."""
    state.begin(utcnow().timestamp())
    api().tokens.store(pair, utcnow().timestamp())
    return redirect(url_for(".index"))


def _link_page(template: str, status: int = 200, errors: dict | None = None):
    return render(template, status, token=request.values.get("token", ""), errors=errors or {})


def _link_form(template: str, path: str, done):
    """POST of a one-time-link form: the token and a new password go to the API; ``done`` answers success."""
    errors = _new_password_errors()
    if errors:
        return _link_page(template, 422, errors)
    body = {"token": request.form.get("token", ""), "new_password": request.form["new_password"]}
    if path == "/auth/invitations/accept":
        body["client"] = "console"  # the pair becomes this browser's sign-in, with the console's limits
    result = api().post(path, body)
    if result.ok:
        return done(result)
    if result.status == 400:
        return _link_page(template, 400, {"_form": [gettext(LINK_FAILED)]})
    if form_failed(result):
        return _link_page(template, result.status, form_errors(result))
    return api_failure(result)


@bp.get("/accept-invitation")
def accept_invitation_page():
    """The page an invitation e-mail links to: choose a password."""
    return _link_page("console/account/accept_invitation.html")


@bp.post("/accept-invitation")
def accept_invitation():
    """Accept the invitation through POST /auth/invitations/accept and sign in."""
    return _link_form("console/account/accept_invitation.html", "/auth/invitations/accept",
                      lambda result: _signed_in_with(result.body))


@bp.get("/reset-password")
def reset_password_page():
    """The page a reset e-mail links to: choose a new password."""
    return _link_page("console/account/reset_password.html")


@bp.post("/reset-password")
def reset_password():
    """Set the new password through POST /auth/password-reset/confirm; then sign in with it."""

    def done(result):
        flash(gettext("Your password is changed. Sign in with it."), "success")
        return redirect(url_for(".index"))

    return _link_form("console/account/reset_password.html", "/auth/password-reset/confirm", done)


@bp.get("/forgot-password")
def forgot_password_page():
    """Ask for a reset link."""
    return render("console/account/forgot_password.html", errors={}, email="", sent=False)


@bp.post("/forgot-password")
def forgot_password():
    """POST /auth/password-reset; the answer is the same whether or not the address has an account."""
    email = request.form.get("email", "").strip()
    if not email:
        return render("console/account/forgot_password.html", 422, errors={"email": [gettext("Please fill this in.")]},
                      email="", sent=False)
    result = api().post("/auth/password-reset", {"email": email})
    if not result.ok:
        if form_failed(result):
            return render("console/account/forgot_password.html", result.status, errors=form_errors(result),
                          email=email, sent=False)
        return api_failure(result)
    return render("console/account/forgot_password.html", errors={}, email=email, sent=True)


def first_password_page(email: str, status: int = 200, errors: dict | None = None):
    """Sign-in with a temporary password: the owner chooses their own before anything else."""
    return render("console/account/first_password.html", status, email=email, errors=errors or {})


@bp.post("/first-password")
def first_password():
    """Replace a temporary password through POST /auth/password-change, then sign in."""
    email = request.form.get("email", "").strip()
    errors = _new_password_errors()
    if not request.form.get("password"):
        errors["password"] = [gettext("Please fill this in.")]
    if errors:
        return first_password_page(email, 422, errors)
    result = api().post("/auth/password-change", {"email": email, "password": request.form["password"],
                                                  "new_password": request.form["new_password"], "client": "console"})
    if result.ok:
        return _signed_in_with(result.body)
    if result.status == 401:
        return first_password_page(email, 401, {"_form": [gettext("That e-mail and password do not match an account.")]})
    if form_failed(result):
        return first_password_page(email, result.status, form_errors(result))
    return api_failure(result)


@bp.get("/account/password")
@signed_in()
def change_password_page():
    """Every signed-in user can change their password."""
    return render("console/account/change_password.html", errors={})


@bp.post("/account/password")
@signed_in()
def change_password():
    """PUT /me/password: the other sessions of the user end; this one stays."""
    errors = _new_password_errors()
    if not request.form.get("password"):
        errors["password"] = [gettext("Please fill this in.")]
    if errors:
        return render("console/account/change_password.html", 422, errors=errors)
    result = api().put("/me/password", {"password": request.form["password"], "new_password": request.form["new_password"]})
    if result.ok:
        flash(gettext("Your password is changed. Your other sessions have ended."), "success")
        return redirect(url_for(".change_password_page"))
    if form_failed(result):
        return render("console/account/change_password.html", result.status, errors=form_errors(result))
    return api_failure(result)
