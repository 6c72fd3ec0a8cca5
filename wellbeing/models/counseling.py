"""Counseling follow-ups: cases, their history, appointments and the reminders of both parties."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id

OPENERS = ("agent", "hr", "alert")
CASE_STATUSES = ("open", "closed")
MODES = ("in_person", "phone", "video")
APPOINTMENT_STATES = ("proposed", "accepted", "declined", "reschedule_requested", "cancelled", "completed", "no_show")
REMINDER_KINDS = ("24h", "1h", "follow_up")
REMINDER_STATUSES = ("pending", "sent", "cancelled", "skipped")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class CounselingCase(db.Model):
    """A counseling follow-up of one agent.

    HR sees a case only when the agent referred themselves or consents to ``hr_followup``.
    ``reason_ciphertext`` (the agent's words, for HR) and ``hr_notes_ciphertext`` (HR's own notes,
    never shown to the agent) are encrypted at rest, each bound to this row's id.
    """

    __tablename__ = "counseling_cases"
    __table_args__ = (
        CheckConstraint(_one_of("opened_by", OPENERS), name="opened_by_known"),
        CheckConstraint(_one_of("status", CASE_STATUSES), name="status_known"),
        # One open alert case per agent, so repeated alerts cannot pile up cases (holds under concurrency).
        Index("uq_counseling_cases_open_alert", "user_id", unique=True,
              sqlite_where=text("opened_by = 'alert' AND status = 'open'"),
              postgresql_where=text("opened_by = 'alert' AND status = 'open'")),
        Index("ix_counseling_cases_org_opened", "org_id", "opened_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    opened_by: Mapped[str] = mapped_column(String(8))
    opened_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default="open")
    reason_category: Mapped[str | None] = mapped_column(String(32))
    reason_ciphertext: Mapped[str | None] = mapped_column(Text)
    preferred_times: Mapped[list] = mapped_column(JSON, default=list)
    risk_level_at_opening: Mapped[str | None] = mapped_column(String(24))
    hr_notes_ciphertext: Mapped[str | None] = mapped_column(Text)
    next_follow_up_on: Mapped[date | None] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))


class CounselingCaseEvent(db.Model):
    """One step in a case's history (structured, never free text), shown to the agent and to HR."""

    __tablename__ = "counseling_case_events"
    __table_args__ = (Index("ix_counseling_case_events_case_at", "case_id", "at"),)

    # A sequence, so steps taken in the same instant keep the order they were taken in.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("counseling_cases.id", ondelete="CASCADE"))
    appointment_id: Mapped[str | None] = mapped_column(
        ForeignKey("counseling_appointments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_role: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CounselingAppointment(db.Model):
    """A session HR proposes to the agent; ``counselor_id`` is the HR person who holds it."""

    __tablename__ = "counseling_appointments"
    __table_args__ = (
        CheckConstraint(_one_of("mode", MODES), name="mode_known"),
        CheckConstraint(_one_of("state", APPOINTMENT_STATES), name="state_known"),
        CheckConstraint("duration_minutes BETWEEN 10 AND 240", name="duration_range"),
        Index("ix_counseling_appointments_counselor_start", "counselor_id", "starts_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("counseling_cases.id", ondelete="CASCADE"), index=True)
    counselor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int]
    mode: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(24), default="proposed")
    preferred_times: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))


class CounselingReminder(db.Model):
    """A reminder due to one person; once sent it is an item of that person's in-app inbox.

    ``for_starts_at`` / ``for_date`` record what the reminder was planned for, so a reminder
    of a moved or cancelled appointment (or follow-up) is never sent.
    """

    __tablename__ = "counseling_reminders"
    __table_args__ = (
        CheckConstraint(_one_of("kind", REMINDER_KINDS), name="kind_known"),
        CheckConstraint(_one_of("status", REMINDER_STATUSES), name="status_known"),
        Index("ix_counseling_reminders_status_due", "status", "due_at"),
        Index("ix_counseling_reminders_recipient_sent", "recipient_id", "sent_at"),
        Index("uq_counseling_reminders_pending_appointment", "appointment_id", "recipient_id", "kind", unique=True,
              sqlite_where=text("status = 'pending' AND appointment_id IS NOT NULL"),
              postgresql_where=text("status = 'pending' AND appointment_id IS NOT NULL")),
        Index("uq_counseling_reminders_pending_follow_up", "case_id", unique=True,
              sqlite_where=text("status = 'pending' AND kind = 'follow_up'"),
              postgresql_where=text("status = 'pending' AND kind = 'follow_up'")),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("counseling_cases.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[str | None] = mapped_column(
        ForeignKey("counseling_appointments.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    for_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    for_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
