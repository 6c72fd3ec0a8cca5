"""A database-backed storage for Flask-Limiter, so request limits hold across workers without Redis.

Selected with ``RATELIMIT_STORAGE_URI=wellbeing+sql://`` (the default when no Redis is configured).
Only the fixed-window strategy is supported, which is the limiter's default.
"""
from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from wellbeing.core.db import db, write_intent
from wellbeing.models import RateLimitCounter

T = RateLimitCounter.__table__


class SQLStorage(Storage):
    """Fixed-window counters in the ``rate_limit_counters`` table, one atomic upsert per hit."""

    STORAGE_SCHEME = ["wellbeing+sql"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(T).values(key=key, count=amount, expires_at=now + expiry)
        expired = T.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={
                # A window that has run out starts again instead of adding to the old count.
                "count": case((expired, amount), else_=T.c.count + amount),
                "expires_at": case((expired, now + expiry), else_=T.c.expires_at),
            },
        ).returning(T.c.count)
        with db.engine.begin() as conn:
            return conn.execute(stmt).scalar_one()

    def get(self, key: str) -> int:
        with write_intent(False), db.engine.connect() as conn:
            row = conn.execute(select(T.c.count).where(T.c.key == key, T.c.expires_at > time.time())).first()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        with write_intent(False), db.engine.connect() as conn:
            row = conn.execute(select(T.c.expires_at).where(T.c.key == key)).first()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            with write_intent(False), db.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(T)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(T).where(T.c.key == key))
