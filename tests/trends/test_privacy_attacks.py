"""The supervisor as adversary: differencing, repeated releases, epsilon audit, overspending, small groups.

OpenDP 0.16 cannot be seeded (its noise comes from the OS), so every test on noise is
distributional; each states its false-failure rate. Scores of simulated people use seeded
`random.Random` generators.
"""

import math
import random
from datetime import date, timedelta
from decimal import Decimal

import opendp.prelude as dp
import pytest

from wellbeing.trends.privacy import (
    assign_cells,
    can_spend,
    epsilon_to_micro,
    ledger_months,
    micro_to_epsilon,
    person_score,
    plan_cells,
    release_cell,
    weekly_release_allowed,
)
from wellbeing.trends.privacy.mechanisms import CENTRE, measurement

MONTH_8 = plan_cells(8).cells[0]
WEEK_50, SHARE_50 = plan_cells(50).cells
LIMIT = 3_000_000
Z = 5.0  # one-sided normal quantile of every confidence bound below: P(miss) = 2.9e-7


def naive_mean(scores, k=5):
    """What most vendors ship: the exact mean of a group of at least k people."""
    return sum(scores) / len(scores) if len(scores) >= k else None


def discrete_laplace_pmf(scale):
    t = math.exp(-1 / scale)
    return lambda k: (1 - t) / (1 + t) * t ** abs(k)


def wilson(hits, n):
    """Wilson score interval for a binomial proportion at Z."""
    p = hits / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def team(rng, size):
    return {f"p{i}": [rng.randint(0, 100)] for i in range(size)}


# --- differencing -----------------------------------------------------------------------------


def test_exact_aggregates_with_a_minimum_group_of_five_reveal_the_target_exactly():
    rng = random.Random(1)
    for _ in range(500):
        others = [rng.randint(0, 100) for _ in range(11)]
        target = rng.randint(0, 100)
        recovered = 12 * naive_mean(others + [target]) - 11 * naive_mean(others)
        assert abs(recovered - target) < 1e-9  # every attack succeeds: P(within +-10) = 1.0


def test_differencing_released_cells_pins_the_target_no_better_than_the_laplace_bound():
    # Worst case on purpose: the cell of a team of 8 released with and without the target (freeze
    # and the ledger forbid this), an attacker who knows the other 7 and reads the raw noisy sums.
    # x_hat - x is the difference of two discrete Laplace(20) draws; its exact P(|.| <= 10):
    pmf = discrete_laplace_pmf(20.0)
    bound = sum(pmf(k) * pmf(k - d) for d in range(-10, 11) for k in range(-800, 801))
    assert abs(bound - 0.253) < 0.001  # anonymity.md 5.7 quotes 0.253 at epsilon_S 2.5
    rng = random.Random(2)
    trials, hits = 1_500, 0
    for _ in range(trials):
        others = team(rng, 7)
        target = rng.randint(0, 100)
        with_target = release_cell({**others, "target": [target]}, 8, MONTH_8)
        without = release_cell(others, 8, MONTH_8)
        estimate = with_target.noisy.centred_sum - without.noisy.centred_sum + CENTRE
        hits += abs(estimate - target) <= 10
    # SE 0.011; 4 SE over the bound fails by chance with probability 3e-5.
    assert hits / trials <= bound + 4 * math.sqrt(bound * (1 - bound) / trials)


def test_averaging_re_releases_would_pin_the_target_so_a_spent_month_refuses_them():
    # 400 re-releases averaged: the difference noise SD falls to 28.3 * sqrt(2) / 20 = 2.0, so the
    # average lands within +-10 except with probability 6e-7. This is why cells are released once.
    rng = random.Random(3)
    others, target = team(rng, 7), 87
    diffs = [
        release_cell({**others, "target": [target]}, 8, MONTH_8).noisy.centred_sum
        - release_cell(others, 8, MONTH_8).noisy.centred_sum
        for _ in range(400)
    ]
    assert abs(sum(diffs) / len(diffs) + CENTRE - target) <= 10
    assert not can_spend(MONTH_8.budget.total, MONTH_8.budget.total, LIMIT)


# --- empirical epsilon audit ------------------------------------------------------------------

# Every mechanism the default plans calibrate (epsilon 3 per person-month): kind, micro-epsilon,
# samples per dataset. Larger epsilons need more samples because their tail events are rarer.
AUDITED = [
    ("count", 500_000, 6_000),
    ("count", 250_000, 6_000),
    ("count", 90_000, 6_000),
    ("sum", 2_500_000, 12_000),
    ("sum", 2_000_000, 12_000),
    ("sum", 285_000, 6_000),
    ("high_risk", 500_000, 6_000),
]


