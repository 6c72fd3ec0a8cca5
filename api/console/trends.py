"""Trend tables shared by the supervisor's team pages and the organization trends page (GET /org/trends)."""
from __future__ import annotations

from flask import request

from api.console import bp
from api.console.i18n import N_, gettext
from api.console.pages import add_nav, fetch, render, signed_in
from wellbeing.trends.privacy.release import METRICS, MIN_NOISY_COUNT

METRIC_LABELS = {
    "burnout_risk": N_("Mean burnout risk (0–100)"),
    "participation": N_("Participation"),
    "high_risk_share": N_("Share at high risk"),
}
STATUS_LABELS = {
    "released": N_("Published"),
    "pooled": N_("Pooled"),
    "suppressed": N_("Not shown"),
}
STATUS_EXPLANATIONS = {
    "pooled": N_("The team had fewer consenting people than the organization's minimum, so its people were counted "
                 "together with other small teams and it has no number of its own."),
    "suppressed": N_("Too few people contributed, the team is too small for this figure, or the privacy budget was "
                     "used up, so nothing was published."),
}
add_nav("hr", "console.org_trends", N_("Organization trends"))
add_nav("admin", "console.org_trends", N_("Organization trends"))


def metric_label(metric: str) -> str:
    return gettext(METRIC_LABELS[metric])


def figure(metric: str, point: dict) -> str:
    """A published value with its margin, as people read it ("62.4 ± 3.1", "45% ± 6%", "10-25%"); "—" otherwise."""
    value, margin = point.get("value"), point.get("margin")
    if point.get("status") != "released" or value is None:
        return "—"
    if metric == "participation":
        return f"{value:.0%}" + (f" ± {margin:.0%}" if margin is not None else "")
    if metric == "burnout_risk":
        return f"{value:.1f}" + (f" ± {margin:.1f}" if margin is not None else "")
    return str(value)


def rows(metric: str, series: list[dict]) -> list[dict]:
    """The table rows of a series, newest first, each with its figure and a plain-words status."""
    return [{**point, "figure": figure(metric, point), "status_label": gettext(STATUS_LABELS[point["status"]]),
             "explanation": gettext(STATUS_EXPLANATIONS[point["status"]]) if point["status"] in STATUS_EXPLANATIONS
             else ""} for point in reversed(series)]


def protection_facts(roster_min: int, epsilon: float) -> dict:
    """The numbers behind "how these numbers protect your team" (the same facts as GET /me/visibility)."""
    return {"roster_min": roster_min, "min_count": MIN_NOISY_COUNT, "epsilon": f"{epsilon:g}"}


def chosen_metric() -> str:
    metric = request.args.get("metric", METRICS[0])
    return metric if metric in METRICS else METRICS[0]


@bp.get("/trends")
@signed_in("hr", "admin")
def org_trends():
    """The organization's trends: every team's series, the pooled cell's and the whole organization's."""
    metric = chosen_metric()
    body = fetch("/org/trends", {"metric": metric})
    groups = [{**group, "rows": rows(metric, group["series"])} for group in body["groups"]]
    return render("console/trends.html", metric=metric, metrics=[(m, metric_label(m)) for m in METRICS],
                  metric_name=metric_label(metric), groups=groups, organization=rows(metric, body["organization"]),
                  facts=protection_facts(body["roster_min"], body["epsilon_per_month"]))
