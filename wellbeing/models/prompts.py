"""Breathing and break prompts and questionnaire reminders: each agent's settings, the prompt ledger, push devices, deliveries, call events."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id

PROMPT_KINDS = ("breathing", "break", "questionnaire")
PROMPT_SOURCES = ("schedule", "tough_calls")
PROMPT_STATUSES = ("scheduled", "sent", "acknowledged", "completed", "snoozed", "dismissed", "expired")
CALL_EVENT_KINDS = ("started", "ended")
DEVICE_CHANNELS = ("webhook", "webpush", "fcm", "apns", "jpush")
QUESTIONNAIRE_FIELDS = ("(kind = 'questionnaire' AND instrument_id IS NOT NULL AND exercise_id IS NULL) OR "
                        "(kind <> 'questionnaire' AND instrument_id IS NULL AND exercise_id IS NOT NULL)")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PromptSettings(db.Model):
    """An agent's prompt settings and the planner's bookkeeping (how far ahead prompts are materialized).

    A row appears when the agent first saves settings or is first planned; without one the defaults apply.
    ``in_call_until`` is set while the contact-center system reports a live call, so nothing is pushed mid-call.
    """

    __tablename__ = "prompt_settings"
    __table_args__ = (Index("ix_prompt_settings_planned_until", "planned_until"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_call_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Prompt(db.Model):
    """One prompt in the ledger: scheduled -> sent -> acknowledged -> completed, or snoozed, dismissed, expired.

    ``claimed_until`` is a dispatcher's lease: while it lies in the future no other dispatcher takes the row;
    a dispatcher killed mid-delivery leaves a lease that simply runs out, so the prompt is not lost.
    """

    __tablename__ = "prompts"
    __table_args__ = (
        CheckConstraint(_one_of("kind", PROMPT_KINDS), name="kind_known"),
        CheckConstraint(_one_of("source", PROMPT_SOURCES), name="source_known"),
        CheckConstraint(_one_of("status", PROMPT_STATUSES), name="status_known"),
        # An exercise prompt names its exercise; a questionnaire reminder names its instrument instead
        CheckConstraint(QUESTIONNAIRE_FIELDS, name="questionnaire_fields"),
        UniqueConstraint("user_id", "kind", "due_at", name="uq_prompts_user_kind_due"),
        Index("ix_prompts_user_due", "user_id", "due_at"),
        # The dispatcher's claim looks only at live rows
        Index("ix_prompts_live_next_attempt", "next_attempt_at",
              sqlite_where=text("status IN ('scheduled', 'snoozed')"),
              postgresql_where=text("status IN ('scheduled', 'snoozed')")),
        # ... and at sent prompts one of whose devices still waits for a retry
        Index("ix_prompts_redeliver_next_attempt", "next_attempt_at",
              sqlite_where=text("redeliver"), postgresql_where=text("redeliver")),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    exercise_id: Mapped[str | None] = mapped_column(String(32))
    instrument_id: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="schedule")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the dispatcher may next try (the due time, then later after a failed attempt)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first time a phone reported showing it (POST /me/prompts/{id}/opened)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Sent, but a device that failed for the moment is retried alone at next_attempt_at
    redeliver: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class Device(db.Model):
    """A push target of one agent: a signed webhook, a Web Push subscription or an FCM, APNs or JPush token.

    What addresses the device (the webhook secret, the Web Push keys, the token) is encrypted at rest, bound to the
    row's id; `url` is the webhook URL or the Web Push endpoint (null for token channels), `hint` a masked form to
    show. The two windows count test notifications and deliveries in the current hour (the flood caps).
    """

    __tablename__ = "devices"
    __table_args__ = (CheckConstraint(_one_of("channel", DEVICE_CHANNELS), name="channel_known"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="webhook")
    url: Mapped[str | None] = mapped_column(String(2000))
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(String(16))
    hint: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Consecutive permanent failures (4xx, refused URL); the device is disabled at the limit
    permanent_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    tests_window_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tests_in_window: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sends_window_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sends_in_window: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))


class PromptDelivery(db.Model):
    """One delivery attempt of a prompt to a device: the log that says why a prompt did or did not arrive."""

    __tablename__ = "prompt_deliveries"
    __table_args__ = (Index("ix_prompt_deliveries_prompt", "prompt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    prompt_id: Mapped[str] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    # When the phone reported showing it (per device: the ledger's delivered/opened step)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallEvent(db.Model):
    """A call start or end reported by the organization's contact-center system (API key)."""

    __tablename__ = "call_events"
    __table_args__ = (
        CheckConstraint(_one_of("kind", CALL_EVENT_KINDS), name="kind_known"),
        Index("ix_call_events_user_at", "user_id", "at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

