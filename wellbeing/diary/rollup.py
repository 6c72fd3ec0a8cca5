"""The diary's daily roll-up: each agent's entries summed per local day, dimension and key (table diary_rollups).

Insights over a year read ~one row per day and dimension instead of ~3,000 entries with their tags. The roll-up is
derived data, kept in step by every path that writes entries, in the same transaction (or the same statement):

| write                         | roll-up                                                               |
|-------------------------------|-----------------------------------------------------------------------|
| POST /diary (entries.py)      | added in the entry's own INSERT (a CTE on PostgreSQL)                  |
| POST /diary/batch             | the batch's sums added with its multi-row insert                       |
| PATCH /diary/{id}             | the old revision subtracted, the new one added                         |
| DELETE /diary/{id}            | subtracted                                                             |
| erasure (data.py)             | the agent's rows deleted                                               |
| retention purge (data.py)     | the purged entries subtracted (rows reaching zero are deleted)         |
| a new time zone (reactions)   | the agent's roll-up rebuilt in the new zone                            |

``flask diary-rollup rebuild`` recomputes it from the entries and ``flask diary-rollup check`` compares. Days and
hours are local to the agent's zone (zoneinfo, so DST days group as lived); every figure is an integer sum, so
adding and subtracting never drifts.

Settled days. An agent's local days before the current one change only when an entry is backdated, edited,
deleted, purged or erased, or the roll-up is rebuilt; each of those raises the agent's ``users.diary_revision``
in the same transaction (``apply``, ``rebuild``, ``erase``, and a backdated POST). Insights therefore keep what
they sum from a window's whole past days per process (``insights.SettledDays``) under that revision and re-read
it only when the revision moved: an entry logged today, the common write, leaves it valid. A day counts as
settled from ``CLOCK_SKEW`` before it ends, so servers whose clocks disagree by less than that miss no change.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wellbeing.core.db import DriverStatement
from wellbeing.models import DiaryEntry, DiaryRollup, DiaryTag, User

FIGURES = ("entries", "negatives", "intensity_sum", "signed_sum", "stress_sum", "stress_count")
DIMENSIONS = ("day", "hour", "emotion", "triggers", "signals", "coping")
Key = tuple[int, str, str]  # (local day number, dimension, key)
Figures = tuple[int, int, int, int, int, int]
ZERO: Figures = (0, 0, 0, 0, 0, 0)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# The window's first and last local days are partial; their entries lie within this of the window's ends.
_EDGE = timedelta(hours=27)
# A local day is settled (cacheable, see the module's text) from this long before it ends.
CLOCK_SKEW = timedelta(minutes=5)


def local_day(moment: datetime, tz: ZoneInfo) -> int:
    """The local day of an instant, as days since 1970-01-01."""
    return moment.astimezone(tz).toordinal() - _EPOCH_ORDINAL


def day_date(day: int) -> date:
    return date.fromordinal(day + _EPOCH_ORDINAL)


def figures(valence: str, intensity: int, stress: int | None) -> Figures:
    """One entry's figures: (1, negative?, intensity, signed intensity, stress, has stress?)."""
    signed = intensity if valence == "positive" else -intensity if valence == "negative" else 0
    return (1, 1 if valence == "negative" else 0, intensity, signed, stress or 0, 0 if stress is None else 1)


def keys(occurred_at: datetime, emotion: str, tags: Iterable[tuple[str, str]], tz: ZoneInfo) -> list[Key]:
    """The roll-up rows one entry counts in: its local day, local hour, emotion and each tag (sorted)."""
    local = occurred_at.astimezone(tz)
    day = local.toordinal() - _EPOCH_ORDINAL
    return sorted([(day, "day", ""), (day, "hour", str(local.hour)), (day, "emotion", emotion),
                   *((day, kind, key) for kind, key in tags)])


def contribution(occurred_at: datetime, emotion: str, valence: str, intensity: int, stress: int | None,
                 tags: Iterable[tuple[str, str]], tz: ZoneInfo) -> dict[Key, Figures]:
    """What one entry adds to the roll-up."""
    values = figures(valence, intensity, stress)
    return {key: values for key in keys(occurred_at, emotion, tags, tz)}


def entry_contribution(entry: DiaryEntry, tz: ZoneInfo) -> dict[Key, Figures]:
    """What a (built or loaded) entry adds to the roll-up."""
    return contribution(entry.occurred_at, entry.emotion, entry.valence, entry.intensity, entry.stress,
                        ((tag.kind, tag.key) for tag in entry.tags), tz)


def add(totals: dict[Key, list[int]], parts: Mapping[Key, Figures], sign: int = 1) -> dict[Key, list[int]]:
    """Add (or with sign -1 subtract) a contribution into running totals."""
    for key, values in parts.items():
        total = totals.get(key)
        if total is None:
            totals[key] = [sign * v for v in values]
        else:
            for i, v in enumerate(values):
                total[i] += sign * v
    return totals


