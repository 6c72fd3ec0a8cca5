"""Shifts imported from workforce management, and the stretches of time each import covers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id

SHIFT_SOURCES = ("api", "csv", "ical")
ACTIVITY_KINDS = ("break", "meal", "meeting", "training")


class Shift(db.Model):
    """One imported shift of an agent, with its scheduled activities (breaks, meals, meetings, training).

    ``activities`` is a list of ``{"kind", "start", "end"}`` with RFC 3339 UTC instants inside the shift.
    """

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint("source IN ('api', 'csv', 'ical')", name="source_known"),
        Index("ix_shifts_user_start", "user_id", "start_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    activities: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShiftCoverage(db.Model):
    """A stretch [start_at, end_at) for which an import gave the agent's shifts: inside it, no shift means off."""

    __tablename__ = "shift_coverage"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_shift_coverage_user_end", "user_id", "end_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(8))
