"""Consents: the agent's current choices and the history of every change, with the policy version."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id

CONSENTS = ("team_aggregates", "hr_followup")


class Consent(db.Model):
    """A user's current consent choices (absent row: nothing consented)."""

    __tablename__ = "consents"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    team_aggregates: Mapped[bool] = mapped_column(default=False)
    hr_followup: Mapped[bool] = mapped_column(default=False)
    policy_version: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentChange(db.Model):
    """One recorded decision on one consent: given or withdrawn, when, under which policy version."""

    __tablename__ = "consent_changes"
    __table_args__ = (
        CheckConstraint("consent IN ('team_aggregates', 'hr_followup')", name="consent_known"),
        Index("ix_consent_changes_user_at", "user_id", "changed_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    consent: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool]
    policy_version: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
