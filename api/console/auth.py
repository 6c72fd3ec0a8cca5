"""Signing in and out of the console, choosing its language, and the page agents are sent to."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, request, url_for

from api.console import account, bp, state
from api.console.display import safe_next
from api.console.i18n import LANGUAGE_NAMES, gettext
from api.console.pages import HOME, ApiError, api, api_failure, render
from wellbeing import demo
from wellbeing.core.clock import utcnow


def demo_logins() -> list[dict[str, str]]:
    """The demo organization's fixed logins (wellbeing/demo.py), for the landing page of ``make run``."""
    domain = "@" + demo.DEMO_DOMAIN
    logins = [{"role": "admin", "email": "admin" + domain, "note": ""},
              {"role": "hr", "email": "hr" + domain, "note": ""}]
    for index, size in enumerate(demo.DEFAULT_TEAM_SIZES):
        note = gettext("Leads %(team)s (%(size)s agents)", team=demo.TEAM_NAMES[index], size=size)
        logins.append({"role": "supervisor", "email": f"supervisor{index + 1}{domain}", "note": note})
    logins.append({"role": "agent", "email": "agent1-1" + domain, "note": gettext("Sees the agents' page")})
    return logins


def sign_in_page(status: int = 200, email: str = "", errors: dict | None = None, org: str = "",
                 sso_errors: dict | None = None):
    """The sign-in form and "Sign in with your organization" (with the demo logins when the console lists them)."""
    show_demo = current_app.config["CONSOLE_SHOW_DEMO_LOGINS"]
    return render("console/sign_in.html", status, email=email, errors=errors or {}, org=org, sso_errors=sso_errors or {},
                  next=safe_next(request.values.get("next")),
                  demo_logins=demo_logins() if show_demo else None, demo_password=demo.DEMO_PASSWORD)


@bp.get("/")
def index():
    """The sign-in form, or the signed-in user's home page."""
    if state.is_signed_in():
        me = api().get("/me")
        if me.ok and me.body["role"] in HOME:
            return redirect(url_for(HOME[me.body["role"]]))
        if not me.ok and me.status != 401:
            raise ApiError(me)
        api().sign_out()
        state.end()
    return sign_in_page()


@bp.get("/sign-in")
def sign_in_get():
    """The sign-in form lives at the console's front page (a bookmarked or reloaded form URL lands there)."""
    return redirect(url_for(".index", next=safe_next(request.args.get("next"))))


@bp.post("/sign-in")
def sign_in():
    """Sign in through POST /auth/token; agents are sent to the phone app instead."""
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if not email or not password:
        errors = {name: [gettext("Please fill this in.")] for name, value in (("email", email), ("password", password))
                  if not value}
        return sign_in_page(422, email, errors)
    if state.is_signed_in():
        api().sign_out()
    state.begin(utcnow().timestamp())
    result = api().sign_in(email, password)
    if result.status in (401, 422):
        return sign_in_page(401, email, {"_form": [gettext("That e-mail and password do not match an account.")]})
    if result.status == 403 and (result.body or {}).get("code") == "password_change_required":
        state.end()
        return account.first_password_page(email, 403)
    if result.status == 429:
        minutes = max(1, -(-int(result.headers.get("Retry-After", "60")) // 60))
        message = gettext("Too many sign-in attempts. Try again in %(minutes)s minutes.", minutes=minutes)
        return sign_in_page(429, email, {"_form": [message]})
    if not result.ok:
        return api_failure(result)
    me = api().get("/me")
    if not me.ok:
        return api_failure(me)
    if me.body["role"] not in HOME:
        # The agents' page reads their help lines and privacy budget with this sign-in, then ends it.
        return redirect(url_for(".for_agents"))
    return redirect(safe_next(request.form.get("next")) or url_for(HOME[me.body["role"]]))


@bp.post("/sign-out")
def sign_out():
    """Sign out: the API ends the sign-in (POST /auth/logout) and the session forgets it."""
    if state.is_signed_in():
        api().sign_out()
    state.end()
    flash(gettext("You have signed out."), "success")
    return redirect(url_for(".index"))


@bp.post("/language")
def language():
    """Switch the console's language (kept for this browser session)."""
    chosen = request.form.get("lang")
    if chosen in LANGUAGE_NAMES:
        state.choose_language(chosen)
        g.console_lang = chosen
    return redirect(safe_next(request.form.get("next")) or url_for(".index"))


@bp.get("/for-agents")
def for_agents():
    """Agents work in the phone app; the console tells them so, with their help lines (GET /support) and what the
    privacy promise of team trends has cost them this month (GET /me/visibility) when they just signed in, and ends
    that sign-in: agents are never kept signed in to the console."""
    support = budget = None
    if state.is_signed_in():
        me = api().get("/me")
        if me.ok and me.body["role"] not in HOME:
            result = api().get("/support")
            support = result.body if result.ok else None
            visibility = api().get("/me/visibility")
            if visibility.ok and visibility.body.get("budget"):
                month = visibility.body["budget"][-1]
                budget = {"spent": _epsilon(month["epsilon_spent"]), "limit": _epsilon(month["epsilon_limit"])}
            api().sign_out()
            state.end()
    return render("console/for_agents.html", support=support, budget=budget)


def _epsilon(value: float) -> str:
    """An epsilon as people read it: 3.0, 1.5, 0.38."""
    return f"{value:.1f}" if value * 10 == int(value * 10) else f"{value:.2f}"
