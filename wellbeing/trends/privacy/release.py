"""Published figures of a cell from its noisy answers (value, margin, status, bands); parents from children."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeVar

from wellbeing.trends.privacy.budget import micro_to_epsilon
from wellbeing.trends.privacy.cells import ROSTER_FLOOR, CellSpec
from wellbeing.trends.privacy.margins import count_margin, laplace_variance, mean_margin
from wellbeing.trends.privacy.mechanisms import CENTRE, OPENDP_VERSION, NoiseScales, NoisyAnswers, measure, person_score

MIN_NOISY_COUNT = 5
METRICS = ("burnout_risk", "participation", "high_risk_share")
T = TypeVar("T", int, float)


@dataclass(frozen=True)
class Figures:
    """What a reader may see for one cell or parent: values, their 90% noise margins, status."""

    status: Literal["released", "suppressed", "pooled"]
    approx_contributors: int | None = None
    burnout_risk: float | None = None
    burnout_risk_margin: float | None = None
    participation: float | None = None
    participation_margin: float | None = None
    high_risk_share: str | None = None

    def point(self, metric: str) -> dict[str, object]:
        """The API series entry for `metric` (without the period); a metric the cell lacks is suppressed."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}")
        value = getattr(self, metric)
        if self.status != "released" or value is None:
            status = "pooled" if self.status == "pooled" else "suppressed"
            return {"status": status, "value": None, "margin": None, "approx_contributors": None}
        margin = getattr(self, f"{metric}_margin", None)
        return {
            "status": "released",
            "value": value,
            "margin": margin,
            "approx_contributors": self.approx_contributors,
        }


POOLED_FIGURES = Figures("pooled")


@dataclass(frozen=True)
class CellRelease:
    """One released cell: the published figures plus what the ledger and an audit must keep."""

    figures: Figures
    noisy: NoisyAnswers
    scales: NoiseScales
    public_roster: int  # agents on the team(s) at the roster instant, consenting or not
    spec: CellSpec
    opendp_version: str = OPENDP_VERSION

    @property
    def epsilon_spent_micro(self) -> int:
        """Micro-epsilon charged to each ledger month the cell's period touches."""
        return self.spec.budget.total

    @property
    def epsilon_spent(self) -> Decimal:
        return micro_to_epsilon(self.epsilon_spent_micro)


@dataclass(frozen=True)
class _Totals:
    count: float  # an int for one cell; a mean of a team's weeks may be fractional
    centred_sum: float | None
    high_risk: float | None
    public_roster: float
    var_count: float
    var_sum: float | None


