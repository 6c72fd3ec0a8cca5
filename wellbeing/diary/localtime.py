"""Local wall-clock time inside SQL, DST-correct, on SQLite and PostgreSQL alike.

Neither database is asked to know time zones (SQLite cannot). Instead the window being grouped is cut
into stretches of one UTC offset each (found with zoneinfo), and the query turns each UTC instant into
local seconds with a CASE over those stretches. Day, hour, ISO weekday and week are integer arithmetic
on the local seconds, so a 23- or 25-hour DST day groups exactly as the agent lived it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

EPOCH = date(1970, 1, 1)
DAY = 86_400
_STEP = timedelta(hours=6)


class epoch_seconds(FunctionElement):
    """Whole seconds since 1970-01-01 UTC of a UTC datetime column."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # UTCDateTime stores naive UTC text on SQLite; strftime('%s') reads it as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@dataclass(frozen=True)
class Stretch:
    """From `starts` (epoch seconds, UTC) until the next stretch, local time is UTC + `offset` seconds."""

    starts: int
    offset: int


def offset_stretches(tz: ZoneInfo, start: datetime, end: datetime) -> list[Stretch]:
    """The UTC offsets of `tz` between two instants, one stretch per offset, transitions exact to the second."""
    stretches = [Stretch(_epoch(start), _offset(tz, start))]
    moment = start
    while moment < end:
        following = min(moment + _STEP, end)
        if _offset(tz, following) != stretches[-1].offset:
            change = _transition(tz, moment, following)
            stretches.append(Stretch(_epoch(change), _offset(tz, change)))
        moment = following
    return stretches


def local_seconds(column, stretches: list[Stretch]) -> ColumnElement:
    """SQL: the column's instant as seconds since 1970-01-01 on the local wall clock."""
    epoch = epoch_seconds(column)
    if len(stretches) == 1:
        return epoch + literal(stretches[0].offset)
    whens = [(epoch < later.starts, literal(earlier.offset)) for earlier, later in zip(stretches, stretches[1:])]
    return epoch + case(*whens, else_=literal(stretches[-1].offset))


def local_day(seconds: ColumnElement) -> ColumnElement:
    """SQL: the local day as days since 1970-01-01 (seconds are positive, so integer division floors)."""
    return seconds // DAY


def local_hour(seconds: ColumnElement) -> ColumnElement:
    """SQL: the local hour 0..23."""
    return (seconds % DAY) // 3600


def day_date(day_number: int) -> date:
    """A day number (days since 1970-01-01) as a date."""
    return EPOCH + timedelta(days=int(day_number))


def _offset(tz: ZoneInfo, moment: datetime) -> int:
    return int(moment.astimezone(tz).utcoffset().total_seconds())


def _epoch(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(seconds=1))


def _transition(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first whole second at which the offset of `after` holds (bisection over epoch seconds)."""
    target = _offset(tz, after)
    low, high = _epoch(before), _epoch(after)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(tz, _instant(middle)) == target:
            high = middle
        else:
            low = middle
    return _instant(high)


def _instant(seconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)
