"""Users: one role each, inside one organization, with their timezone, locale and working hours."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from wellbeing.core.clock import utcnow
from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id
from wellbeing.models.org import TeamMembership

ROLES = ("agent", "supervisor", "hr", "admin")

DEFAULT_WORK_HOURS = {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}


def default_work_hours() -> dict:
    """A fresh copy of the default working week (Monday to Friday, 09:00-18:00)."""
    return dict(DEFAULT_WORK_HOURS, days=list(DEFAULT_WORK_HOURS["days"]))


class User(db.Model):
    """A person who signs in: an agent, a supervisor, HR or an admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('agent', 'supervisor', 'hr', 'admin')", name="role_known"),
        CheckConstraint("locale IN ('en', 'zh-CN')", name="locale_known"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    # Stored lower-cased; e-mail is the login name, so it is unique across organizations.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # None while an invitation is pending: nobody, not even the admin who invited, knows a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Set by an admin: sign-in refuses it until the owner chooses their own.
    password_temporary: Mapped[bool] = mapped_column(default=False)
    # A deactivated user keeps their data but cannot sign in, and drops out of prompts, reminders and rosters.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    work_hours: Mapped[dict] = mapped_column(JSON, default=default_work_hours)
    quiet_hours: Mapped[dict | None] = mapped_column(JSON)
    # The user's id on each contact-centre platform ({"amazon_connect": "<user id>", "genesys": "<user id>"})
    external_ids: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised with every change to a settled (past) day of the user's diary, in the same transaction; insights
    # cache the sums of whole past days under it (wellbeing/diary/rollup.py, "settled days").
    diary_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

    @property
    def active(self) -> bool:
        """False once an admin deactivated the account."""
        return self.deactivated_at is None

    @property
    def status(self) -> str:
        """invited (no password yet), active or deactivated."""
        if self.deactivated_at is not None:
            return "deactivated"
        return "invited" if self.password_hash is None else "active"


# The team of the user's open membership, loaded with the user (the history stays in team_memberships).
User.team_id = column_property(
    select(TeamMembership.team_id)
    .where(TeamMembership.user_id == User.id, TeamMembership.valid_to.is_(None))
    .correlate_except(TeamMembership)
    .scalar_subquery()
)
