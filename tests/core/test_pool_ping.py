"""Pooled PostgreSQL connections are pinged before use only after sitting idle (on the real server, every run)."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, exc, text

from tests.helpers import PG_SERVER as SERVER
from wellbeing.core.db import ping_idle_connections


def _engine(idle_after: float):
    url = SERVER.replace("postgresql://", "postgresql+psycopg://", 1) if "+psycopg" not in SERVER else SERVER
    engine = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=False)
    ping_idle_connections(engine, idle_after=idle_after)
    return engine


def _cut_the_pooled_connection(engine) -> int:
    """Terminate, from another session, the server backend behind the engine's one pooled connection."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(SERVER.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] is True
    return pid


def test_an_idle_connection_cut_by_the_server_is_pinged_and_replaced():
    engine = _engine(idle_after=0.0)  # every checkout counts as idle
    try:
        dead = _cut_the_pooled_connection(engine)
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert pid != dead  # the ping found the dead connection and the pool opened another
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged():
    # Checked in a moment ago, the connection is trusted: no ping, so a cut that happened in between reaches the
    # statement as a disconnect (the API answers it 503), and the pool is renewed for the next checkout.
    engine = _engine(idle_after=3600.0)
    try:
        dead = _cut_the_pooled_connection(engine)
        with pytest.raises(exc.OperationalError) as raised, engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert raised.value.connection_invalidated
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != dead
    finally:
        engine.dispose()
