"""Credentials state: refresh-token families, login failures for throttling, organization API keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.clock import utcnow
from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id


class AuthSession(db.Model):
    """A refresh-token family: one sign-in on one device.

    Only the newest refresh token (``refresh_jti``) is valid; presenting an older
    one means it was stolen or replayed, and the whole family is revoked.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_jti: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    # A console sign-in also ends after this many seconds without a refresh (None: no idle limit, the phone app).
    idle_timeout: Mapped[int | None] = mapped_column()
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """One failed sign-in, kept for the throttling window (counted per account and per address)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(db.Model):
    """An organization's integration key (call events); only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))


class RateLimitCounter(db.Model):
    """A fixed-window request counter, shared by every worker (the default rate-limit storage)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    # Seconds since the epoch, as the limits library counts them.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class AccountToken(db.Model):
    """A one-time link's secret (invitation or password reset); only its SHA-256 is stored."""

    __tablename__ = "account_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'reset')", name="purpose_known"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutgoingMail(db.Model):
    """A message waiting for the mail job (written in the transaction that decided to send it)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    # The bodies carry the one-time link; they are blanked once the message is sent.
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
