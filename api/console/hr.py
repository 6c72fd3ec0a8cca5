"""HR pages: the organization's help lines (GET /org) and teams, with the place the counseling cases take.

The case list, case pages and appointments come from the counseling API, which lands separately:
they go into ``templates/console/hr/_cases.html`` and this module.
"""
from __future__ import annotations

from api.console import bp
from api.console.i18n import N_
from api.console.pages import add_nav, fetch, render, signed_in

add_nav("hr", "console.hr_home", N_("Overview"), home=True)


@bp.get("/hr/")
@signed_in("hr")
def hr_home():
    """HR's overview: counseling cases (to come), help lines, and the organization's teams."""
    org = fetch("/org")
    return render("console/hr/home.html", org=org, teams=fetch("/teams")["items"])
