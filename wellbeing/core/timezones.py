"""IANA time zone names, validated against the zone database zoneinfo uses."""
from __future__ import annotations

import functools
import zoneinfo


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    """True for a real IANA zone name such as ``Asia/Shanghai`` (not a path, not an abbreviation)."""
    return name in _known()


def timezone_names() -> list[str]:
    """Every name is_valid_timezone accepts, sorted (the OpenAPI document lists them)."""
    return sorted(_known())
