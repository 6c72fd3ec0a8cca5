"""The one place the service reads the wall clock (tests pin it with time-machine)."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(timezone.utc)
