"""Admin page for the organization's settings: name, time zone, country, anonymity and retention, help lines."""
from __future__ import annotations

from flask import flash, redirect, url_for

from api.console import bp, forms
from api.console.display import timezone_options
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, api, api_failure, fetch, form_errors, form_failed, render, signed_in

add_nav("admin", "console.admin_settings", N_("Settings"))
SETTINGS = ("name", "timezone", "roster_min", "epsilon_per_month", "retention_days")
HELP_LINE_FIELDS = ("name", "phone", "hours")
OPTIONAL_LINE_FIELDS = ("name_zh", "url", "confidential")


CONFIDENTIAL_OPTIONS = (("", N_("No: HR or a service inside the organization")),
                        ("yes", N_("Yes: an outside service agents contact directly, not through HR")))


def settings_page(status: int = 200, errors: dict | None = None, form: dict | None = None,
                  line_errors: dict | None = None, line: dict | None = None):
    org = fetch("/org")
    form = form or {**org, "country": org["country"] if org["country_source"] == "setting" else ""}
    return render("console/admin/settings.html", status, org=org, form=form, errors=errors or {},
                  line=line or {}, line_errors=line_errors or {}, timezone_options=timezone_options(form["timezone"]),
                  confidential_options=[(value, gettext(label)) for value, label in CONFIDENTIAL_OPTIONS])


@bp.get("/admin/settings")
@signed_in("admin")
def admin_settings():
    """The organization's settings and help lines."""
    return settings_page()


@bp.post("/admin/settings")
@signed_in("admin")
def admin_save_settings():
    """Change the organization's settings (PATCH /org)."""
    changes = {field: forms.text(field) for field in SETTINGS}
    changes["country"] = forms.text("country") or None  # empty: follow the time zone's country
    result = api().patch("/org", changes)
    if result.ok:
        flash(gettext("Settings saved."), "success")
        return redirect(url_for(".admin_settings"))
    if form_failed(result):
        return settings_page(result.status, form_errors(result), changes)
    return api_failure(result)


@bp.post("/admin/settings/help-lines")
@signed_in("admin")
def admin_add_help_line():
    """Add a help line (PATCH /org with the list plus the new line)."""
    lines = fetch("/org")["help_lines"]
    line = {field: forms.text(field) for field in HELP_LINE_FIELDS}
    result = api().patch("/org", {"help_lines": [*lines, line | optional_line_fields()]})
    if result.ok:
        flash(gettext("Help line %(name)s added.", name=line["name"]), "success")
        return redirect(url_for(".admin_settings"))
    if form_failed(result):
        prefix = f"help_lines.{len(lines)}."
        errors = form_errors(result)
        mine = {_line_field(key.removeprefix(prefix)): value for key, value in errors.items() if key.startswith(prefix)}
        rest = [m for key, messages in errors.items() if not key.startswith(prefix) for m in messages]
        shown = line | {field: forms.text(field) for field in OPTIONAL_LINE_FIELDS}
        return settings_page(result.status, line_errors={**mine, **({"_form": rest} if rest else {})}, line=shown)
    return api_failure(result)


def _line_field(api_field: str) -> str:
    """The form field an API field error belongs to (the Chinese name is names.zh-CN in the API)."""
    return "name_zh" if api_field.startswith("names") else api_field


def optional_line_fields() -> dict:
    """The add form's optional fields, only when filled (a line without them keeps the original shape)."""
    extra: dict = {}
    if forms.text("name_zh"):
        extra["names"] = {"zh-CN": forms.text("name_zh")}
    if forms.text("url"):
        extra["url"] = forms.text("url")
    if forms.text("confidential") == "yes":
        extra["confidential"] = True
    return extra


@bp.post("/admin/settings/help-lines/remove")
@signed_in("admin")
def admin_remove_help_line():
    """Remove a help line (PATCH /org without it); the form names the line, so a changed list removes nothing else."""
    lines = fetch("/org")["help_lines"]
    target = {field: forms.text(field) for field in HELP_LINE_FIELDS}
    index = next((i for i, line in enumerate(lines) if {f: line.get(f, "") for f in HELP_LINE_FIELDS} == target), None)
    if index is None:
        flash(gettext("That help line had already been removed."), "info")
        return redirect(url_for(".admin_settings"))
    result = api().patch("/org", {"help_lines": lines[:index] + lines[index + 1:]})
    if not result.ok:
        return api_failure(result)
    flash(gettext("Help line %(name)s removed.", name=target["name"]), "success")
    return redirect(url_for(".admin_settings"))
