"""Accountability records the agent can see: HR's reads of their data and the receipts of their erasures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id


class AccessLogEntry(db.Model):
    """One HR access to an agent's individual data: who, when, what, for which purpose.

    It holds ids, actions and the stated purpose, never the data that was read.
    """

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_subject_at", "subject_id", "at"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Kept when the reader's account goes: the agent still sees that a read happened and by which role.
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(36))
    disclosed: Mapped[list] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ErasureReceipt(db.Model):
    """What one ``DELETE /me/data`` erased: rows per table, and when."""

    __tablename__ = "erasure_receipts"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
