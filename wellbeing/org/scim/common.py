"""What SCIM users and groups share: the SCIM error, filters, paging and the patch step."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError
from scim2_models import Context, PatchOp, Resource, SCIMException

from wellbeing.core.errors import DomainError
from wellbeing.org.scim.resources import POLICY

R = TypeVar("R", bound=Resource)
_EQ = re.compile(r'^\s*([A-Za-z][\w.:$-]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
DEFAULT_COUNT = 100


class ScimError(DomainError):
    """A refusal in SCIM's own words (RFC 7644 3.12): an HTTP status and, for a 400 or 409, a scimType."""

    def __init__(self, detail: str, status: int, scim_type: str | None = None) -> None:
        super().__init__(detail, code=scim_type)
        self.status = status
        self.scim_type = scim_type


def not_found(kind: str) -> ScimError:
    return ScimError(f"No such {kind}.", 404)


def parse_filter(text: str | None, attributes: set[str]) -> tuple[str, str] | None:
    """``attribute eq "value"`` as (attribute in lower case, value); anything else is invalidFilter."""
    if text is None:
        return None
    match = _EQ.match(text)
    if match is None or match.group(1).lower() not in attributes:
        raise ScimError(f"Only filters of the form 'attribute eq \"value\"' on {', '.join(sorted(attributes))} are "
                        "supported.", 400, "invalidFilter")
    return match.group(1).lower(), re.sub(r"\\(.)", r"\1", match.group(2))


def page(start_index: int | None, count: int | None, maximum: int) -> tuple[int, int]:
    """RFC 7644 3.4.2.4: startIndex below 1 means 1; a negative count means 0; at most ``maximum``."""
    start = max(1, start_index or 1)
    wanted = DEFAULT_COUNT if count is None else max(0, count)
    return start, min(wanted, maximum)


def validate(model: type[R], body, context: Context) -> R:
    """A request body as a resource of ``model``; a payload that does not fit is invalidValue (or its scimType)."""
    if not isinstance(body, dict):
        raise ScimError("The body must be a JSON object.", 400, "invalidSyntax")
    try:
        return model.model_validate(body, scim_ctx=context, scim_policy=POLICY)
    except SCIMException as error:
        raise ScimError(str(error), 400, getattr(error, "scim_type", None) or "invalidValue") from None
    except ValidationError as error:
        raise ScimError(_first_error(error), 400, _scim_type(error)) from None


def _scim_type(error: ValidationError) -> str:
    for detail in error.errors():
        ctx = detail.get("ctx") or {}
        scim = ctx.get("error")
        if isinstance(scim, SCIMException) and getattr(scim, "scim_type", None):
            return scim.scim_type
    return "invalidValue"


def _first_error(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail.get("loc", ())) or "body"
    return f"{where}: {detail.get('msg', 'invalid')}"


def apply_patch(model: type[R], resource: R, body, replace: Callable[[R], object]):
    """Apply a PatchOp to the stored resource and store the result through ``replace`` (one validation path)."""
    operation = validate(PatchOp[model], body, Context.RESOURCE_PATCH_REQUEST)
    try:
        operation.patch(resource, scim_policy=POLICY)
    except SCIMException as error:
        raise ScimError(str(error), 400, getattr(error, "scim_type", None) or "invalidValue") from None
    except (ValidationError, ValueError, TypeError) as error:
        raise ScimError(str(error).splitlines()[0], 400, "invalidValue") from None
    return replace(resource)
