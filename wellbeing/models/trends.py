"""Published team-trend cells (frozen), the noisy answers behind them, pooling per period, and the privacy ledger."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.db import UTCDateTime, db

POOLED_CELL = "pooled"


class TrendRelease(db.Model):
    """One cell of one period, released once: the raw noisy answers and their scales (never shown as such).

    The unique key is what makes a release happen once, even when two release jobs race.
    """

    __tablename__ = "trend_releases"
    __table_args__ = (
        UniqueConstraint("org_id", "cell", "granularity", "period_start"),
        CheckConstraint("granularity IN ('month', 'week')", name="granularity_known"),
        CheckConstraint("status IN ('released', 'suppressed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    cell: Mapped[str] = mapped_column(String(36))  # a team id or "pooled"
    granularity: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    status: Mapped[str] = mapped_column(String(12))
    metrics: Mapped[str] = mapped_column(String(80))  # comma-separated metrics the cell was planned for
    roster_size: Mapped[int]  # consenting roster (the plan's input; never published, nor used by a figure)
    # Agents on the cell's team(s) at the roster instant, consenting or not: the only roster a figure may use.
    # Null on releases made before it was recorded (their figures used roster_size).
    public_roster: Mapped[int | None]
    noisy_count: Mapped[int | None]
    noisy_sum: Mapped[int | None]
    noisy_high_risk: Mapped[int | None]
    scale_count: Mapped[float | None] = mapped_column(Float)
    scale_sum: Mapped[float | None] = mapped_column(Float)
    scale_high_risk: Mapped[float | None] = mapped_column(Float)
    epsilon_micro: Mapped[int]  # charged to each ledger month the period touches; 0 when nothing ran
    opendp_version: Mapped[str] = mapped_column(String(16))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrendCell(db.Model):
    """One published figure: a cell's metric for a period. Inserted once, never updated."""

    __tablename__ = "trend_cells"
    __table_args__ = (
        UniqueConstraint("org_id", "cell", "metric", "granularity", "period_start"),
        CheckConstraint("status IN ('released', 'suppressed', 'pooled')", name="status_known"),
        CheckConstraint("granularity IN ('month', 'week')", name="granularity_known"),
        Index("ix_trend_cells_read", "org_id", "cell", "metric", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    cell: Mapped[str] = mapped_column(String(36))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("trend_releases.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(24))
    granularity: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    value: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(12))  # the band of a high-risk share
    margin: Mapped[float | None] = mapped_column(Float)
    approx_contributors: Mapped[int | None]
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrendPoolMember(db.Model):
    """A team whose people counted in another cell (the pooled cell) for one month."""

    __tablename__ = "trend_pool_members"

    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    cell: Mapped[str] = mapped_column(String(36))
    roster_size: Mapped[int]


class TrendPeriod(db.Model):
    """A period the release job has processed for an organization (written with its cells, in one transaction)."""

    __tablename__ = "trend_periods"
    __table_args__ = (CheckConstraint("granularity IN ('month', 'week')", name="granularity_known"),)

    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    granularity: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacyLedger(db.Model):
    """Micro-epsilon spent by one cell's people in one calendar month, against the limit set at its creation."""

    __tablename__ = "privacy_ledger"
    __table_args__ = (CheckConstraint("spent_micro <= limit_micro", name="within_limit"),)

    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    cell: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    limit_micro: Mapped[int]
    spent_micro: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacyPersonLedger(db.Model):
    """Micro-epsilon spent in one calendar month on released cells that could include one person.

    Every cell charges each person it may include, in every month its period touches, before it is
    released; a person who cannot pay is left out of the cell. So for every person and month the
    spend of all figures that could include them stays within the limit, whatever the team moves.
    """

    __tablename__ = "privacy_person_ledger"
    __table_args__ = (
        CheckConstraint("spent_micro <= limit_micro", name="within_limit"),
        CheckConstraint("spent_micro = team_monthly_micro + team_weekly_micro + pooled_micro", name="kinds_add_up"),
        Index("ix_privacy_person_ledger_org_month", "org_id", "month"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    limit_micro: Mapped[int]
    spent_micro: Mapped[int] = mapped_column(default=0)
    team_monthly_micro: Mapped[int] = mapped_column(default=0)
    team_weekly_micro: Mapped[int] = mapped_column(default=0)
    pooled_micro: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
