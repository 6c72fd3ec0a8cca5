"""OpenDP 0.16 measurements on integer data: per-person contribution bounding and pure-epsilon Laplace noise."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import version

import opendp.prelude as dp

from wellbeing.trends.privacy.budget import MICRO, CellBudget

dp.enable_features("contrib")  # every constructor below sits behind this flag in 0.16

OPENDP_VERSION = version("opendp")
SCORE_MIN, SCORE_MAX = 0, 100
CENTRE = 50  # public shift: scores become -50..50, halving the sum's sensitivity
SENSITIVITY = {"count": 1, "sum": CENTRE, "high_risk": 1}
_CLAMP = {"sum": (-CENTRE, CENTRE), "high_risk": (0, 1)}
# Integer data with the symmetric distance: neighbours add or remove one person's record.
_SPACE = (dp.vector_domain(dp.atom_domain(T=int)), dp.symmetric_distance())


@dataclass(frozen=True)
class NoisyAnswers:
    """The raw differentially private outputs of a cell. Stored; never shown as such."""

    count: int
    centred_sum: int | None = None
    high_risk: int | None = None


@dataclass(frozen=True)
class NoiseScales:
    """Laplace scale of each mechanism that ran (None when it did not)."""

    count: float
    sum: float | None = None
    high_risk: float | None = None


def person_score(values: Sequence[float]) -> int | None:
    """One person's single record for a cell: entries clamped to 0..100, averaged, rounded to an integer.

    Forty entries yield one record, exactly like one entry does, which is what bounds a person's
    influence. None when the person has no entry (not a contributor).
    """
    if not values:
        return None
    if not all(math.isfinite(value) for value in values):
        raise ValueError("scores must be finite numbers")
    mean = sum(min(max(value, SCORE_MIN), SCORE_MAX) for value in values) / len(values)
    return math.floor(mean + 0.5)


def _chain(kind: str, scale: float) -> dp.Measurement:
    """The OpenDP chain of one mechanism; OpenDP's own clamp enforces the sensitivity."""
    if kind == "count":
        return _SPACE >> dp.t.then_count() >> dp.m.then_laplace(scale=scale)
    return _SPACE >> dp.t.then_clamp(_CLAMP[kind]) >> dp.t.then_sum() >> dp.m.then_laplace(scale=scale)


def _within(measurement: dp.Measurement, micro: int) -> bool:
    """Exact check that OpenDP's privacy map for one person is no more than the budget."""
    return Decimal(measurement.map(1)) * MICRO <= micro


@lru_cache(maxsize=128)
def measurement(kind: str, micro: int) -> tuple[dp.Measurement, float]:
    """The mechanism `kind` ("count", "sum", "high_risk") calibrated to `micro` micro-epsilon, and its scale.

    The scale starts at sensitivity / epsilon; OpenDP's float map can overshoot that by an ulp,
    so the scale is widened until the map is provably within budget.
    """
    if micro <= 0:
        raise ValueError("a mechanism needs a positive budget")
    scale = SENSITIVITY[kind] * MICRO / micro
    meas = _chain(kind, scale)
    for _ in range(64):
        if _within(meas, micro):
            return meas, scale
        scale *= 1 + 1e-12
        meas = _chain(kind, scale)
    raise RuntimeError(f"cannot calibrate the {kind} mechanism to {micro} micro-epsilon")


def measure(
    scores: Sequence[int], budget: CellBudget, high_risk_at: int | None
) -> tuple[NoisyAnswers, NoiseScales]:
    """Run the cell's mechanisms on one integer score per contributor."""
    count, count_scale = measurement("count", budget.count)
    noisy_count = count(list(scores))
    noisy_sum = sum_scale = noisy_high = high_scale = None
    if budget.sum:
        mech, sum_scale = measurement("sum", budget.sum)
        noisy_sum = mech([score - CENTRE for score in scores])
    if budget.high_risk:
        if high_risk_at is None:
            raise ValueError("a cell with a high-risk share needs high_risk_at")
        mech, high_scale = measurement("high_risk", budget.high_risk)
        noisy_high = mech([int(score >= high_risk_at) for score in scores])
    return NoisyAnswers(noisy_count, noisy_sum, noisy_high), NoiseScales(count_scale, sum_scale, high_scale)
