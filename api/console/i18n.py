"""The console's two languages: English (the message ids themselves) and Simplified Chinese (a JSON catalog).

Templates call ``_("...")`` (Jinja's i18n extension, new-style: ``_("Hello %(name)s", name=x)``
escapes ``x``); Python code calls ``gettext`` the same way, and ``N_`` marks a message translated
later. tests/console/test_translations.py checks that every marked message has a Chinese translation.
"""
from __future__ import annotations

import json
from importlib import resources

from flask import Flask, g, has_app_context

from wellbeing.core.language import LANGUAGES, Language, pick_language

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh-CN": "简体中文"}
CATALOGS: dict[str, dict[str, str]] = {
    "zh-CN": json.loads(resources.files("api.console").joinpath("translations/zh-CN.json").read_text("utf-8")),
}


def current_language() -> Language:
    """The language of the page being rendered (English outside a console request)."""
    return g.get("console_lang", "en") if has_app_context() else "en"


def gettext(message: str, **values) -> str:
    """The message in the current language, formatted with ``values`` when given."""
    text = CATALOGS.get(current_language(), {}).get(message, message)
    return text % values if values else text


def ngettext(singular: str, plural: str, number: int) -> str:
    """The singular or plural message, unformatted (Jinja formats it with ``num``); both are catalog keys."""
    return gettext(singular if number == 1 else plural)


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; ``gettext`` translates it where it is shown."""
    return message


def resolve_language(chosen: str | None, accept_language: str | None, user_locale: str | None) -> Language:
    """An explicit choice wins; otherwise the browser's Accept-Language, then the user's locale, then English."""
    if chosen in LANGUAGES:
        return chosen  # type: ignore[return-value]
    return pick_language(accept_language, user_locale)


def install(app: Flask) -> None:
    """Give the app's templates ``_`` and ``ngettext`` (new-style: variables are escaped, then formatted)."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