def round_to_five(count: int) -> int:
    """Nearest multiple of 5 (counts are integers, so there is no tie)."""
    return 5 * ((count + 2) // 5)


def high_risk_band(share: float) -> str:
    """Band label of a high-risk share; never an exact 0% or 100% (homogeneity)."""
    if share < 0.10:
        return "<10%"
    if share < 0.25:
        return "10-25%"
    if share <= 0.50:
        return "25-50%"
    return ">50%"


def _ceil(value: float, digits: int) -> float:
    """Round a margin up, so a shown margin is never narrower than the computed one."""
    factor = 10**digits
    return math.ceil(round(value * factor, 9)) / factor


def _figures(totals: _Totals, metrics: Sequence[str]) -> Figures:
    """Post-processing only: the estimators of anonymity.md 5.3 and their 90% noise margins.

    Every input is noisy (the answers) or public (the team's headcount, which the supervisor knows):
    never the consenting roster, whose exact size would tell who withdrew (docs/privacy.md).
    """
    roster = max(totals.public_roster, MIN_NOISY_COUNT)
    bounds = (MIN_NOISY_COUNT, roster)
    den = min(max(totals.count, bounds[0]), bounds[1])
    values: dict[str, object] = {}
    if "burnout_risk" in metrics:
        mean = min(max(CENTRE + totals.centred_sum / den, 0.0), 100.0)
        margin = mean_margin(mean - CENTRE, den, bounds, totals.var_sum, totals.var_count)
        values["burnout_risk"] = round(mean, 1)
        values["burnout_risk_margin"] = _ceil(margin, 1)
    if "participation" in metrics:
        values["participation"] = round(min(max(totals.count / roster, 0.0), 1.0), 2)
        values["participation_margin"] = _ceil(count_margin(totals.var_count) / roster, 2)
    if "high_risk_share" in metrics:
        values["high_risk_share"] = high_risk_band(min(max(totals.high_risk / den, 0.0), 1.0))
    approx = round_to_five(round(min(max(totals.count, 0), roster)))
    return Figures("released", approx, **values)


def publish(noisy: NoisyAnswers, scales: NoiseScales, public_roster: int, spec: CellSpec) -> CellRelease:
    """Turn a cell's noisy answers into its release; suppressed unless the noisy count reaches 5."""
    if noisy.count < MIN_NOISY_COUNT:
        figures = Figures("suppressed")
    else:
        totals = _Totals(
            noisy.count,
            noisy.centred_sum,
            noisy.high_risk,
            public_roster,
            laplace_variance(scales.count),
            _variance(scales.sum),
        )
        figures = _figures(totals, spec.metrics)
    return CellRelease(figures, noisy, scales, public_roster, spec)


def release_cell(
    values_per_person: Mapping[str, Sequence[float]],
    public_roster: int,
    spec: CellSpec,
    *,
    high_risk_at: int | None = None,
) -> CellRelease:
    """Release one cell: one bounded record per person, OpenDP's noisy count and sums, then post-processing.

    `values_per_person` maps each person the cell includes to their raw 0..100 values in the cell
    (any number, possibly none); keying by person is what keeps one person to one record.
    `high_risk_at` is the risk score from which a person counts as high risk (needed for a share).
    """
    if public_roster < ROSTER_FLOOR:
        raise ValueError(f"a cell needs a roster of at least {ROSTER_FLOOR}; pool it instead")
    if len(values_per_person) > public_roster:
        raise ValueError("more people than the roster")
    scores = [score for score in map(person_score, values_per_person.values()) if score is not None]
    noisy, scales = measure(scores, spec.budget, high_risk_at)
    return publish(noisy, scales, public_roster, spec)


def combine_cells(children: Sequence[CellRelease]) -> Figures:
    """Parent or organization figures from released children only: sums of their noisy answers.

    Pure post-processing, no raw data and no extra budget. Noise of different children is
    independent, so variances add. A metric is in the parent only if every released child has it.
    """
    return combine_monthly(children, ())


def combine_monthly(monthly: Sequence[CellRelease], weekly_teams: Sequence[Sequence[CellRelease]]) -> Figures:
    """Monthly figures from released monthly cells and, per team released by weeks, the mean of its weeks.

    Each person counts once: a weekly team's weeks are averaged (their noisy answers and variances, the
    variances divided by the number of weeks squared) into one monthly equivalent, never added up.
    """
    parts = [(_totals_of(child), child.spec.metrics) for child in monthly if child.figures.status == "released"]
    for weeks in weekly_teams:
        released = [week for week in weeks if week.figures.status == "released"]
        if released:
            parts.append((_mean_totals([_totals_of(week) for week in released]),
                          tuple(m for m in METRICS if all(m in week.spec.metrics for week in released))))
    if not parts:
        return Figures("suppressed")
    metrics = [metric for metric in METRICS if all(metric in part_metrics for _, part_metrics in parts)]
    totals = [part for part, _ in parts]
    return _figures(_Totals(
        sum(part.count for part in totals),
        _total(part.centred_sum for part in totals),
        _total(part.high_risk for part in totals),
        sum(part.public_roster for part in totals),
        sum(part.var_count for part in totals),
        _total(part.var_sum for part in totals),
    ), metrics)


def _totals_of(child: CellRelease) -> _Totals:
    return _Totals(child.noisy.count, child.noisy.centred_sum, child.noisy.high_risk, child.public_roster,
                   laplace_variance(child.scales.count), _variance(child.scales.sum))


def _mean_totals(parts: Sequence[_Totals]) -> _Totals:
    """The mean of independent noisy answers (so the variance of the mean is the sum over k squared)."""
    k = len(parts)
    centred = _total(part.centred_sum for part in parts)
    high = _total(part.high_risk for part in parts)
    var_sum = _total(part.var_sum for part in parts)
    return _Totals(sum(part.count for part in parts) / k, None if centred is None else centred / k,
                   None if high is None else high / k, sum(part.public_roster for part in parts) / k,
                   sum(part.var_count for part in parts) / k**2, None if var_sum is None else var_sum / k**2)


def _variance(scale: float | None) -> float | None:
    return None if scale is None else laplace_variance(scale)


def _total(parts: Iterable[T | None]) -> T | None:
    """Sum of parts, or None if any part is missing."""
    items = list(parts)
    return None if any(item is None for item in items) else sum(items)
