"""Keyset (cursor) pagination over any select: stable pages, no OFFSET scans."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    """One page of rows and the key to continue after, if there is more."""

    items: list
    next_key: tuple | None


def keyset_page(
    session: Session,
    stmt: Select,
    sort_col,
    id_col,
    limit: int,
    after: tuple[Any, Any] | None = None,
    descending: bool = True,
) -> Page:
    """Return up to ``limit`` rows of ``stmt`` ordered by (sort_col, id_col), after the given key."""
    if after is not None:
        sort_value, id_value = after
        if descending:
            stmt = stmt.where(or_(sort_col < sort_value, and_(sort_col == sort_value, id_col < id_value)))
        else:
            stmt = stmt.where(or_(sort_col > sort_value, and_(sort_col == sort_value, id_col > id_value)))
    order = (sort_col.desc(), id_col.desc()) if descending else (sort_col.asc(), id_col.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], (getattr(last, sort_col.key), getattr(last, id_col.key)))
