"""Cursor pagination for list endpoints: ``?limit=&cursor=`` in, ``{items, next_cursor}`` out.

Cursors are signed (itsdangerous, HMAC-SHA1 over ``SECRET_KEY``, salted with the endpoint): a client can only hand
back a cursor this service made for this list. A tampered, truncated or foreign cursor is a 400 problem+json,
never a query with whatever the client put in it.
"""
from __future__ import annotations

import functools
from datetime import datetime

import marshmallow as ma
from flask import current_app, request
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import fields, validate

from api.core.errors import HttpProblem
from api.core.schemas import RequestSchema
from wellbeing.core.pagination import Page

# base64url(JSON) "." base64url(signature): what encode_cursor makes, and what the document promises.
CURSOR_PATTERN = r"^\.?[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{20,100}$"
CURSOR_MAX = 500


class Cursor(fields.String):
    """The opaque ``next_cursor`` of a previous page (format checked here; signature checked by decode_cursor)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            load_default=None,
            validate=[validate.Length(max=CURSOR_MAX), validate.Regexp(CURSOR_PATTERN, error="Invalid cursor.")],
            metadata={"description": "next_cursor of the previous page, exactly as received (signed; a cursor that "
                                     "was not made by this service for this list is a 400)"},
            **kwargs,
        )


class CursorArgsSchema(RequestSchema):
    """``limit`` (1..500, default 50) and an opaque ``cursor`` from a previous page."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = Cursor()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"wellbeing.cursor:{request.endpoint}")


def encode_cursor(key: tuple) -> str:
    """A signed, opaque cursor for the sort key of the last row of a page."""
    sort_value, id_value = key
    if isinstance(sort_value, datetime):
        sort_value = {"t": sort_value.isoformat()}
    return _serializer().dumps([sort_value, id_value])


def _bad_cursor() -> HttpProblem:
    return HttpProblem(400, "Bad request", "The cursor is not valid: pass next_cursor of the previous page unchanged.",
                       errors={"query": {"cursor": ["Invalid cursor."]}}, code="invalid_cursor")


def decode_cursor(cursor: str | None) -> tuple | None:
    """The sort key inside a cursor; a cursor that was not made by us (for this list) is a 400."""
    if not cursor:
        return None
    try:
        sort_value, id_value = _serializer().loads(cursor)
        if isinstance(sort_value, dict):
            sort_value = datetime.fromisoformat(sort_value["t"])
        if not isinstance(sort_value, (str, int, float, datetime)) or isinstance(sort_value, bool):
            raise ValueError
        if not isinstance(id_value, (str, int)) or isinstance(id_value, bool):
            raise ValueError
        return sort_value, id_value
    except (BadData, ValueError, TypeError, KeyError):
        raise _bad_cursor() from None


def page_body(page: Page) -> dict:
    """The list body of a page."""
    return {"items": page.items, "next_cursor": encode_cursor(page.next_key) if page.next_key else None}


@functools.cache
def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """A ``{items: [item], next_cursor}`` schema for an item schema (one class per item type)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return ma.Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema), required=True),
         "next_cursor": fields.String(allow_none=True, required=True,
                                      metadata={"description": "pass as ?cursor= for the next page; null on the last"})},
        name=name,
    )
