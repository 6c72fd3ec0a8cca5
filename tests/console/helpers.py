"""Driving the console with Flask's test client: a cookie jar per browser, CSRF tokens read from the page."""
from __future__ import annotations

import re

from tests.helpers import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def csrf_of(response) -> str:
    """The CSRF token in a rendered page."""
    found = _CSRF.search(response.get_data(as_text=True))
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def heading(response) -> str:
    """The page's <h1> text."""
    found = _H1.search(response.get_data(as_text=True))
    return found.group(1).strip() if found else ""


def text(response) -> str:
    """The page's HTML as text."""
    return response.get_data(as_text=True)


def browser(app):
    """A fresh test client: its own cookie jar, like a separate browser."""
    return app.test_client()


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    """Post the sign-in form the way a browser does (token from the sign-in page); returns the response."""
    token = csrf_of(client.get("/console/"))
    return client.post("/console/sign-in", data={"csrf_token": token, "email": email, "password": password, **extra})


def post_form(client, page_url: str, action: str, data: dict | None = None, **kwargs):
    """Load a page for its CSRF token, then post a form to ``action``."""
    token = csrf_of(client.get(page_url))
    return client.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)
