"""The persistent privacy-budget ledgers, locked before any release spends them.

Two ledgers, both in exact micro-epsilon: per (cell, month), the plan's reservation for a team's cells; and per
(person, month), the promise made to each agent. A cell charges every person it may include, in every month its
period touches; a person who cannot pay is left out of the cell, so no one's month ever passes the limit.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from wellbeing.core.db import upsert_insert
from wellbeing.models import PrivacyLedger, PrivacyPersonLedger
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


# The kind of figure a charge paid for, as the agent's visibility report names it.
KINDS = ("team_monthly", "team_weekly", "pooled")


def lock_people(session: Session, org_id: str, user_ids: Iterable[str], months: Sequence[date], limit_micro: int,
                now: datetime) -> dict[tuple[str, date], PrivacyPersonLedger]:
    """Create missing (person, month) rows and lock them for this transaction, in key order."""
    keys = sorted({(user_id, month) for user_id in user_ids for month in months})
    if not keys:
        return {}
    rows = [{"user_id": user_id, "month": month, "org_id": org_id, "limit_micro": limit_micro, "spent_micro": 0,
             "team_monthly_micro": 0, "team_weekly_micro": 0, "pooled_micro": 0, "updated_at": now}
            for user_id, month in keys]
    for start in range(0, len(rows), 500):
        session.execute(upsert_insert(session.get_bind(), PrivacyPersonLedger).values(rows[start:start + 500])
                        .on_conflict_do_nothing())
    users = sorted({user_id for user_id, _ in keys})
    locked: dict[tuple[str, date], PrivacyPersonLedger] = {}
    for start in range(0, len(users), 500):
        chunk = session.scalars(
            select(PrivacyPersonLedger)
            .where(PrivacyPersonLedger.user_id.in_(users[start:start + 500]), PrivacyPersonLedger.month.in_(months))
            .order_by(PrivacyPersonLedger.user_id, PrivacyPersonLedger.month)
            .with_for_update()
            .execution_options(populate_existing=True))
        locked.update({(row.user_id, row.month): row for row in chunk})
    return locked


def payers(rows: dict[tuple[str, date], PrivacyPersonLedger], user_ids: Iterable[str], months: Sequence[date],
           micro: int) -> list[str]:
    """The people (in order) who can pay `micro` more in every one of `months` without passing their limit."""
    return [user_id for user_id in user_ids
            if all(can_spend(rows[(user_id, month)].spent_micro, micro, rows[(user_id, month)].limit_micro)
                   for month in months)]


def charge_people(rows: dict[tuple[str, date], PrivacyPersonLedger], user_ids: Iterable[str],
                  months: Sequence[date], micro: int, kind: str, now: datetime) -> None:
    """Charge `micro` of `kind` to each person's row of each month (locked and checked by `payers`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    for user_id in user_ids:
        for month in months:
            row = rows[(user_id, month)]
            row.spent_micro += micro
            setattr(row, f"{kind}_micro", getattr(row, f"{kind}_micro") + micro)
            row.updated_at = now