def rows(user_id: str, totals: Mapping[Key, Iterable[int]]) -> list[dict[str, Any]]:
    """Totals as roll-up rows (column values), in key order (concurrent upserts lock rows in the same order)."""
    return [{"user_id": user_id, "day": day, "dimension": dimension, "key": key, **dict(zip(FIGURES, values))}
            for (day, dimension, key), values in sorted(totals.items()) if any(values)]


@functools.cache
def _upsert(dialect: str) -> DriverStatement:
    table = DiaryRollup.__table__
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return DriverStatement(insert.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.day, table.c.dimension, table.c.key],
        set_={name: table.c[name] + insert.excluded[name] for name in FIGURES}))


def settled_day(day: int, tz: ZoneInfo, now: datetime) -> bool:
    """Whether a local day is settled: before the local day of ``now + CLOCK_SKEW``."""
    return day < local_day(now + CLOCK_SKEW, tz)


def settled(totals: Iterable[Key], tz: ZoneInfo, now: datetime) -> bool:
    """Whether any of these roll-up keys lies on a settled day."""
    today = local_day(now + CLOCK_SKEW, tz)
    return any(day < today for day, _, _ in totals)


def raise_revision(session: Session, user_id: str) -> None:
    """Mark a change to the user's settled days: cached sums of them are re-read (see the module's text)."""
    session.execute(_raise_revision_stmt(), {"revised_user": user_id})


@functools.cache
def _raise_revision_stmt():
    users = User.__table__  # Core: the session's loaded users are not synchronized (they expire at commit)
    return users.update().where(users.c.id == bindparam("revised_user")).values(
        diary_revision=users.c.diary_revision + 1)


def apply(session: Session, user_id: str, totals: Mapping[Key, Iterable[int]], tz: ZoneInfo | None = None,
          now: datetime | None = None) -> int:
    """Add signed totals to the user's roll-up (one upsert); rows brought to zero entries are deleted.

    When the totals touch a settled day (any day, unless ``tz`` and ``now`` tell which are settled), the user's
    diary revision is raised first, in the caller's transaction (the user's row is locked before the roll-up's,
    as a change of time zone does). Returns the number of rows deleted."""
    changes = rows(user_id, totals)
    if not changes:
        return 0
    if tz is None or now is None or settled(totals, tz, now):
        raise_revision(session, user_id)
    connection = session.connection()
    _upsert(connection.dialect.name).execute_many(connection, changes)
    if any(change["entries"] < 0 for change in changes):
        return session.execute(delete(DiaryRollup).where(DiaryRollup.user_id == user_id,
                                                         DiaryRollup.entries <= 0)).rowcount
    return 0


# ------------------------------------------------------------------------------------------ from the raw rows

def _raw_select(where: ColumnElement) -> Select:
    return (select(DiaryEntry.id, DiaryEntry.user_id, DiaryEntry.occurred_at, DiaryEntry.emotion, DiaryEntry.valence,
                   DiaryEntry.intensity, DiaryEntry.stress, DiaryTag.kind, DiaryTag.key)
            .outerjoin(DiaryTag, DiaryTag.entry_id == DiaryEntry.id).where(where))


@functools.cache
def _near_ends_stmt() -> Select:
    # Built once with bound parameters (insights run it on every request): two index ranges (user_id,
    # occurred_at), one per end of the window, each about a day of entries.
    occurred = DiaryEntry.__table__.c.occurred_at

    def at(name: str):
        return bindparam(name, type_=occurred.type)

    return _raw_select(or_(
        and_(DiaryEntry.user_id == bindparam("user_id"), DiaryEntry.occurred_at >= at("start"),
             DiaryEntry.occurred_at < at("start_edge")),
        and_(DiaryEntry.user_id == bindparam("user_id"), DiaryEntry.occurred_at > at("end_edge"),
             DiaryEntry.occurred_at <= at("end"))))


def _raw(session: Session, stmt: Select, params: dict | None = None) -> dict[str, list]:
    """The entries a ``_raw_select`` statement finds, with their tags: id -> [user_id, occurred_at, emotion,
    valence, intensity, stress, [(kind, key), ...]] (one query: entries outer-joined with their tags)."""
    found: dict[str, list] = {}
    for entry_id, user_id, occurred_at, emotion, valence, intensity, stress, kind, key in session.execute(
            stmt, params).all():
        entry = found.get(entry_id)
        if entry is None:
            entry = found[entry_id] = [user_id, occurred_at, emotion, valence, intensity, stress, []]
        if kind is not None:
            entry[6].append((kind, key))
    return found


def computed(session: Session, user_id: str, tz: ZoneInfo) -> dict[Key, list[int]]:
    """The user's roll-up as it should be, summed from the raw entries."""
    totals: dict[Key, list[int]] = {}
    raw = _raw(session, _raw_select(DiaryEntry.user_id == user_id))
    for _, occurred_at, emotion, valence, intensity, stress, tags in raw.values():
        add(totals, contribution(occurred_at, emotion, valence, intensity, stress, tags, tz))
    return {key: values for key, values in totals.items() if any(values)}


def stored(session: Session, user_id: str) -> dict[Key, list[int]]:
    """The user's roll-up as stored."""
    table = DiaryRollup.__table__
    return {(row.day, row.dimension, row.key): [getattr(row, name) for name in FIGURES]
            for row in session.execute(select(table).where(table.c.user_id == user_id))}


