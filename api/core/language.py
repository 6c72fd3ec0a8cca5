"""The language of a response: Accept-Language, then the signed-in user's locale, then English."""
from __future__ import annotations

from flask import request
from flask_jwt_extended import current_user

from wellbeing.core.language import pick_language


def request_language() -> str:
    """The language to localize this response in (inside a login_required view)."""
    return pick_language(request.headers.get("Accept-Language"), current_user.locale)
