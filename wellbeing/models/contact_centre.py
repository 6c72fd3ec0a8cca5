"""The contact-centre platform: events received, calls seen per contact, rule mappings, recovery breaks."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id

PLATFORMS = ("amazon_connect", "genesys")
RULE_KINDS = ("complaint", "abusive")
RECOVERY_CONNECTORS = ("amazon_connect", "genesys", "webhook")
RECOVERY_STATUSES = ("requested", "applied", "restored", "failed", "declined", "ended_early")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PlatformEvent(db.Model):
    """One event received from a platform, kept so a redelivery of the same event id changes nothing."""

    __tablename__ = "platform_events"
    __table_args__ = (
        CheckConstraint(_one_of("platform", PLATFORMS), name="platform_known"),
        UniqueConstraint("org_id", "platform", "event_id", name="uq_platform_events_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200))
    # what the event became: started, ended, rule, ignored (and why, in outcome_detail)
    outcome: Mapped[str] = mapped_column(String(16))
    outcome_detail: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PlatformContact(db.Model):
    """One call (a platform contact) of one agent, as its events arrive in any order."""

    __tablename__ = "platform_contacts"
    __table_args__ = (
        CheckConstraint(_one_of("platform", PLATFORMS), name="platform_known"),
        UniqueConstraint("org_id", "platform", "contact_id", name="uq_platform_contacts_contact"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    # the call end recorded through the generic call-event logic (its id), once the end is known
    call_event_id: Mapped[str | None] = mapped_column(String(36))


class PlatformRule(db.Model):
    """An organization's mapping: a platform rule name or category that marks a call as complaint or abusive."""

    __tablename__ = "platform_rules"
    __table_args__ = (
        CheckConstraint(_one_of("platform", PLATFORMS), name="platform_known"),
        CheckConstraint(_one_of("kind", RULE_KINDS), name="kind_known"),
        UniqueConstraint("org_id", "platform", "name", name="uq_platform_rules_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    # compared case-insensitively, stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))


class RecoverySettings(db.Model):
    """An organization's recovery breaks: on or off, minutes, and the connector that changes the agent's state.

    ``config`` holds the connector's non-secret settings; ``secret_ciphertext`` its secret (webhook secret, or
    the platform credentials as JSON), encrypted at rest bound to the organization's id.
    """

    __tablename__ = "recovery_settings"
    __table_args__ = (
        CheckConstraint("minutes >= 1 AND minutes <= 5", name="minutes_range"),
        CheckConstraint("connector IS NULL OR " + _one_of("connector", RECOVERY_CONNECTORS), name="connector_known"),
    )

    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    minutes: Mapped[int] = mapped_column(Integer, default=2)
    connector: Mapped[str | None] = mapped_column(String(16))
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecoveryOptIn(db.Model):
    """An agent's own choice to take recovery breaks (nobody else sees it)."""

    __tablename__ = "recovery_opt_ins"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    opted_in: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecoveryBreak(db.Model):
    """The ledger of one recovery break: requested -> applied -> restored, or failed (and why), declined or
    ended early by the agent. ``next_attempt_at`` is the persisted due time of the next step (apply or
    restore), so a restarted scheduler picks up exactly where the last one stopped."""

    __tablename__ = "recovery_breaks"
    __table_args__ = (
        CheckConstraint(_one_of("status", RECOVERY_STATUSES), name="status_known"),
        CheckConstraint(_one_of("connector", RECOVERY_CONNECTORS), name="connector_known"),
        Index("ix_recovery_breaks_due", "next_attempt_at"),
        Index("ix_recovery_breaks_user_requested", "user_id", "requested_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    connector: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the break runs [starts_at, ends_at): its restore is due at ends_at
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the agent declined (before it applied) or ended it early (then it is restored at once)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    # the state the agent was in before (restored afterwards), when the platform says
    previous_state: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prompt_id: Mapped[str | None] = mapped_column(String(36))
