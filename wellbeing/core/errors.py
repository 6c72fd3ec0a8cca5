"""Domain exceptions; the API layer turns each into one problem+json status."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.code = code


class NotFound(DomainError):
    """Missing, or not the caller's: the two are never told apart."""

    status = 404
    title = "Not found"


class Forbidden(DomainError):
    """Authenticated, but this role may not do this."""

    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The request clashes with stored state (an id reused with another body, an impossible transition)."""

    status = 409
    title = "Conflict"


class Invalid(DomainError):
    """A well-formed request whose values break a domain rule."""

    status = 422
    title = "Unprocessable content"


class Unauthorized(DomainError):
    """No or bad credentials."""

    status = 401
    title = "Unauthorized"


class Throttled(DomainError):
    """Too many attempts; retry after the given number of seconds."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency (the database) does not answer; retry shortly."""

    status = 503
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
