"""Admin page for the questionnaires the organization offers: each one's licence, and switching it on or off."""
from __future__ import annotations

from flask import flash, redirect, url_for

from api.console import bp, forms
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, api, api_failure, fetch, form_errors, form_failed, render, signed_in

add_nav("admin", "console.admin_instruments", N_("Questionnaires"))


def instruments_page(status: int = 200, errors: dict | None = None):
    return render("console/admin/instruments.html", status, instruments=fetch("/org/instruments"),
                  errors=errors or {})


@bp.get("/admin/instruments")
@signed_in("admin")
def admin_instruments():
    """Every available questionnaire, whether agents are offered it, and its licence."""
    return instruments_page()


@bp.post("/admin/instruments")
@signed_in("admin")
def admin_toggle_instrument():
    """Offer or stop offering one questionnaire (PUT /org/instruments with the whole enabled list)."""
    instrument_id, enable = forms.text("instrument_id"), forms.text("enabled") == "true"
    instruments = fetch("/org/instruments")
    known = {item["id"]: item for item in instruments}
    if instrument_id not in known:
        return instruments_page(422, {"_form": [gettext("No such questionnaire.")]})
    enabled = [item["id"] for item in instruments if item["enabled"] and item["id"] != instrument_id]
    result = api().put("/org/instruments", {"enabled": enabled + ([instrument_id] if enable else [])})
    if result.ok:
        done = N_("%(name)s is now offered to agents.") if enable else N_("%(name)s is no longer offered.")
        flash(gettext(done, name=known[instrument_id]["name"]), "success")
        return redirect(url_for(".admin_instruments"))
    if form_failed(result):
        return instruments_page(result.status, form_errors(result))
    return api_failure(result)
