"""Flask's JSON provider on orjson: the same output as Flask's default provider (sorted keys, compact, dates as
HTTP dates, Decimal and UUID as strings), serialized in C. Every JSON response of the API passes through it."""
from __future__ import annotations

import typing as t

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider, _default

# Sorted keys as Flask's default; datetimes passed to `_default`, which writes them as Flask does (HTTP dates).
OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class OrjsonProvider(DefaultJSONProvider):
    """DefaultJSONProvider with orjson for compact dumps (responses).

    What orjson refuses and the standard library takes (integers beyond 64 bits, lone surrogates, options such as
    indent) goes to the standard library, so the answers stay exactly those of Flask's provider; only the common
    case is faster. Parsing stays with the standard library (orjson reads integers beyond 64 bits as floats)."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        if not set(kwargs) - {"separators"}:
            try:
                return orjson.dumps(obj, default=_default, option=OPTIONS).decode()
            except TypeError:  # orjson.JSONEncodeError is a TypeError
                pass
        return super().dumps(obj, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=_default, option=OPTIONS) + b"\n"
        except TypeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body, mimetype=self.mimetype)
