"""The database handle, the declarative base and the column types every model shares.

Flask-SQLAlchemy is imported here and nowhere else, so a move to another
integration touches one file.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, DateTime, Engine, MetaData, String, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic can diff and drop them)."""

    metadata = MetaData(naming_convention=NAMING)


# expire_on_commit=False: reading an attribute after commit must not re-SELECT the row
# (engineering.md §6 measured that re-select halving write throughput).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on both databases (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def new_id() -> str:
    """A new opaque id (UUID4 text): the same shape clients may supply."""
    return str(uuid.uuid4())


def for_core_insert(cls, **values):
    """An instance of a mapped class written with a Core INSERT and answered from memory, never added to a session.

    The declarative constructor records every attribute for the unit of work (~0.3 ms an entry with its tags, a
    third of a 500-entry batch's CPU); this fills the instance's ``__dict__`` directly, which is where reads look
    first. Its attributes read and set as usual; a session would not see them as changes, so it must not be added.
    """
    instance = cls.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


class DriverStatement:
    """A Core statement compiled once per dialect and run on the driver's own cursor: for the hot paths only.

    Session.execute spends more Python per statement (execution context, result set-up, events, the session's
    transaction bookkeeping) than the driver spends sending it. This runs the very SQL SQLAlchemy compiles, with the
    parameters through the same bind processors (UTCDateTime and the rest bind as in Core), on the cursor of the
    given Connection, inside whatever transaction that connection is in. A driver error goes through SQLAlchemy's
    own handling (``Connection._handle_dbapi_exception``): callers see IntegrityError, and a lost server invalidates
    the pool and raises the OperationalError the 503 handler answers, as from Session.execute.
    """

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[str, tuple] = {}

    def _for(self, dialect) -> tuple:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            done = self.statement.compile(dialect=dialect)
            binds = [(key, bind.type.dialect_impl(dialect).bind_processor(dialect), bind.required, bind.effective_value)
                     for key, bind in done.binds.items()]
            order = list(done.positiontup) if done.positional else None
            compiled = self._compiled[dialect.name] = (done.string, binds, order)
        return compiled

    def _values(self, binds, order, params):
        values = {}
        for key, process, required, default in binds:
            value = params[key] if required or key in params else default
            values[key] = process(value) if process is not None and value is not None else value
        return tuple(values[key] for key in order) if order is not None else values

    def execute(self, connection: Connection, params: dict) -> list[tuple]:
        """Run with one set of parameters; the rows it returns (RETURNING), as plain tuples."""
        sql, binds, order = self._for(connection.dialect)
        return self._run(connection, "execute", sql, self._values(binds, order, params))

    def execute_many(self, connection: Connection, rows: list[dict]) -> None:
        """Run once per set of parameters (the driver's executemany)."""
        sql, binds, order = self._for(connection.dialect)
        self._run(connection, "executemany", sql, [self._values(binds, order, row) for row in rows])

    @staticmethod
    def _run(connection: Connection, method: str, sql: str, values) -> list[tuple]:
        cursor = connection.connection.cursor()
        try:
            getattr(cursor, method)(sql, values)
            return cursor.fetchall() if cursor.description else []
        except Exception as error:  # noqa: BLE001 (SQLAlchemy's handler wraps driver errors, re-raises the rest)
            connection._handle_dbapi_exception(error, sql, values, cursor, None)
        finally:
            cursor.close()


def upsert_insert(bind: Engine | Connection, table):
    """An INSERT with ON CONFLICT clauses (`on_conflict_do_nothing`/`_do_update`) for the bind's dialect."""
    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(table)


def id_column_type() -> String:
    """The type of every id column."""
    return String(36)


_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_immediate", default=False)


@contextlib.contextmanager
def write_intent(value: bool = True) -> Iterator[None]:
    """Mark the transactions begun inside as writers (SQLite: BEGIN IMMEDIATE), or as readers with False.

    A deferred SQLite transaction that reads and then writes fails with SQLITE_BUSY
    instead of waiting when another writer got in between; taking the write lock up
    front makes it wait on busy_timeout instead. Pure reads on a second connection
    must not ask for it while the request's own session holds it. PostgreSQL ignores this.
    """
    token = _immediate.set(value)
    try:
        yield
    finally:
        _immediate.reset(token)


def set_write_intent(value: bool) -> None:
    """Set the write intent for the current context (the API sets it per request)."""
    _immediate.set(value)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy's begin event below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


# A custom connect argument (not a libpq one): the longest the client waits for one answer from PostgreSQL.
WAIT_LIMIT_ARG = "wellbeing_wait_limit"


@functools.cache
def _bounded_wait_connection() -> type:
    """A psycopg connection that gives up on an answer after its wait limit, closing itself.

    statement_timeout only helps while the server runs: a frozen or partitioned server (whose kernel
    still acknowledges our packets, so TCP timeouts never fire) would otherwise hold the request thread,
    and the pooled connection's pre-ping with it, forever. Closed, the connection counts as a disconnect:
    the pool drops it and the request becomes the same 503 as a stopped database.
    """
    import psycopg
    from psycopg.connection import _WAIT_INTERVAL

    class BoundedWaitConnection(psycopg.Connection):
        wait_limit: float | None = None

        def wait(self, gen, interval: float = _WAIT_INTERVAL, timeout: float | None = None):
            try:
                return super().wait(gen, interval, timeout if timeout is not None else self.wait_limit)
            except psycopg.errors._WaitTimeout:
                with contextlib.suppress(Exception):
                    self.close()
                raise psycopg.OperationalError(
                    f"the database did not answer within {self.wait_limit:g} s; connection closed") from None

    return BoundedWaitConnection


@event.listens_for(Engine, "do_connect")
def _psycopg_bounded_wait(dialect, conn_rec, cargs, cparams):
    limit = cparams.pop(WAIT_LIMIT_ARG, None)
    if limit is None or dialect.driver != "psycopg":
        return None
    connection = _bounded_wait_connection().connect(*cargs, **cparams)
    connection.wait_limit = float(limit)
    return connection


# A pooled connection idle for longer than this is pinged before use; one in steady use is not.
PING_IDLE_AFTER = 1.0


def ping_idle_connections(engine: Engine, idle_after: float = PING_IDLE_AFTER) -> None:
    """Pre-ping a pooled connection at checkout only when it sat idle for over ``idle_after`` seconds.

    SQLAlchemy's pool_pre_ping costs a round trip on every checkout, that is on every request. A connection
    checked in a moment ago was answering then; one that sat idle may have been cut (a database restart, a
    failover, an idle timeout on a proxy), and that is when the ping saves a request. A connection that
    breaks in between fails its request as a disconnect, which invalidates the whole pool (a 503, then
    fresh connections), as with pre-ping.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record) -> None:
        if dbapi_connection is not None:
            record.info["idle_since"] = (id(dbapi_connection), time.monotonic())

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        connection_id, since = record.info.get("idle_since", (None, 0.0))
        if connection_id != id(dbapi_connection):
            return  # a connection just opened: nothing to check
        if time.monotonic() - since < idle_after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool drops this connection and checks out another
            raise exc.DisconnectionError("pooled connection failed its ping") from error
