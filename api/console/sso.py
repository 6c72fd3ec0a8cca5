"""Single sign-on in the console: "Sign in with your organization", the return from the provider, and the admin's
page for the identity provider (OpenID Connect settings, a connection test, the SCIM token)."""
from __future__ import annotations

import base64
import hashlib
import secrets

from flask import flash, redirect, request, url_for

from api.console import bp, forms, state
from api.console.auth import sign_in_page
from api.console.i18n import N_, gettext
from api.console.pages import HOME, add_nav, api, api_failure, form_errors, form_failed, render, signed_in
from wellbeing.core.clock import utcnow

add_nav("admin", "console.admin_sso", N_("Single sign-on"))

# Why the provider's sign-in was refused, in words for the person at the sign-in page.
REFUSALS = {
    "sso_unknown_user": N_("There is no account for you here yet. Ask your administrator to add you."),
    "sso_account_deactivated": N_("Your account is deactivated. Ask your administrator."),
    "sso_other_organization": N_("Your account belongs to another organization."),
    "sso_no_email": N_("Your identity provider did not send a verified e-mail address."),
    "provider_denied": N_("Your identity provider did not sign you in."),
}
GENERAL_REFUSAL = N_("Single sign-on failed. Try again, or ask your administrator to test the connection.")
CHECKBOXES = ("password_sign_in", "jit_enabled")


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@bp.post("/sso/start")
def sso_start():
    """Leave for the organization's identity provider (found by e-mail address or single sign-on name)."""
    org = forms.text("org")
    if not org:
        return sign_in_page(422, sso_errors={"org": [gettext("Please fill this in.")]})
    verifier = secrets.token_urlsafe(48)
    result = api().sso_start(org, _challenge(verifier))
    if result.status == 302:
        state.remember_sso_verifier(verifier)
        # A page that moves on by itself, not a redirect: the console's CSP (form-action 'self') would stop a form's
        # redirect to another origin.
        return render("console/sso_leaving.html", provider_url=result.headers["Location"])
    if result.status in (404, 422):
        message = gettext("No organization signs in with single sign-on under this name.")
        return sign_in_page(404, sso_errors={"org": [message]}, org=org)
    return sign_in_page(502, sso_errors={"_form": [gettext(GENERAL_REFUSAL)]}, org=org)


@bp.get("/sso/finish")
def sso_finish():
    """Back from the provider: exchange the one-time code for the console's sign-in."""
    verifier = state.take_sso_verifier()
    code = request.args.get("code")
    if request.args.get("error") or not code or not verifier:
        message = REFUSALS.get(request.args.get("error", ""), GENERAL_REFUSAL)
        return sign_in_page(403, sso_errors={"_form": [gettext(message)]})
    state.begin(utcnow().timestamp())
    result = api().sign_in_with_code(code, verifier)
    if not result.ok:
        state.end()
        return sign_in_page(403, sso_errors={"_form": [gettext(GENERAL_REFUSAL)]})
    me = api().get("/me")
    if not me.ok:
        return api_failure(me)
    if me.body["role"] not in HOME:
        return redirect(url_for(".for_agents"))
    return redirect(url_for(HOME[me.body["role"]]))


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").replace(",", "\n").splitlines() if line.strip()]


def sso_page(status: int = 200, errors: dict | None = None, form: dict | None = None, tested: dict | None = None,
             token: dict | None = None):
    settings = api().get("/org/sso")
    if not settings.ok and settings.status != 404:
        return api_failure(settings)
    scim = api().get("/org/scim-token")
    if not scim.ok:
        return api_failure(scim)
    current = settings.body if settings.ok else None
    form = form or current or {"email_claim": "email", "password_sign_in": True, "jit_enabled": False}
    return render("console/admin/sso.html", status, current=current, form=form, errors=errors or {}, tested=tested,
                  scim=scim.body, token=token)


@bp.get("/admin/sso")
@signed_in("admin")
def admin_sso():
    """The organization's identity provider: single sign-on settings and SCIM provisioning."""
    return sso_page()


@bp.post("/admin/sso")
@signed_in("admin")
def admin_save_sso():
    """Save the OpenID Connect settings (PUT /org/sso); an empty secret keeps the stored one."""
    body = {name: forms.text(name) for name in ("slug", "issuer", "client_id", "email_claim")}
    body.update({name: request.form.get(name) == "yes" for name in CHECKBOXES})
    body.update(email_domains=_lines("email_domains"), redirect_uris=_lines("redirect_uris"))
    if forms.text("client_secret"):
        body["client_secret"] = forms.text("client_secret")
    result = api().put("/org/sso", body)
    if result.ok:
        flash(gettext("Single sign-on settings saved."), "success")
        return redirect(url_for(".admin_sso"))
    if form_failed(result):
        shown = {**body, "email_domains": body["email_domains"], "redirect_uris": body["redirect_uris"]}
        return sso_page(result.status, form_errors(result), shown)
    return api_failure(result)


@bp.post("/admin/sso/test")
@signed_in("admin")
def admin_test_sso():
    """Test the connection: the provider's discovery document and keys, fetched now (POST /org/sso/test)."""
    result = api().post("/org/sso/test")
    if result.ok:
        return sso_page(tested={"ok": True, **result.body})
    if result.status in (400, 404):
        return sso_page(result.status, tested={"ok": False, "detail": result.detail})
    return api_failure(result)


@bp.post("/admin/sso/scim-token")
@signed_in("admin")
def admin_scim_token():
    """Create or rotate the SCIM token (POST /org/scim-token): shown once, the previous one stops working."""
    result = api().post("/org/scim-token")
    if not result.ok:
        return api_failure(result)
    return sso_page(201, token=result.body)
