"""Calendar months and ISO weeks in the organization's time zone, and which of them are closed and due."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

GRACE = timedelta(days=1)  # late entries of the last day still land before the release


@dataclass(frozen=True)
class Period:
    """A month or an ISO week: local days [first, last] and the UTC instants [start, end) they cover."""

    granularity: str
    first: date
    last: date
    start: datetime
    end: datetime


def _instant(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(ZoneInfo("UTC"))


def next_month(day: date) -> date:
    """The first day of the month after `day`'s month."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month(first: date, tz: ZoneInfo) -> Period:
    """The calendar month starting on `first`."""
    following = next_month(first)
    return Period("month", first, following - timedelta(days=1), _instant(first, tz), _instant(following, tz))


def week(monday: date, tz: ZoneInfo) -> Period:
    """The ISO week starting on `monday`."""
    following = monday + timedelta(days=7)
    return Period("week", monday, following - timedelta(days=1), _instant(monday, tz), _instant(following, tz))


def is_due(period: Period, now: datetime, until: date | None) -> bool:
    """Closed for a grace day by `now`, and (when `until` is given) ending before that day."""
    return period.end + GRACE <= now and (until is None or period.last < until)


def due_months(since: datetime, now: datetime, tz: ZoneInfo, until: date | None) -> list[Period]:
    """Every due month from the one containing `since`."""
    first = since.astimezone(tz).date().replace(day=1)
    found = []
    while is_due(period := month(first, tz), now, until):
        found.append(period)
        first = next_month(first)
    return found


def due_weeks(since: datetime, now: datetime, tz: ZoneInfo, until: date | None) -> list[Period]:
    """Every due ISO week from the one containing `since`."""
    day = since.astimezone(tz).date()
    monday = day - timedelta(days=day.isoweekday() - 1)
    found = []
    while is_due(period := week(monday, tz), now, until):
        found.append(period)
        monday += timedelta(days=7)
    return found
