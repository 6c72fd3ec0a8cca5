"""Domain exceptions: what went wrong, in the domain's words; api/core/errors.py gives each kind its HTTP status."""
from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    `fields` names the offending input fields with their messages (``{"answers": ["..."]}``); `code` is a stable
    machine-readable name for the problem (``"edit_conflict"``).
    """

    def __init__(self, detail: str, *, fields: Mapping[str, Sequence[str] | Mapping] | None = None,
                 code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = dict(fields) if fields else None
        self.code = code


class NotFound(DomainError):
    """Missing, or not the caller's: the two are never told apart."""


class Forbidden(DomainError):
    """Authenticated, but this role may not do this."""


class Conflict(DomainError):
    """The request clashes with stored state (an id reused with another body, an impossible transition).

    `current` describes the stored state the request lost to, when the caller can act on it; `extensions` are
    further members of the problem itself (``{"available_from": ...}``: when the request would succeed).
    """

    def __init__(self, detail: str, *, code: str | None = None, current: Mapping | None = None,
                 extensions: Mapping | None = None) -> None:
        super().__init__(detail, code=code)
        self.current = dict(current) if current else None
        self.extensions = dict(extensions) if extensions else None


class Invalid(DomainError):
    """A well-formed request whose values break a domain rule."""


class Unauthorized(DomainError):
    """No or bad credentials."""


class Throttled(DomainError):
    """Too many attempts; retry after the given number of seconds."""

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency (the database) does not answer; retry shortly."""

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
