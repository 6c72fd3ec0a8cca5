"""The console's Chinese catalog covers every message it shows, with the same placeholders."""
from __future__ import annotations

import re

from api.console.i18n import CATALOGS
from tests.console.catalog import module_messages, template_messages

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _messages(app) -> set[str]:
    return template_messages(app.jinja_env) | module_messages()


def test_every_console_message_has_a_chinese_translation(app):
    missing = sorted(_messages(app) - set(CATALOGS["zh-CN"]))
    assert not missing, missing


def test_the_catalog_has_no_messages_the_console_no_longer_uses(app):
    stale = sorted(set(CATALOGS["zh-CN"]) - _messages(app))
    assert not stale, stale


def test_translations_keep_the_placeholders(app):
    for message, translation in CATALOGS["zh-CN"].items():
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translation)), message
        assert translation.strip(), message


def test_the_extraction_finds_messages_in_templates_and_modules(app):
    messages = _messages(app)
    assert "Sign in" in messages  # a template
    assert "Your session expired. Please sign in again." in messages  # a module (gettext)
    assert "API keys" in messages  # a module (N_)
