"""Which cells a team gets in a month (by consenting roster size), their budget split, and residual pooling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from wellbeing.trends.privacy.budget import CellBudget, epsilon_to_micro, ledger_months

ROSTER_FLOOR = 8
HIGH_RISK_FROM = 30
WEEKLY_FROM = 50
DEFAULT_EPSILON_PER_MONTH = 3
POOLED = "pooled"
# A calendar month touches at most six ISO weeks (a 30- or 31-day month that starts on a
# Saturday or Sunday), and a straddling week is charged to both months it touches.
WEEK_SLOTS = 6

MEAN_METRICS = ("burnout_risk", "participation")
SHARE_METRIC = "high_risk_share"


@dataclass(frozen=True)
class CellSpec:
    """One kind of cell to release for a team: its period length, published metrics and budget."""

    granularity: Literal["month", "week"]
    metrics: tuple[str, ...]
    budget: CellBudget


@dataclass(frozen=True)
class CellPlan:
    """Everything one team releases for one calendar month."""

    granularity: Literal["pooled", "month", "week"]
    cells: tuple[CellSpec, ...]

    @property
    def month_cost(self) -> int:
        """Worst-case micro-epsilon one person-month spends under this plan."""
        return sum(
            spec.budget.total * (WEEK_SLOTS if spec.granularity == "week" else 1) for spec in self.cells
        )


def plan_cells(
    consenting_roster_size: int,
    *,
    roster_min: int = ROSTER_FLOOR,
    epsilon_per_month: Decimal | int | str | float = DEFAULT_EPSILON_PER_MONTH,
) -> CellPlan:
    """The cells and budget split for a team whose consenting roster at the month's start is this size.

    Under `roster_min`: no cells of its own (the people count in the pooled cell). 8-49: one
    monthly cell, with a high-risk share from 30. 50 and more: weekly mean cells plus one monthly
    high-risk share cell. The split never spends more than `epsilon_per_month` per person-month.
    """
    if roster_min < ROSTER_FLOOR:
        raise ValueError(f"roster_min must be at least {ROSTER_FLOOR}, got {roster_min}")
    if consenting_roster_size < 0:
        raise ValueError("a roster size cannot be negative")
    limit = epsilon_to_micro(epsilon_per_month)
    if consenting_roster_size < roster_min:
        return CellPlan("pooled", ())
    if consenting_roster_size < HIGH_RISK_FROM:
        # N 1/6, S 5/6: 0.5 and 2.5 at epsilon 3 (anonymity.md 5.2).
        budget = CellBudget(count=limit // 6, sum=limit * 5 // 6)
        return CellPlan("month", (CellSpec("month", MEAN_METRICS, budget),))
    if consenting_roster_size < WEEKLY_FROM:
        budget = CellBudget(count=limit // 6, sum=limit * 2 // 3, high_risk=limit // 6)
        return CellPlan("month", (CellSpec("month", (*MEAN_METRICS, SHARE_METRIC), budget),))
    # One quarter for the monthly share cell (its own count decides its suppression and is its
    # denominator), three quarters over six week slots, split N:S about 1:3 as in 5.3.
    week = CellBudget(count=limit * 3 // 100, sum=limit * 19 // 200)
    share = CellBudget(count=limit // 12, high_risk=limit // 6)
    return CellPlan("week", (CellSpec("week", MEAN_METRICS, week), CellSpec("month", (SHARE_METRIC,), share)))


def assign_cells(rosters: Mapping[str, int], *, roster_min: int = ROSTER_FLOOR) -> dict[str, str]:
    """Map each team id to the cell that holds its people: its own id, or `POOLED`.

    Teams under `roster_min` go to the organization's pooled cell; a team at or above it always keeps
    its own cell. A pool that is itself under `roster_min` releases nothing that month (its people are
    in no published figure): differential privacy protects every released cell, and the floor is an
    extra safeguard, never a reason to hide a team that meets it.
    """
    return {team: POOLED if size < roster_min else team for team, size in rosters.items()}


def weekly_release_allowed(week_start: date, plans_by_month: Mapping[date, CellPlan]) -> bool:
    """True when the team may release the ISO week starting `week_start` as a weekly cell.

    The week is charged to every month it touches, and only a weekly plan reserves room for it:
    a week bordering a month with a monthly (or pooled) plan is left to that month's cells.
    `plans_by_month` is keyed by the first day of each month.
    """
    if week_start.isoweekday() != 1:
        raise ValueError("an ISO week starts on a Monday")
    months = ledger_months(week_start, week_start + timedelta(days=6))
    return all(month in plans_by_month and plans_by_month[month].granularity == "week" for month in months)
