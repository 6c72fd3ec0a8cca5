"""Reading the console's HTML forms into API request bodies (the API validates; the console only shapes)."""
from __future__ import annotations

import uuid

from flask import request


def text(name: str) -> str:
    """A posted field, trimmed ("" when absent)."""
    return request.form.get(name, "").strip()


def present(*names: str) -> dict[str, str]:
    """The named fields that were filled in (numbers stay text: the API parses and range-checks them)."""
    return {name: text(name) for name in names if text(name)}


def client_id() -> str | None:
    """The id the form was rendered with: posting the same form twice replays the create instead of repeating it."""
    return text("request_id") or None


def new_client_id() -> str:
    """A fresh id for a create form."""
    return str(uuid.uuid4())
