"""The one place the service reads the wall clock (tests pin it with time-machine)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(timezone.utc)


# The window every time a client reports (a diary entry's occurred_at, an assessment's completed_at, a call event):
# an offline phone may report up to 30 days late; a device clock may run up to 5 minutes fast.
REPORTED_PAST = timedelta(days=30)
REPORTED_FUTURE = timedelta(minutes=5)
REPORTED_WINDOW_TEXT = "within the last 30 days and at most 5 minutes ahead of the server's clock"


def reported_time_error(moment: datetime, now: datetime) -> str | None:
    """Why a client-reported time falls outside the window, or None when it is inside."""
    if moment < now - REPORTED_PAST:
        return "Must lie within the last 30 days."
    if moment > now + REPORTED_FUTURE:
        return "Must not lie more than 5 minutes in the future."
    return None
