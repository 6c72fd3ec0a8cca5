"""The diary's hot writes as Core statements: one entry (POST /diary) and a batch's new entries.

No unit-of-work bookkeeping and no re-read: the entries are built in memory (``entries._build``), inserted with
their tags and their roll-up sums, and answered from the values in hand. On PostgreSQL one entry is one statement
(data-modifying CTEs); its INSERT can carry the caller's sign-in check (``identity.SigninGuard``).
"""
from __future__ import annotations

import functools
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.db import DriverStatement
from wellbeing.diary import rollup
from wellbeing.models import DiaryEntry, DiaryTag, DiaryTombstone
from wellbeing.org.identity import SigninGuard, signin_guard_clause

_ENTRY_COLUMNS = tuple(column.key for column in DiaryEntry.__table__.columns)
_TAG_COLUMNS = tuple(column.key for column in DiaryTag.__table__.columns)


def insert_entries(session: Session, entries: list[DiaryEntry], tz: ZoneInfo) -> bool:
    """Insert built (unsaved) entries of one user, their tags and their roll-up sums with three Core statements
    and commit; False on a taken id.

    The hot write path: no unit-of-work bookkeeping and no re-read; the objects stay as built (transient)
    and serve the response. On a unique-key clash nothing is stored and the caller settles each entry.
    """
    rows = [_entry_row(entry) for entry in entries]
    tags = [tag for entry in entries for tag in _tag_rows(entry)]
    totals: dict = {}
    for entry in entries:
        rollup.add(totals, rollup.entry_contribution(entry, tz))
    try:
        session.execute(DiaryEntry.__table__.insert(), rows)
        if tags:
            session.execute(DiaryTag.__table__.insert(), tags)
        if entries:  # built with created_at = the server's now
            rollup.apply(session, entries[0].user_id, totals, tz, entries[0].created_at)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _entry_row(entry: DiaryEntry) -> dict[str, Any]:
    """A built entry as the column values of its INSERT."""
    return {key: getattr(entry, key) for key in _ENTRY_COLUMNS}


def _tag_rows(entry: DiaryEntry) -> list[dict[str, Any]]:
    """A built entry's tags as the column values of their INSERT."""
    return [{key: (entry.id if key == "entry_id" else getattr(tag, key)) for key in _TAG_COLUMNS} for tag in entry.tags]


@functools.cache
def _insert_unless_deleted_stmt(guarded: bool):
    # Built once with bound parameters (named after the columns): building it per request cost more than running it.
    table = DiaryEntry.__table__
    values = select(*(bindparam(column.key, type_=column.type) for column in table.columns)).where(
        ~select(DiaryTombstone.id).where(DiaryTombstone.id == bindparam("id")).exists())
    if guarded:
        values = values.where(signin_guard_clause())
    # RETURNING, not rowcount: psycopg reports no rowcount for INSERT ... SELECT (-1).
    return DriverStatement(table.insert().from_select([column.key for column in table.columns], values)
                           .returning(table.c.id))


@functools.cache
def _insert_tags() -> DriverStatement:
    return DriverStatement(DiaryTag.__table__.insert())


# PostgreSQL: the entry, its tags and its roll-up sums in one statement (data-modifying CTEs); the tags and the
# roll-up are written only when the entry is (a deleted id inserts nothing, a stored id fails on the key). A
# backdated entry (:settled) raises its user's diary revision in the same statement (rollup.py, settled days).
_CREATE_PG = """
WITH entry AS (
    INSERT INTO diary_entries ({columns})
    SELECT {values}
    WHERE NOT EXISTS (SELECT 1 FROM diary_tombstones WHERE id = CAST(:id AS VARCHAR)){guard}
    RETURNING id, user_id
), tags AS (
    INSERT INTO diary_tags (entry_id, kind, key, position)
    SELECT entry.id, t.kind, t.key, t.position FROM entry,
        unnest(CAST(:tag_kinds AS VARCHAR[]), CAST(:tag_keys AS VARCHAR[]), CAST(:tag_positions AS SMALLINT[]))
        AS t(kind, key, position)
), rollup AS (
    INSERT INTO diary_rollups (user_id, day, dimension, key, {figures})
    SELECT entry.user_id, r.day, r.dimension, r.key, {figure_values} FROM entry,
        unnest(CAST(:rollup_days AS INTEGER[]), CAST(:rollup_dimensions AS VARCHAR[]), CAST(:rollup_keys AS VARCHAR[]))
        AS r(day, dimension, key)
    ON CONFLICT (user_id, day, dimension, key) DO UPDATE SET {increments}
), revised AS (
    UPDATE users SET diary_revision = users.diary_revision + 1
    FROM entry WHERE users.id = entry.user_id AND CAST(:settled AS BOOLEAN)
)
SELECT id FROM entry
"""


