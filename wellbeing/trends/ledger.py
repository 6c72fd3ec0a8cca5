"""The persistent privacy-budget ledger: rows per cell and month, locked before any release spends them."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from wellbeing.core.db import upsert_insert
from wellbeing.models import PrivacyLedger
from wellbeing.trends.privacy import can_spend


def lock_rows(session: Session, org_id: str, keys: Iterable[tuple[str, date]], limit_micro: int,
              now: datetime) -> dict[tuple[str, date], PrivacyLedger]:
    """Create missing ledger rows for (cell, month) keys and lock them all for this transaction.

    PostgreSQL locks the rows (SELECT ... FOR UPDATE, in key order so two jobs cannot deadlock);
    SQLite runs the release in a BEGIN IMMEDIATE transaction, which already excludes other writers.
    """
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = [{"org_id": org_id, "cell": cell, "month": month, "limit_micro": limit_micro, "spent_micro": 0,
             "updated_at": now} for cell, month in keys]
    session.execute(upsert_insert(session.get_bind(), PrivacyLedger).values(rows).on_conflict_do_nothing())
    locked = session.scalars(
        select(PrivacyLedger)
        .where(PrivacyLedger.org_id == org_id, tuple_(PrivacyLedger.cell, PrivacyLedger.month).in_(keys))
        .order_by(PrivacyLedger.cell, PrivacyLedger.month)
        .with_for_update()
        .execution_options(populate_existing=True))
    return {(row.cell, row.month): row for row in locked}


def affordable(rows: Iterable[PrivacyLedger], micro: int) -> bool:
    """True when every locked row can pay `micro` more without passing its limit."""
    return all(can_spend(row.spent_micro, micro, row.limit_micro) for row in rows)


def spend(rows: Iterable[PrivacyLedger], micro: int, now: datetime) -> None:
    """Charge `micro` to every row (the caller has locked them and checked `affordable`)."""
    for row in rows:
        row.spent_micro += micro
        row.updated_at = now
