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
    """DefaultJSONProvider with orjson for compact dumps and for loads; anything else falls back to json."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        if set(kwargs) - {"separators"}:  # indent, a custom default, ...: the standard library's options
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=_default, option=OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        if kwargs:
            return super().loads(s, **kwargs)
        return orjson.loads(s)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj, default=_default, option=OPTIONS) + b"\n",
                                        mimetype=self.mimetype)
