"""What every console page shares: the API client, the signed-in check, navigation, rendering and API errors."""
from __future__ import annotations

from functools import wraps
from urllib.parse import quote

from flask import current_app, flash, g, redirect, render_template, request, url_for

from api.console import state
from api.console.client import ApiClient, ApiResult
from api.console.i18n import LANGUAGE_NAMES, N_, current_language, gettext, resolve_language

# Each role's pages in the header, in order; feature modules add theirs with ``add_nav``.
NAV: dict[str, list[tuple[str, str]]] = {"admin": [], "supervisor": [], "hr": []}
# The page each role lands on after signing in.
HOME: dict[str, str] = {}
STATUS_TITLES = {
    400: N_("The request could not be understood"),
    401: N_("Please sign in again"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("That conflicts with what is already stored"),
    413: N_("That was too large"),
    422: N_("Some values need correcting"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is briefly unavailable"),
}

# Messages the API puts next to fields, translated when the console shows them (others stay as the API wrote them).
API_MESSAGES = (
    N_("Missing data for required field."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Length must be between 1 and 200."),
    N_("Length must be between 10 and 200."),
    N_("Must be greater than or equal to 8 and less than or equal to 1000."),
    N_("Must be greater than or equal to 1 and less than or equal to 10."),
    N_("Must be greater than or equal to 30 and less than or equal to 3650."),
    N_("Not an IANA time zone name (for example Asia/Shanghai)."),
    N_("This user is not a supervisor."),
    N_("A user with this e-mail already exists."),
    N_("No such team."),
    N_("No such user."),
    N_("Your role may not do this."),
)


class ApiError(Exception):
    """An API answer a page cannot show; it becomes a readable error page (401: back to sign-in)."""

    def __init__(self, result: ApiResult) -> None:
        super().__init__(result.status)
        self.result = result


def add_nav(role: str, endpoint: str, label: str, home: bool = False) -> None:
    """Put a page in the role's navigation (and make it the role's landing page)."""
    NAV[role].append((endpoint, label))
    if home:
        HOME[role] = endpoint


def api() -> ApiClient:
    """This request's API client, acting as the signed-in user (or as nobody)."""
    if "console_api" not in g:
        g.console_api = ApiClient(current_app._get_current_object(), state.SessionTokens(), language=g.console_lang,
                                  remote_addr=request.remote_addr or "-", request_id=g.get("request_id", ""),
                                  base_url=request.host_url)
    return g.console_api


def segment(value: str) -> str:
    """A URL value made safe as one path segment of an API call (no "?", "/" or "#" smuggled in)."""
    return quote(value, safe="")


def fetch(path: str, query: dict | None = None):
    """GET an API resource's JSON, or raise ApiError for the page to show."""
    result = api().get(path, query)
    if not result.ok:
        raise ApiError(result)
    return result.body


def signed_in(*roles: str):
    """The page needs a console sign-in (loads ``g.me`` from GET /me); with ``roles``, one of them."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not state.is_signed_in():
                return to_sign_in()
            me = api().get("/me")
            if me.status == 401:
                return to_sign_in(gettext("Your session has ended. Please sign in again."))
            if not me.ok:
                raise ApiError(me)
            g.me = me.body
            g.console_lang = resolve_language(state.language(), request.headers.get("Accept-Language"),
                                              g.me.get("locale"))
            if g.me["role"] not in HOME:
                # An agent signed in only to reach the agents' page; anywhere else the sign-in ends.
                api().sign_out()
                return to_sign_in()
            if roles and g.me["role"] not in roles:
                return error_page(403, gettext("This page is not part of your role's console."))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def to_sign_in(message: str | None = None):
    """Back to the sign-in form (returning here afterwards for a page the user was reading)."""
    state.end()
    if message:
        flash(message, "info")
    reading = request.method == "GET" and request.endpoint not in ("console.index", None)
    target = request.full_path.rstrip("?") if reading else None
    return redirect(url_for("console.index", next=target))


def render(template: str, http_status: int = 200, /, **context):
    """Render a console template with what every page shows: the user, navigation, languages, CSRF token."""
    me = g.get("me")
    shared = {
        "me": me,
        "here": request.full_path.rstrip("?") if request.method == "GET" else url_for("console.index"),
        "active": context.pop("active", request.endpoint),
        "nav": NAV.get(me["role"], []) if me else [],
        "lang": current_language(),
        "languages": LANGUAGE_NAMES,
        "csrf_token": state.csrf_token,
    }
    return render_template(template, **shared, **context), http_status


def error_page(status: int, detail: str = ""):
    """A readable error page; never a stack trace."""
    title = gettext(STATUS_TITLES.get(status, STATUS_TITLES[500 if status >= 500 else 400]))
    return render("console/error.html", status, status=status, title=title, detail=detail)


def api_failure(result: ApiResult):
    """The page's answer to an API error it cannot show next to a form."""
    if result.status == 401:
        return to_sign_in(gettext("Your session has ended. Please sign in again."))
    if result.status >= 500 or not result.detail:
        return error_page(result.status if result.status >= 400 else 500)
    return error_page(result.status, gettext(result.detail))


def form_errors(result: ApiResult) -> dict[str, list[str]]:
    """Field errors for the form (translated where the catalog knows the message), plus "_form" for the rest."""
    errors = {field: [gettext(m) for m in messages] for field, messages in result.field_errors().items()}
    general = errors.pop("_schema", [])
    if result.detail and (result.status != 422 or not errors):
        general.insert(0, gettext(result.detail))
    if general:
        errors["_form"] = general
    return errors


def form_failed(result: ApiResult) -> bool:
    """Whether this API answer belongs next to the form (bad input or a conflict) rather than on an error page."""
    return result.status in (400, 409, 422, 429)
