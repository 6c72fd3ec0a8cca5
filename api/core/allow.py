"""``Allow``: the methods of the one route that serves a path."""
from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException


def allowed_methods(path: str) -> set[str]:
    """The methods of the one route that serves ``path`` (static routes win over ``/<id>`` siblings).

    Werkzeug's own answer unites every rule the path matches, so ``/diary/batch`` (POST) would also advertise the GET,
    PATCH and DELETE of ``/diary/<entry_id>``: Allow on OPTIONS and on a 405 names this route's methods only.
    """
    adapter = current_app.create_url_adapter(request)
    try:
        rule, _ = adapter.match(path, method="OPTIONS", return_rule=True)
    except HTTPException:
        return set(adapter.allowed_methods(path))
    return set(rule.methods or ())
