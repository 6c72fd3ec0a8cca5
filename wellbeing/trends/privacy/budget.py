"""Exact privacy-budget arithmetic: micro-epsilon integers, per-cell budgets and the ledger's spending rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

MICRO = 1_000_000


@dataclass(frozen=True)
class CellBudget:
    """Micro-epsilon given to each mechanism of one cell; 0 means the mechanism is not run."""

    count: int
    sum: int = 0
    high_risk: int = 0

    @property
    def total(self) -> int:
        """What the cell charges to the ledger of every month it touches."""
        return self.count + self.sum + self.high_risk


def epsilon_to_micro(epsilon: Decimal | int | str | float) -> int:
    """Convert an epsilon (e.g. the org's `epsilon_per_month`) to micro-epsilon, rounding down.

    Rounding down means a limit can only shrink by conversion, never grow. A float goes through
    `str()` so 2.5 stays the 2.5 the admin typed rather than its binary neighbour.
    """
    if isinstance(epsilon, bool):
        raise TypeError("epsilon must be a number, not a bool")
    value = Decimal(str(epsilon))
    if not value.is_finite() or value <= 0:
        raise ValueError(f"epsilon must be a positive finite number, got {epsilon!r}")
    return int((value * MICRO).to_integral_value(rounding=ROUND_FLOOR))


def micro_to_epsilon(micro: int) -> Decimal:
    """The exact decimal epsilon of a micro-epsilon amount, for display and reports."""
    return Decimal(micro).scaleb(-6)


def can_spend(spent: int, request: int, limit: int) -> bool:
    """True when `request` more micro-epsilon keeps `spent` within `limit` (all integers, so exact).

    Floats are refused: summing many small float epsilons drifts, and drift in the wrong
    direction would let a ledger spend past its limit.
    """
    for name, amount in (("spent", spent), ("request", request), ("limit", limit)):
        if type(amount) is not int:
            raise TypeError(f"{name} must be an int of micro-epsilon, got {type(amount).__name__}")
        if amount < 0:
            raise ValueError(f"{name} must not be negative, got {amount}")
    return spent + request <= limit


def ledger_months(period_start: date, period_end: date) -> tuple[date, ...]:
    """First day of every calendar month that the period [start, end] (end inclusive) touches.

    A cell is charged in full to each of them: an ISO week straddling two months carries data
    of both months, so each month's budget pays for it.
    """
    if period_end < period_start:
        raise ValueError("period_end is before period_start")
    months = []
    month = period_start.replace(day=1)
    while month <= period_end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return tuple(months)
