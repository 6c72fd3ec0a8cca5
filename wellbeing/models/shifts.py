"""Shifts imported from workforce management, and the stretches of time each import covers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
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


class ShiftFeed(db.Model):
    """An iCalendar feed of shifts: one agent's (``user_id``) or the organization's (agents named by ATTENDEE).

    The URL often carries an access token, so it is encrypted at rest bound to the row's id. The refresh job
    asks with the stored ETag / Last-Modified; ``last_error`` and ``failures`` are the state the admin sees.
    """

    __tablename__ = "shift_feeds"
    __table_args__ = (Index("ix_shift_feeds_next_check", "next_check_at"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url_ciphertext: Mapped[str] = mapped_column(Text)
    url_host: Mapped[str] = mapped_column(String(255))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
