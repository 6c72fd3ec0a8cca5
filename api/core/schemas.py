"""Fields and base schemas every resource shares: strict input, UTC output, no NUL bytes."""
from __future__ import annotations

from datetime import timezone

import marshmallow as ma
from marshmallow import fields, validate

from wellbeing.core.clock import REPORTED_WINDOW_TEXT
from wellbeing.core.timezones import is_valid_timezone


def _bad_text(value: str) -> bool:
    """NUL, or an unpaired surrogate (JSON can carry one; UTF-8, encryption and the database cannot)."""
    if "\x00" in value:
        return True
    if value.isascii():  # most text (ids, keys, times): no surrogate possible, no encoding needed
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _find_nul(value) -> str | None:
    """The dotted path of the first bad text in a JSON value (None when it has none)."""
    path = _bad_path(value)
    return None if path is None else ".".join(str(key) for key in reversed(path))


def _bad_path(value) -> list | None:
    # The path is built only for a hit, innermost key first: a clean 500-entry batch builds no strings.
    if isinstance(value, str):
        return [] if _bad_text(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(item, str):
            if _bad_text(item):
                return [key]
        elif isinstance(item, (dict, list)):
            found = _bad_path(item)
            if found is not None:
                found.append(key)
                return found
    return None


def rule_violation(code: str, message: str | dict, field: str | None = "_schema") -> ma.ValidationError:
    """A rule across fields that JSON Schema cannot state (an end after its start, at least one change ...).

    Raise it from a ``@validates_schema``: the 422 problem then carries ``code``, which the document's description
    of the field names, so a client (and the contract fuzzing) can tell a named rule from a malformed request.
    """
    from flask import g, has_request_context

    if has_request_context():
        g.problem_code = code
    return ma.ValidationError(message) if field is None else ma.ValidationError(message, field)


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: marshmallow's Boolean would also take 0, 1, "yes", "on" ... which the
    document (``type: boolean``) does not allow."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class RequestSchema(ma.Schema):
    """Base of every request body and query schema: unknown fields, NUL characters and lone surrogates are refused.

    Its fields take exactly what the document says: a plain ``fields.Boolean`` is made a StrictBoolean here.
    """

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if type(field_obj) is fields.Boolean:
            field_obj.__class__ = StrictBoolean
        super().on_bind_field(field_name, field_obj)

    @ma.pre_load
    def _refuse_nul(self, data, **kwargs):
        where = _find_nul(data) if isinstance(data, dict) else None
        if where is not None:
            raise ma.ValidationError({where.split(".")[0]: ["NUL characters and unpaired surrogates are not allowed."]})
        return data


class UTCDateTime(fields.AwareDateTime):
    """RFC 3339 with an offset on input; UTC with a ``Z`` on output."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs).astimezone(timezone.utc)
        except OverflowError:
            # 0001-01-01T00:00+01:00 is valid RFC 3339 but has no UTC instant Python can hold.
            raise self.make_error("invalid", input=value, obj_type="datetime") from None


def ReportedTime(code: str, *, default_now: bool = False, **kwargs) -> UTCDateTime:
    """A time the client reports (when something happened): RFC 3339, inside the service's reporting window.

    The window is relative to the server's clock, which JSON Schema cannot express: the document states it in
    the description and names the problem code; the domain (wellbeing.core.clock.reported_time_error) enforces it.
    """
    description = (f"RFC 3339 with an offset, {REPORTED_WINDOW_TEXT}"
                   f"{'; default now' if default_now else ''}. Outside the window: 422 with code {code}.")
    metadata = {"description": description, **kwargs.pop("metadata", {})}
    return UTCDateTime(metadata=metadata, **kwargs)


TIMEZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"


class TimeZoneName(fields.String):
    """An IANA time zone name such as ``Asia/Shanghai``."""

    def __init__(self, **kwargs) -> None:
        # The ~600 names are not an enum in the document (generated clients choke on GMT+0 / GMT-0 / GMT0): the
        # pattern says their shape, and a name the zone database lacks is a 422 with code unknown_timezone.
        metadata = {"example": "Asia/Shanghai", "pattern": TIMEZONE_PATTERN,
                    "description": "An IANA time zone name; one the zone database lacks: 422, code unknown_timezone"}
        super().__init__(validate=self._check, metadata=metadata, **kwargs)

    @staticmethod
    def _check(value: str) -> None:
        if not is_valid_timezone(value):
            raise rule_violation("unknown_timezone", "Not an IANA time zone name (for example Asia/Shanghai).", None)


def ClientId(**kwargs) -> fields.UUID:
    """An optional client-chosen UUID that makes the create idempotent."""
    return fields.UUID(
        load_default=None,
        metadata={"description": "Client-chosen UUID; repeating the create with it replays instead of duplicating"},
        **kwargs,
    )


Name = lambda **kw: fields.String(validate=validate.Length(min=1, max=200), **kw)  # noqa: E731
Locale = lambda **kw: fields.String(validate=validate.OneOf(["en", "zh-CN"]), **kw)  # noqa: E731