def neighbours(kind):
    """Records of seven others without and with a target who wrote 40 entries of 100, the true
    statistic without the target, and the target's effect on it.

    The target passes through the production contribution bounding (one record however many
    entries), so an entry-level leak would show up as a privacy loss far above epsilon.
    """
    others = [person_score([50])] * 7
    with_target = others + [person_score([100] * 40)]
    if kind == "sum":
        return [s - CENTRE for s in others], [s - CENTRE for s in with_target], 0, CENTRE
    if kind == "high_risk":
        return [int(s >= 70) for s in others], [int(s >= 70) for s in with_target], 0, 1
    return others, with_target, 7, 1


def sample(meas, records, n):
    """n independent runs of the production measurement, batched through OpenDP composition."""
    return dp.c.make_composition([meas] * n)(records)


@pytest.mark.parametrize(("kind", "micro", "n"), AUDITED)
def test_privacy_loss_on_tail_events_matches_the_planned_epsilon(kind, micro, n):
    # Events "output >= mu1 + j" and "output <= mu0 - j". For a correct discrete Laplace their
    # probability ratio between the neighbours is exactly e^epsilon, so the Z = 5 interval of the
    # log ratio must contain epsilon. Its lower end above epsilon would mean a leak (wrong
    # sensitivity, missing clamp, entry-level records); its upper end below, over-noising.
    # False failure: 4 bounds per event, 2.9e-7 each; 56 events in all: below 7e-5 per run.
    meas, scale = measurement(kind, micro)
    epsilon = micro / 1_000_000
    without, with_target, mu0, shift = neighbours(kind)
    out0, out1 = sample(meas, without, n), sample(meas, with_target, n)
    for j in (0, math.ceil(scale / 2)):
        for hits1, hits0 in (
            (sum(o >= mu0 + shift + j for o in out1), sum(o >= mu0 + shift + j for o in out0)),
            (sum(o <= mu0 - j for o in out0), sum(o <= mu0 - j for o in out1)),
        ):
            lo1, hi1 = wilson(hits1, n)
            lo0, hi0 = wilson(hits0, n)
            assert math.log(lo1 / hi0) <= epsilon
            assert math.log(hi1 / lo0) >= epsilon


# --- overspending: plans, ledger months and exact arithmetic ------------------------------


def test_no_plan_spends_more_than_epsilon_per_month():
    for epsilon in ("1", "2.5", 3, "7.777777", 10):
        limit = epsilon_to_micro(epsilon)
        for roster in range(0, 121):
            assert plan_cells(roster, epsilon_per_month=epsilon).month_cost <= limit


def test_default_plans_spend_exactly_three_per_person_month():
    assert [plan_cells(size).month_cost for size in (8, 30, 50)] == [3_000_000] * 3


def test_weekly_cells_fit_every_calendar_month_including_six_week_months():
    # Charge every ISO week of 2024-2031 to each month it touches, plus the monthly share cell.
    charges = {}
    monday = date(2023, 12, 25)
    while monday < date(2032, 1, 1):
        for month in ledger_months(monday, monday + timedelta(days=6)):
            charges[month] = charges.get(month, 0) + WEEK_50.budget.total
        monday += timedelta(days=7)
    months = [month for month in charges if date(2024, 1, 1) <= month < date(2032, 1, 1)]
    worst = max(charges[month] for month in months) + SHARE_50.budget.total
    assert worst == 6 * 375_000 + 750_000 == 3_000_000
    assert charges[date(2026, 8, 1)] == 6 * 375_000  # 1 Aug 2026 is a Saturday: six ISO weeks


def test_week_bordering_a_monthly_plan_is_not_released_as_a_week():
    plans = {date(2026, 3, 1): plan_cells(55), date(2026, 4, 1): plan_cells(45)}
    assert weekly_release_allowed(date(2026, 3, 23), plans)  # 23-29 March
    assert not weekly_release_allowed(date(2026, 3, 30), plans)  # 30 March - 5 April
    assert not weekly_release_allowed(date(2026, 4, 6), plans)
    with pytest.raises(ValueError):
        weekly_release_allowed(date(2026, 3, 24), plans)


