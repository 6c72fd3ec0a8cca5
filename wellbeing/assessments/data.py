"""The questionnaire feature's share of data rights: export, erasure and retention of results and risk history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.models import Assessment, RiskSnapshot, User

TABLES = ("assessments", "risk_snapshots")


def export_assessments(session: Session, user: User, keyring: Keyring) -> dict:
    """Every result with its answers, scores and bands, and every stored risk snapshot."""
    results = session.scalars(select(Assessment).where(Assessment.user_id == user.id)
                              .order_by(Assessment.completed_at, Assessment.id))
    snapshots = session.scalars(select(RiskSnapshot).where(RiskSnapshot.user_id == user.id)
                                .order_by(RiskSnapshot.computed_at, RiskSnapshot.id))
    return {
        "results": [{"id": a.id, "instrument": a.instrument_id, "instrument_version": a.instrument_version,
                     "answers": a.answers, "scores": a.scores, "bands": a.bands, "alerts": a.alerts,
                     "completed_at": a.completed_at} for a in results],
        "risk_snapshots": [{"id": s.id, "computed_at": s.computed_at, "level": s.level, "score": s.score,
                            "factors": s.factors, "flags": s.flags, "model_version": s.model_version}
                           for s in snapshots],
    }


def erase_assessments(session: Session, user: User, now: datetime) -> dict[str, int]:
    """Delete the user's results and risk history; returns the rows erased per table."""
    return {
        "assessments": session.execute(delete(Assessment).where(Assessment.user_id == user.id)).rowcount,
        "risk_snapshots": session.execute(delete(RiskSnapshot).where(RiskSnapshot.user_id == user.id)).rowcount,
    }


def purge_assessments(session: Session, org_id: str, cutoff: datetime) -> dict[str, int]:
    """Delete the organization's results and snapshots older than the retention cutoff."""
    people = select(User.id).where(User.org_id == org_id)
    return {
        "assessments": session.execute(delete(Assessment).where(
            Assessment.user_id.in_(people), Assessment.completed_at < cutoff)).rowcount,
        "risk_snapshots": session.execute(delete(RiskSnapshot).where(
            RiskSnapshot.user_id.in_(people), RiskSnapshot.computed_at < cutoff)).rowcount,
    }