@functools.cache
def _create_pg_stmt(guarded: bool):
    table = DiaryEntry.__table__
    casts = {column.key: column.type.compile(dialect=_pg_dialect()) for column in table.columns}
    guard = ""
    if guarded:  # the clause as PostgreSQL text with :name parameters (typed below, so values bind as in Core)
        dialect = _pg_dialect(paramstyle="named")
        dialect.bind_typing = BindTyping.NONE  # plain :name parameters (the columns give PostgreSQL their types)
        clause = signin_guard_clause().compile(dialect=dialect)
        guard = f" AND {clause}"
        guard_binds = [bindparam(name, type_=param.type) for name, param in clause.binds.items()]
    stmt = text(_CREATE_PG.format(
        guard=guard,
        columns=", ".join(column.name for column in table.columns),
        values=", ".join(f"CAST(:{key} AS {type_})" for key, type_ in casts.items()),
        figures=", ".join(rollup.FIGURES),
        figure_values=", ".join(f"CAST(:rollup_{name} AS INTEGER)" for name in rollup.FIGURES),
        increments=", ".join(f"{name} = diary_rollups.{name} + excluded.{name}" for name in rollup.FIGURES)))
    return DriverStatement(stmt.bindparams(*guard_binds) if guarded else stmt)


def _pg_dialect(**options):
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect(**options)


def _create_pg_params(entry: DiaryEntry, tz: ZoneInfo) -> dict[str, Any]:
    params = _entry_row(entry)
    tags = sorted(entry.tags, key=lambda tag: (tag.kind, tag.position))
    params["tag_kinds"] = [tag.kind for tag in tags]
    params["tag_keys"] = [tag.key for tag in tags]
    params["tag_positions"] = [tag.position for tag in tags]
    keys = rollup.keys(entry.occurred_at, entry.emotion, ((tag.kind, tag.key) for tag in tags), tz)
    params["rollup_days"] = [day for day, _, _ in keys]
    params["rollup_dimensions"] = [dimension for _, dimension, _ in keys]
    params["rollup_keys"] = [key for _, _, key in keys]
    for name, value in zip(rollup.FIGURES, rollup.figures(entry.valence, entry.intensity, entry.stress)):
        params[f"rollup_{name}"] = value
    return params


def insert_unless_deleted(session: Session, entry: DiaryEntry, tz: ZoneInfo,
                           signin: SigninGuard | None = None) -> bool | None:
    """Insert one built entry, its tags and its roll-up sums and commit: True; its id taken by a stored entry:
    False; deleted (or, with ``signin``, the sign-in not live): None.

    PostgreSQL: one statement (and a COMMIT, which costs nothing when the request runs in autocommit, see
    api.core.auth.login_required). SQLite: the guarded INSERT (INSERT ... SELECT ... WHERE NOT EXISTS (tombstone)),
    the tags and the roll-up as executemany statements under the write lock, then COMMIT. Either way the entry's
    own INSERT carries the sign-in guard, so a failed guard writes nothing.
    """
    guarded = signin is not None
    try:
        connection = session.connection()
        postgres = connection.dialect.name == "postgresql"
        autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        params = _create_pg_params(entry, tz) if postgres else _entry_row(entry)
        if guarded:
            params |= signin.params()
        if postgres:  # an entry of today (the usual post) leaves the settled days alone; created_at: the server's now
            params["settled"] = rollup.settled_day(rollup.local_day(entry.occurred_at, tz), tz, entry.created_at)
        inserted = (_create_pg_stmt if postgres else _insert_unless_deleted_stmt)(guarded).execute(connection, params)
        if not inserted:
            session.rollback()
            return None
        if not postgres:
            tags = _tag_rows(entry)
            if tags:
                _insert_tags().execute_many(connection, tags)
            rollup.apply(session, entry.user_id, rollup.entry_contribution(entry, tz), tz, entry.created_at)
        if not autocommit:
            session.commit()  # in autocommit (POST /diary on PostgreSQL) the statement has committed itself
    except IntegrityError:
        session.rollback()
        if guarded:
            signin.confirmed = True  # the guard let the row through to the key that refused it
        return False
    if guarded:
        signin.confirmed = True
    return True
