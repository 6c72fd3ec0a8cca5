"""Idempotent create on a client-chosen id: the same body replays, a different body conflicts."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.errors import Conflict

M = TypeVar("M")


def _replay(existing, fingerprint: str, owned: Callable[[object], bool]):
    if owned(existing) and existing.request_fingerprint == fingerprint:
        return existing
    # Another body, or an id someone else holds: say only that the id is taken.
    raise Conflict("This id was already used for a different request.", code="id_conflict")


def create_once(
    session: Session,
    model: type[M],
    obj_id: str | None,
    fingerprint: str,
    build: Callable[[], M],
    owned: Callable[[M], bool],
    after: Callable[[M], None] | None = None,
    known_new: bool = False,
) -> tuple[M, bool]:
    """Create ``build()`` under ``obj_id`` unless that id exists; return (object, created).

    The primary key makes this hold under concurrency: a racing insert of the same id
    fails on the constraint and is then answered like a replay. ``after`` adds rows
    that need the new row to exist first, in the same transaction. ``known_new`` skips the first
    lookup when the caller has just seen that the id is free (a race still ends as a replay).
    """
    if obj_id is not None and not known_new:
        existing = session.get(model, obj_id)
        if existing is not None:
            return _replay(existing, fingerprint, owned), False
    obj = build()
    obj.request_fingerprint = fingerprint
    session.add(obj)
    try:
        session.flush()
        if after is not None:
            after(obj)
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.get(model, obj_id) if obj_id is not None else None
        if existing is None:
            raise
        return _replay(existing, fingerprint, owned), False
    return obj, True
