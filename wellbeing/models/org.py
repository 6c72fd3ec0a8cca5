"""Organizations (tenants), teams, effective-dated team membership and team supervisors."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.clock import utcnow
from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id


class Organization(db.Model):
    """A tenant: nobody ever sees another organization's data."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("roster_min >= 8", name="roster_min_at_least_8"),
        CheckConstraint("epsilon_per_month >= 1 AND epsilon_per_month <= 10", name="epsilon_range"),
        CheckConstraint("retention_days >= 30", name="retention_days_min"),
        CheckConstraint("country IS NULL OR length(country) = 2", name="country_alpha2"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    roster_min: Mapped[int] = mapped_column(default=8)
    epsilon_per_month: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("3"))
    help_lines: Mapped[list] = mapped_column(JSON, default=list)
    # ISO 3166-1 alpha-2, chosen by an admin; null follows the time zone (wellbeing.org.countries.org_country).
    country: Mapped[str | None] = mapped_column(String(2))
    retention_days: Mapped[int] = mapped_column(default=730)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Team(db.Model):
    """A team of agents inside one organization."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))


class TeamMembership(db.Model):
    """One stretch of a user's membership of a team: [valid_from, valid_to), open while valid_to is null."""

    __tablename__ = "team_memberships"
    __table_args__ = (
        # At most one open membership per user, enforced by the database under concurrency.
        Index(
            "uq_team_memberships_open",
            "user_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("ix_team_memberships_team_period", "team_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TeamSupervisor(db.Model):
    """A supervisor leads a team; a supervisor may lead several teams."""

    __tablename__ = "team_supervisors"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
