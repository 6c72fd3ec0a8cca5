"""Cursor pagination for list endpoints: ``?limit=&cursor=`` in, ``{items, next_cursor}`` out."""
from __future__ import annotations

import base64
import functools
import json
from datetime import datetime

import marshmallow as ma
from marshmallow import fields, validate

from api.core.errors import HttpProblem
from api.core.schemas import RequestSchema
from wellbeing.core.pagination import Page


class CursorArgsSchema(RequestSchema):
    """``limit`` (1..500, default 50) and an opaque ``cursor`` from a previous page."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))


def encode_cursor(key: tuple) -> str:
    """An opaque cursor for the sort key of the last row of a page."""
    sort_value, id_value = key
    if isinstance(sort_value, datetime):
        sort_value = {"t": sort_value.isoformat()}
    raw = json.dumps([sort_value, id_value], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple | None:
    """The sort key inside a cursor; a cursor that was not made by us is a 422."""
    if not cursor:
        return None
    try:
        sort_value, id_value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(sort_value, dict):
            sort_value = datetime.fromisoformat(sort_value["t"])
        if not isinstance(id_value, (str, int)):
            raise ValueError
        return sort_value, id_value
    except (ValueError, TypeError, KeyError):
        raise HttpProblem(422, "Unprocessable content", "The cursor is not valid.",
                          errors={"query": {"cursor": ["Invalid cursor."]}}) from None


def page_body(page: Page) -> dict:
    """The list body of a page."""
    return {"items": page.items, "next_cursor": encode_cursor(page.next_key) if page.next_key else None}


@functools.cache
def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """A ``{items: [item], next_cursor}`` schema for an item schema (one class per item type)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return ma.Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.String(allow_none=True)},
        name=name,
    )