def rebuild(session: Session, user_ids: Iterable[str] | None = None) -> int:
    """Recompute the roll-up of the given users (everyone when None) from their entries; returns rows written.

    Does not commit."""
    people = select(User.id, User.timezone).order_by(User.id)
    if user_ids is not None:
        people = people.where(User.id.in_(list(user_ids)))
    written = 0
    for user_id, tz_name in session.execute(people).all():
        raise_revision(session, user_id)
        session.execute(delete(DiaryRollup).where(DiaryRollup.user_id == user_id))
        fresh = rows(user_id, computed(session, user_id, ZoneInfo(tz_name)))
        for start in range(0, len(fresh), 5_000):
            session.execute(DiaryRollup.__table__.insert(), fresh[start:start + 5_000])
        written += len(fresh)
    return written


def mismatches(session: Session, user_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Users whose stored roll-up differs from their entries: user id -> number of differing rows."""
    people = select(User.id, User.timezone).order_by(User.id)
    if user_ids is not None:
        people = people.where(User.id.in_(list(user_ids)))
    found = {}
    for user_id, tz_name in session.execute(people).all():
        want, have = computed(session, user_id, ZoneInfo(tz_name)), stored(session, user_id)
        differing = sum(1 for key in want.keys() | have.keys() if want.get(key) != have.get(key))
        if differing:
            found[user_id] = differing
    return found


def subtract_entries(session: Session, where: ColumnElement) -> int:
    """Take the entries matching `where` out of their owners' roll-ups (before they are deleted); returns the
    number of roll-up rows that reached zero and were deleted."""
    by_user: dict[str, dict[Key, list[int]]] = {}
    entries = _raw(session, _raw_select(where))
    zones = {user_id: tz_name for user_id, tz_name in session.execute(select(User.id, User.timezone).where(
        User.id.in_({entry[0] for entry in entries.values()})))} if entries else {}
    for user_id, occurred_at, emotion, valence, intensity, stress, tags in entries.values():
        add(by_user.setdefault(user_id, {}),
            contribution(occurred_at, emotion, valence, intensity, stress, tags, ZoneInfo(zones[user_id])), -1)
    return sum(apply(session, user_id, totals) for user_id, totals in sorted(by_user.items()))


def erase(session: Session, user_id: str) -> int:
    """Delete the user's roll-up; returns the rows deleted."""
    raise_revision(session, user_id)
    return session.execute(delete(DiaryRollup).where(DiaryRollup.user_id == user_id)).rowcount


# ------------------------------------------------------------------------------------------------ for insights

@functools.cache
def _sums_stmt():
    r = DiaryRollup.__table__.c
    day = case((r.dimension == "day", r.day), else_=None).label("day")
    return (select(r.dimension, r.key, day, *(func.sum(r[name]) for name in FIGURES))
            .where(r.user_id == bindparam("user_id"), r.day >= bindparam("first_day"), r.day <= bindparam("last_day"))
            .group_by(r.dimension, r.key, day))


def day_range_sums(session: Session, user_id: str, first: int, last: int
                   ) -> tuple[dict[tuple[str, str], Figures], dict[int, Figures]]:
    """The roll-up summed over the local days first..last (one grouped query over ~15 small rows a day): per
    (dimension, key), and per day."""
    totals: dict[tuple[str, str], Figures] = {}
    daily: dict[int, Figures] = {}
    # .all(): one fetch of the ~400 grouped rows, not a driver call per row.
    for dimension, key, day, *values in session.execute(
            _sums_stmt(), {"user_id": user_id, "first_day": first, "last_day": last}).all():
        if dimension == "day":
            daily[day] = tuple(int(v) for v in values)
        else:
            totals[(dimension, key)] = tuple(int(v) for v in values)
    return totals, daily


def partial_day_sums(session: Session, user_id: str, tz: ZoneInfo, start: datetime, end: datetime
                     ) -> tuple[dict[tuple[str, str], list[int]], dict[int, list[int]]]:
    """The same sums over the instants [start, end] of the first and last local days of a window (both partial),
    from the raw entries near its two ends."""
    first, last = local_day(start, tz), local_day(end, tz)
    totals: dict[tuple[str, str], list[int]] = {}
    daily: dict[int, list[int]] = {}
    near_ends = {"user_id": user_id, "start": start, "start_edge": min(start + _EDGE, end),
                 "end_edge": max(end - _EDGE, start), "end": end}
    for _, occurred_at, emotion, valence, intensity, stress, tags in _raw(session, _near_ends_stmt(),
                                                                          near_ends).values():
        if local_day(occurred_at, tz) not in (first, last):
            continue  # a whole day: in the roll-up
        for (day, dimension, key), values in contribution(occurred_at, emotion, valence, intensity, stress, tags,
                                                          tz).items():
            target = daily.setdefault(day, [0] * 6) if dimension == "day" else totals.setdefault((dimension, key),
                                                                                                 [0] * 6)
            for i, v in enumerate(values):
                target[i] += v
    return totals, daily
