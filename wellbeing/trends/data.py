"""Trends' part of the agent's data rights: the privacy budget spent on figures that could include them.

The person ledger holds no wellbeing data, only how much of the monthly epsilon released figures spent on the
agent. It is exported, and kept on erasure: forgetting it would let a later figure spend that month again, which
would break the promise it records. Retention removes months long closed (their periods were released once,
soon after they ended, and nothing can be charged to them any more).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.models import PrivacyPersonLedger, User
from wellbeing.trends.ledger import KINDS
from wellbeing.trends.privacy.budget import micro_to_epsilon

TABLES = ("privacy_person_ledger",)


def export_privacy_budget(session: Session, user: User, keyring: Keyring) -> list[dict]:
    """Every month with a charge, oldest first: epsilon spent, the limit, and the kinds of figures that spent it."""
    rows = session.scalars(select(PrivacyPersonLedger).where(PrivacyPersonLedger.user_id == user.id)
                           .order_by(PrivacyPersonLedger.month))
    return [{"month": row.month, "epsilon_spent": float(micro_to_epsilon(row.spent_micro)),
             "epsilon_limit": float(micro_to_epsilon(row.limit_micro)),
             "by_kind": {kind: float(micro_to_epsilon(getattr(row, f"{kind}_micro"))) for kind in KINDS}}
            for row in rows]


def purge_privacy_budget(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Retention: months that ended at least a month before the cutoff's month began."""
    first = cutoff.date().replace(day=1)
    before = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    purged = session.execute(delete(PrivacyPersonLedger).where(
        PrivacyPersonLedger.org_id == org_id, PrivacyPersonLedger.month < before)).rowcount
    return {"privacy_person_ledger": purged}