def test_mixed_plans_never_overspend_a_month():
    # March weekly (55 people), April monthly (45): March's weeks that may be released plus
    # April's monthly cell, charged month by month, stay within 3.0 each.
    plans = {date(2026, 3, 1): plan_cells(55), date(2026, 4, 1): plan_cells(45)}
    charges = {date(2026, 3, 1): SHARE_50.budget.total, date(2026, 4, 1): plans[date(2026, 4, 1)].month_cost}
    monday = date(2026, 2, 23)
    while monday <= date(2026, 4, 27):
        if weekly_release_allowed(monday, plans):
            for month in ledger_months(monday, monday + timedelta(days=6)):
                charges[month] += WEEK_50.budget.total
        monday += timedelta(days=7)
    assert charges == {date(2026, 3, 1): 4 * 375_000 + 750_000, date(2026, 4, 1): 3_000_000}


# --- budget arithmetic ------------------------------------------------------------------------


def test_can_spend_up_to_the_limit_exactly():
    assert can_spend(2_500_000, 500_000, 3_000_000)


def test_can_spend_refuses_one_micro_epsilon_over():
    assert not can_spend(2_500_000, 500_001, 3_000_000)


def test_can_spend_refuses_floats_and_negatives():
    with pytest.raises(TypeError):
        can_spend(0.0, 1, 3_000_000)
    with pytest.raises(ValueError):
        can_spend(0, -1, 3_000_000)


def test_float_drift_would_overspend_where_micro_epsilon_refuses():
    spent = 0.0
    for _ in range(10):
        spent += 0.1
    assert spent + 1e-16 <= 1.0  # a float ledger takes more after spending 10 x 0.1 of 1.0
    micro = 0
    for _ in range(10):
        assert can_spend(micro, epsilon_to_micro("0.1"), 1_000_000)
        micro += epsilon_to_micro("0.1")
    assert micro == 1_000_000
    assert not can_spend(micro, 1, 1_000_000)


def test_many_small_spends_never_pass_the_limit():
    rng = random.Random(11)
    spent = 0
    for _ in range(20_000):
        request = rng.randint(1, 3_000)
        if can_spend(spent, request, 3_000_000):
            spent += request
    assert 3_000_000 - 3_000 < spent <= 3_000_000


def test_epsilon_to_micro_rounds_limits_down():
    limits = [epsilon_to_micro(e) for e in ("3", 2.5, 0.1, Decimal("0.0000019"))]
    assert limits == [3_000_000, 2_500_000, 100_000, 1]


def test_epsilon_to_micro_refuses_non_positive_and_bool():
    for bad in (0, "-1", "NaN"):
        with pytest.raises(ValueError):
            epsilon_to_micro(bad)
    with pytest.raises(TypeError):
        epsilon_to_micro(True)


def test_micro_to_epsilon_is_exact():
    assert micro_to_epsilon(375_000) == Decimal("0.375")


def test_straddling_week_is_charged_to_both_months():
    assert ledger_months(date(2026, 3, 30), date(2026, 4, 5)) == (date(2026, 3, 1), date(2026, 4, 1))
    assert ledger_months(date(2026, 12, 28), date(2027, 1, 3)) == (date(2026, 12, 1), date(2027, 1, 1))


def test_month_cell_is_charged_to_its_own_month():
    assert ledger_months(date(2026, 2, 1), date(2026, 2, 28)) == (date(2026, 2, 1),)


# --- residual pooling -------------------------------------------------------------------------


def test_small_teams_share_the_pooled_cell():
    assert assign_cells({"a": 5, "b": 4, "c": 12}) == {"a": "pooled", "b": "pooled", "c": "c"}


def test_a_pool_under_the_floor_pulls_in_no_team_that_meets_it():
    cells = assign_cells({"a": 3, "b": 2, "c": 12, "d": 9})
    assert cells == {"a": "pooled", "b": "pooled", "c": "c", "d": "d"}
    assert plan_cells(3 + 2).cells == ()  # the pool of 5 releases nothing


def test_organization_too_small_for_any_cell_releases_nothing():
    assert assign_cells({"a": 3, "b": 4}) == {"a": "pooled", "b": "pooled"}
    assert plan_cells(7).cells == ()


def test_every_person_is_in_exactly_one_cell_of_at_least_roster_min():
    rng = random.Random(5)
    for _ in range(500):
        sizes_to_pick = [0, 1, 3, 6, 7, 8, 9, 15, 40, 60]
        rosters = {f"team{i}": rng.choice(sizes_to_pick) for i in range(rng.randint(1, 6))}
        cells = assign_cells(rosters)
        sizes = {}
        for team, cell in cells.items():
            sizes[cell] = sizes.get(cell, 0) + rosters[team]
        assert sum(sizes.values()) == sum(rosters.values())
        for cell, size in sizes.items():
            assert size >= 8 or plan_cells(size).cells == ()
            if cell != "pooled":
                assert size == rosters[cell]
