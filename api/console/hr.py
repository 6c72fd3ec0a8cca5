"""HR pages: the overview (open cases, help lines, teams) and the case list (GET /counseling/cases), filtered and paged.

The list holds only what the API returns to HR: cases of agents who referred themselves or agreed to an HR
follow-up. Every list read is logged by the API for each agent, with the console's purpose.
"""
from __future__ import annotations

from flask import request

from api.console import bp
from api.console.counseling_labels import CASE_STATUSES, OPENED_BY, PURPOSE, REASONS, label
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, fetch, render, signed_in

add_nav("hr", "console.hr_home", N_("Overview"), home=True)
add_nav("hr", "console.hr_cases", N_("Cases"))
PAGE_SIZE = 25
OVERVIEW_SIZE = 5


def case_rows(items: list[dict]) -> list[dict]:
    """List lines with their labels translated."""
    return [{**case, "status_label": label(CASE_STATUSES, case["status"]),
             "opened_by_label": label(OPENED_BY, case["opened_by"]),
             "reason_label": label(REASONS, case["reason_category"]) if case.get("reason_category") else "—"}
            for case in items]


@bp.get("/hr/")
@signed_in("hr")
def hr_home():
    """HR's overview: the newest open cases, the help lines agents see, and the organization's teams."""
    org = fetch("/org")
    cases = fetch("/counseling/cases", {"status": "open", "limit": OVERVIEW_SIZE, "purpose": PURPOSE})
    return render("console/hr/home.html", org=org, teams=fetch("/teams")["items"], cases=case_rows(cases["items"]),
                  more_cases=bool(cases["next_cursor"]), resources=fetch("/support")["resources"])


@bp.get("/hr/cases")
@signed_in("hr")
def hr_cases():
    """The cases HR may see, newest first, a page at a time, filtered by status."""
    status = request.args.get("status", "")
    status = status if status in CASE_STATUSES else ""
    cursor = request.args.get("cursor", "")
    page = fetch("/counseling/cases", {"status": status, "cursor": cursor, "limit": PAGE_SIZE, "purpose": PURPOSE})
    return render("console/hr/cases.html", cases=case_rows(page["items"]), next_cursor=page["next_cursor"],
                  status=status, paged=bool(cursor),
                  status_options=[("", gettext("Every case"))] + [(k, gettext(v)) for k, v in CASE_STATUSES.items()])
