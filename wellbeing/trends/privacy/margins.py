"""90% noise margins of published values, computed from the known Laplace noise (post-processing only)."""

from __future__ import annotations

import math
from dataclasses import dataclass

COVERAGE = 0.90
_NEGLIGIBLE = 1e-12  # count-noise mass beyond this is folded into the last term


@dataclass(frozen=True)
class DiscreteLaplace:
    """OpenDP's integer Laplace noise: P(k) proportional to t**|k|, with t = exp(-1 / scale)."""

    t: float

    @classmethod
    def of_scale(cls, scale: float) -> DiscreteLaplace:
        return cls(math.exp(-1 / scale))

    @classmethod
    def of_variance(cls, variance: float) -> DiscreteLaplace:
        """The discrete Laplace with this variance: exact for one mechanism, and a close match
        (within 1% at the 90% level) for a sum of several, which is what a parent carries."""
        # Root of variance * (1 - t)**2 = 2 * t, written without cancellation for tiny variances.
        return cls(variance / ((variance + 1) + math.sqrt(2 * variance + 1)))

    @property
    def variance(self) -> float:
        return 2 * self.t / (1 - self.t) ** 2

    def cdf(self, k: int) -> float:
        """P(X <= k)."""
        if k >= 0:
            return 1 - self.t ** (k + 1) / (1 + self.t)
        return self.t ** (-k) / (1 + self.t)

    def pmf(self, k: int) -> float:
        return (1 - self.t) / (1 + self.t) * self.t ** abs(k)

    def between(self, low: float, high: float) -> float:
        """P(low <= X <= high) for real bounds."""
        if high < low:
            return 0.0
        return self.cdf(math.floor(high)) - self.cdf(math.ceil(low) - 1)

    def reach(self) -> int:
        """A k >= 1 with P(|X| > k) below the negligible mass."""
        if self.t == 0:
            return 1
        return max(1, math.ceil(math.log(_NEGLIGIBLE * (1 + self.t) / 2) / math.log(self.t)))


def laplace_variance(scale: float) -> float:
    """Variance of the discrete Laplace OpenDP samples on integers at this scale."""
    return DiscreteLaplace.of_scale(scale).variance


def count_margin(var_count: float) -> int:
    """Smallest k with P(|count noise| <= k) >= 90%."""
    noise = DiscreteLaplace.of_variance(var_count)
    k = 0
    while noise.between(-k, k) < COVERAGE:
        k += 1
    return k


def mean_margin(
    centred_mean: float, den: float, bounds: tuple[float, float], var_sum: float, var_count: float
) -> float:
    """Half-width t with P(|mean error| <= t) >= 90% for the estimator 50 + S~ / clip(N~, *bounds).

    Plug-in model: the published mean and denominator stand for the true ones; the error is
    (m * n + X_S) / clip(n + X_N) - m, summed exactly over the count noise X_N (including the
    denominator's clipping) with the sum noise X_S integrated in closed form.
    """
    sum_noise = DiscreteLaplace.of_variance(var_sum)
    count_noise = DiscreteLaplace.of_variance(var_count)
    terms = _denominator_terms(den, bounds, count_noise)

    def covered(t: float) -> float:
        base = centred_mean * den
        return sum(
            mass * sum_noise.between(d * (centred_mean - t) - base, d * (centred_mean + t) - base)
            for d, mass in terms
        )

    low, high = 0.0, 100.0
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (low, mid) if covered(mid) >= COVERAGE else (mid, high)
    return high


def _denominator_terms(
    den: float, bounds: tuple[float, float], noise: DiscreteLaplace
) -> list[tuple[float, float]]:
    """(clipped denominator, probability) for each count-noise value that moves it."""
    lower, upper = bounds
    first = max(math.floor(lower - den), -noise.reach())
    last = min(math.ceil(upper - den), noise.reach())
    terms = [(min(max(den + k, lower), upper), noise.pmf(k)) for k in range(first + 1, last)]
    terms.append((min(max(den + first, lower), upper), noise.cdf(first)))
    terms.append((min(max(den + last, lower), upper), 1 - noise.cdf(last - 1)))
    return terms
