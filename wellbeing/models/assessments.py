"""Questionnaire results, the instruments each organization enables, and burnout-risk snapshots."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.clock import utcnow
from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id


class OrgInstrument(db.Model):
    """An admin's decision to offer (or not) one instrument; without a row the instrument's default applies."""

    __tablename__ = "org_instruments"

    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool]
    # The organization's retake rhythm in days; None keeps the instrument's own (surveys/*.json: reminder_days)
    reminder_days: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Assessment(db.Model):
    """One completed questionnaire: the answers as given and the scores of the instrument version used."""

    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_user_completed", "user_id", "completed_at"),
        Index("ix_assessments_user_instrument_completed", "user_id", "instrument_id", "completed_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(32))
    instrument_version: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict] = mapped_column(JSON)  # item id -> option value as answered (null: left out)
    scores: Mapped[dict] = mapped_column(JSON)  # scale -> rounded for display
    unrounded: Mapped[dict] = mapped_column(JSON)  # scale -> exact value as a float (bands were decided on it)
    bands: Mapped[dict] = mapped_column(JSON)
    alerts: Mapped[list] = mapped_column(JSON)  # the alert rules that fired, with their values
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the support block was first offered for this result's alerts (null: none fired).
    support_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))


class RiskSnapshot(db.Model):
    """A burnout-risk result, valid from computed_at until the user's next snapshot (stored only on change)."""

    __tablename__ = "risk_snapshots"
    __table_args__ = (
        CheckConstraint(
            "level IN ('low', 'moderate', 'high', 'very_high', 'insufficient_data')", name="level_known"),
        CheckConstraint("score IS NULL OR expires_at IS NOT NULL", name="score_expires"),
        Index("ix_risk_snapshots_user_computed", "user_id", "computed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    level: Mapped[str] = mapped_column(String(24))
    score: Mapped[float | None] = mapped_column(Float)  # one decimal; null when insufficient_data
    unrounded_score: Mapped[float | None] = mapped_column(Float)
    factors: Mapped[list] = mapped_column(JSON)  # [{"name", "value", "weight", "input_value"}]
    flags: Mapped[list] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(40))
    inputs: Mapped[dict] = mapped_column(JSON)  # which scores and diary signals the result was computed from
    # When the first input it used ages past its recency window: the result is current until then (never
    # counted as a value after it), and a read or the nightly job recomputes it. Null only without a score.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
