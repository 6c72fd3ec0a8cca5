"""Admin pages for the organization's API keys: list, create (the secret shown once), revoke."""
from __future__ import annotations

from flask import flash, redirect, url_for

from api.console import bp, forms
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, api, api_failure, fetch, form_errors, form_failed, render, segment, signed_in

add_nav("admin", "console.admin_keys", N_("API keys"))


def keys_page(status: int = 200, errors: dict | None = None, name: str = "", created: dict | None = None):
    keys = fetch("/api-keys")["items"]
    # A fresh id after a successful create, so the next key is a new one; the same id while the form is corrected.
    request_id = forms.new_client_id() if created or not forms.client_id() else forms.client_id()
    return render("console/admin/api_keys.html", status, keys=keys, errors=errors or {}, name=name,
                  created=created, request_id=request_id)


@bp.get("/admin/api-keys")
@signed_in("admin")
def admin_keys():
    """The organization's API keys (never their secrets) and a form to create one."""
    return keys_page()


@bp.post("/admin/api-keys")
@signed_in("admin")
def admin_create_key():
    """Create an API key (POST /api-keys); the answer shows the secret once and is never stored by the console."""
    name = forms.text("name")
    result = api().post("/api-keys", {"id": forms.client_id(), "name": name})
    if result.ok:
        return keys_page(result.status, created=result.body)
    if form_failed(result):
        return keys_page(result.status, form_errors(result), name)
    return api_failure(result)


@bp.post("/admin/api-keys/<key_id>/revoke")
@signed_in("admin")
def admin_revoke_key(key_id: str):
    """Revoke an API key (DELETE /api-keys/{id}); integrations using it stop working at once."""
    result = api().delete(f"/api-keys/{segment(key_id)}")
    if not result.ok:
        return api_failure(result)
    flash(gettext("The API key has been revoked."), "success")
    return redirect(url_for(".admin_keys"))
