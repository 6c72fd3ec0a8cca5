"""DP core: contribution bounding, cell plans, post-processing of noisy answers, parents, utility."""

import math
import random
from decimal import Decimal

import pytest

from wellbeing.trends.privacy import (
    POOLED_FIGURES,
    CellBudget,
    CellSpec,
    NoiseScales,
    NoisyAnswers,
    combine_cells,
    high_risk_band,
    person_score,
    plan_cells,
    publish,
    release_cell,
    round_to_five,
)
from wellbeing.trends.privacy.mechanisms import measurement

MONTH_8 = plan_cells(8).cells[0]
MONTH_30 = plan_cells(30).cells[0]
WEEK_50 = plan_cells(50).cells[0]
MONTHLY_SCALES = NoiseScales(count=2.0, sum=20.0)  # epsilon 0.5 and 2.5 at sensitivities 1 and 50


def discrete_laplace_pmf(scale):
    t = math.exp(-1 / scale)
    return lambda k: (1 - t) / (1 + t) * t ** abs(k)


# --- per-person contribution bounding ---------------------------------------------------------


def test_person_score_averages_entries_then_rounds_half_up():
    assert person_score([10, 20, 30]) == 20
    assert person_score([70, 71]) == 71


def test_person_score_clamps_each_entry_to_0_100():
    assert person_score([150, 50]) == 75
    assert person_score([-20]) == 0


def test_forty_entries_give_one_record_like_one_entry():
    assert person_score([90] * 40) == person_score([90]) == 90


def test_person_without_entries_is_not_a_contributor():
    assert person_score([]) is None


def test_non_finite_entry_is_refused():
    with pytest.raises(ValueError):
        person_score([50, float("nan")])


def test_forty_entries_move_the_noisy_answers_like_one_entry():
    # One contributor with forty entries of 100: one record, centred +50. Means of 600 releases:
    # count noise SD 2.8 -> SE 0.11, tolerance 0.6 (5.2 SE); sum noise SD 28.3 -> SE 1.15,
    # tolerance 6 (5.2 SE). False-failure rate about 4e-7 for the test. Counting entries
    # instead of people would give 40 and 2000.
    for entries in ([100] * 40, [100]):
        releases = [release_cell({"target": entries}, 8, MONTH_8) for _ in range(600)]
        assert abs(sum(r.noisy.count for r in releases) / 600 - 1) < 0.6
        assert abs(sum(r.noisy.centred_sum for r in releases) / 600 - 50) < 6


# --- cell plans by roster size -----------------------------------------------------------------


def test_roster_under_eight_is_pooled_without_cells():
    plan = plan_cells(7)
    assert plan.granularity == "pooled"
    assert plan.cells == ()


def test_roster_eight_gets_a_monthly_mean_and_participation_cell():
    plan = plan_cells(8)
    assert plan.granularity == "month"
    assert plan.cells == (
        CellSpec("month", ("burnout_risk", "participation"), CellBudget(count=500_000, sum=2_500_000)),
    )


def test_roster_29_has_no_high_risk_share():
    assert "high_risk_share" not in plan_cells(29).cells[0].metrics


def test_roster_30_adds_a_high_risk_share_from_the_same_budget():
    spec = plan_cells(30).cells[0]
    assert spec.metrics == ("burnout_risk", "participation", "high_risk_share")
    assert spec.budget == CellBudget(count=500_000, sum=2_000_000, high_risk=500_000)


def test_roster_49_is_still_monthly():
    assert plan_cells(49).granularity == "month"


def test_roster_50_gets_weekly_means_and_a_monthly_share_cell():
    plan = plan_cells(50)
    assert plan.granularity == "week"
    assert plan.cells == (
        CellSpec("week", ("burnout_risk", "participation"), CellBudget(count=90_000, sum=285_000)),
        CellSpec("month", ("high_risk_share",), CellBudget(count=250_000, high_risk=500_000)),
    )


def test_raised_roster_min_pools_larger_teams():
    assert plan_cells(9, roster_min=10).granularity == "pooled"
    assert plan_cells(10, roster_min=10).granularity == "month"


def test_roster_min_below_eight_is_refused():
    with pytest.raises(ValueError):
        plan_cells(20, roster_min=7)


# --- post-processing of noisy answers -----------------------------------------------------------


def test_noisy_count_under_five_suppresses_the_cell():
    release = publish(NoisyAnswers(count=4, centred_sum=80), MONTHLY_SCALES, 8, MONTH_8)
    assert release.figures.status == "suppressed"
    assert release.figures.point("burnout_risk") == {
        "status": "suppressed",
        "value": None,
        "margin": None,
        "approx_contributors": None,
    }


def test_noisy_count_of_five_releases_the_cell():
    release = publish(NoisyAnswers(count=5, centred_sum=0), MONTHLY_SCALES, 8, MONTH_8)
    assert release.figures.status == "released"


def test_mean_is_centre_plus_noisy_sum_over_noisy_count():
    figures = publish(NoisyAnswers(count=8, centred_sum=80), MONTHLY_SCALES, 8, MONTH_8).figures
    assert figures.burnout_risk == 60.0
    assert figures.participation == 1.0


def test_denominator_is_clipped_to_the_roster():
    figures = publish(NoisyAnswers(count=12, centred_sum=80), MONTHLY_SCALES, 8, MONTH_8).figures
    assert figures.burnout_risk == 60.0
    assert figures.participation == 1.0


def test_denominator_is_the_noisy_count_never_a_share_of_the_roster():
    figures = publish(NoisyAnswers(count=6, centred_sum=80), MONTHLY_SCALES, 20, MONTH_8).figures
    assert figures.burnout_risk == 63.3  # 50 + 80 / 6
    assert figures.participation == 0.3  # 6 of the 20 on the team


def test_mean_is_clipped_to_the_score_range():
    high = publish(NoisyAnswers(count=8, centred_sum=1000), MONTHLY_SCALES, 8, MONTH_8).figures
    low = publish(NoisyAnswers(count=8, centred_sum=-1000), MONTHLY_SCALES, 8, MONTH_8).figures
    assert (high.burnout_risk, low.burnout_risk) == (100.0, 0.0)


def test_participation_margin_is_the_90_percent_count_noise_over_the_roster():
    # Scale 2: P(|X| > k) = 2 t^(k+1) / (1 + t), t = e^-0.5; k = 4 gives 0.137, k = 5 gives 0.083.
    figures = publish(NoisyAnswers(count=8, centred_sum=0), MONTHLY_SCALES, 8, MONTH_8).figures
    assert figures.participation_margin == 0.63  # 5 / 8 rounded up


def test_mean_margin_with_a_steady_denominator_is_the_sum_noise_quantile_over_it():
    # Sum scale 20, t = e^-0.05: P(|X| <= 45) = 1 - 2 t^46 / (1 + t) = 0.8972, P(|X| <= 46) = 0.9023.
    # With negligible count noise the margin is 46 / 8 = 5.75, shown rounded up.
    scales = NoiseScales(count=0.05, sum=20.0)
    figures = publish(NoisyAnswers(count=8, centred_sum=0), scales, 8, MONTH_8).figures
    assert figures.burnout_risk_margin == 5.8


def test_mean_margin_widens_away_from_the_centre():
    centre = publish(NoisyAnswers(count=7, centred_sum=0), MONTHLY_SCALES, 8, MONTH_8).figures
    far = publish(NoisyAnswers(count=7, centred_sum=210), MONTHLY_SCALES, 8, MONTH_8).figures
    assert far.burnout_risk == 80.0
    assert far.burnout_risk_margin > centre.burnout_risk_margin


def test_high_risk_share_is_a_band_of_the_noisy_share():
    def band(count, high):
        answers = NoisyAnswers(count=count, centred_sum=0, high_risk=high)
        return publish(answers, NoiseScales(2.0, 25.0, 2.0), 30, MONTH_30).figures.high_risk_share

    assert band(30, 6) == "10-25%"  # 6 / 30
    assert band(10, 6) == ">50%"  # 6 / 10: the denominator is the noisy count
    assert band(30, -3) == "<10%"
    assert band(30, 20) == ">50%"


def test_band_edges():
    assert [high_risk_band(s) for s in (0.0, 0.0999, 0.10, 0.2499, 0.25, 0.50, 0.5001, 1.0)] == [
        "<10%", "<10%", "10-25%", "10-25%", "25-50%", "25-50%", ">50%", ">50%",
    ]


def test_approx_contributors_is_rounded_to_a_multiple_of_five():
    assert [round_to_five(n) for n in (0, 5, 7, 8, 12, 13)] == [0, 5, 5, 10, 10, 15]


def test_approx_contributors_comes_from_the_noisy_count_capped_at_the_roster():
    def approx(count, roster):
        answers = NoisyAnswers(count=count, centred_sum=0)
        return publish(answers, MONTHLY_SCALES, roster, MONTH_8).figures.approx_contributors

    assert (approx(23, 20), approx(22, 30), approx(13, 30)) == (20, 20, 15)


def test_metric_a_cell_does_not_publish_reads_as_suppressed():
    figures = publish(NoisyAnswers(count=8, centred_sum=0), MONTHLY_SCALES, 8, MONTH_8).figures
    assert figures.point("high_risk_share")["status"] == "suppressed"


def test_pooled_team_reads_as_pooled():
    assert POOLED_FIGURES.point("burnout_risk") == {
        "status": "pooled",
        "value": None,
        "margin": None,
        "approx_contributors": None,
    }


def test_released_point_carries_value_margin_and_approx_contributors():
    figures = publish(NoisyAnswers(count=8, centred_sum=80), MONTHLY_SCALES, 8, MONTH_8).figures
    point = figures.point("burnout_risk")
    assert (point["status"], point["value"], point["approx_contributors"]) == ("released", 60.0, 10)
    assert point["margin"] == figures.burnout_risk_margin


# --- the real release path -------------------------------------------------------------------


def test_mechanisms_are_calibrated_to_their_budget():
    count, count_scale = measurement("count", 500_000)
    total, sum_scale = measurement("sum", 2_500_000)
    assert (count_scale, count.map(1)) == (2.0, 0.5)
    assert (sum_scale, total.map(1)) == (20.0, 2.5)


def test_opendp_float_overshoot_is_absorbed_by_a_wider_scale():
    weekly, scale = measurement("sum", 285_000)  # 50 / 0.285 maps to 0.28500000000000003 in OpenDP
    assert Decimal(weekly.map(1)) <= Decimal("0.285")
    assert 50 / 0.285 < scale < 50 / 0.285 * (1 + 1e-9)


def test_cell_reports_the_epsilon_it_spent():
    roster = {f"p{i}": [60] for i in range(8)}
    monthly = release_cell(roster, 8, MONTH_8)
    weekly = release_cell(roster, 50, WEEK_50)
    assert (monthly.epsilon_spent_micro, monthly.epsilon_spent) == (3_000_000, Decimal("3"))
    assert weekly.epsilon_spent == Decimal("0.375")
    assert monthly.opendp_version == "0.16.0"


def test_share_cell_counts_people_at_or_over_the_cut_off():
    # 10 people at the cut-off 70, 5 just under, 15 far under: the true high-risk count is 10.
    # Mean of 300 noisy counts (scale 2, SD 2.8): SE 0.16, tolerance 1 (6 SE), false failure ~2e-9.
    people = {f"p{i}": [70 if i < 10 else 69 if i < 15 else 40] for i in range(30)}
    releases = [release_cell(people, 30, MONTH_30, high_risk_at=70) for _ in range(300)]
    assert abs(sum(r.noisy.high_risk for r in releases) / 300 - 10) < 1


def test_release_refuses_a_roster_under_eight():
    with pytest.raises(ValueError):
        release_cell({"a": [50]}, 7, MONTH_8)


def test_release_refuses_more_people_than_the_roster():
    with pytest.raises(ValueError):
        release_cell({f"p{i}": [50] for i in range(9)}, 8, MONTH_8)


def test_share_cell_needs_the_high_risk_cut_off():
    with pytest.raises(ValueError):
        release_cell({f"p{i}": [50] for i in range(30)}, 30, MONTH_30)


# --- parents from children --------------------------------------------------------------------


def child(roster, count, centred_sum, spec=MONTH_8, high=None, scales=MONTHLY_SCALES):
    return publish(NoisyAnswers(count, centred_sum, high), scales, roster, spec)


def test_parent_sums_the_noisy_answers_of_released_children_only():
    parent = combine_cells([child(10, 10, 100), child(20, 18, -36), child(8, 3, 500)])
    assert parent.burnout_risk == 52.3  # 50 + 64 / 28
    assert parent.participation == 0.93  # 28 / 30
    assert parent.approx_contributors == 30


def test_parent_of_one_child_equals_the_child():
    only = child(12, 11, 77)
    assert combine_cells([only]) == only.figures


def test_parent_without_released_children_is_suppressed():
    assert combine_cells([child(8, 4, 0)]).status == "suppressed"
    assert combine_cells([]).status == "suppressed"


def test_parent_margin_adds_the_children_noise_variances():
    # Exact 90% quantile of the sum of two independent count noises of scale 2, by convolution.
    pmf = discrete_laplace_pmf(2.0)
    total = {d: sum(pmf(k) * pmf(d - k) for k in range(-120, 121)) for d in range(-60, 61)}
    k = next(k for k in range(60) if sum(p for d, p in total.items() if abs(d) <= k) >= 0.9)
    parent = combine_cells([child(10, 10, 0), child(8, 8, 0)])
    assert k == 6
    assert parent.participation_margin == 0.34  # 6 / 18 rounded up


def test_parent_has_a_high_risk_share_only_when_every_child_has_one():
    scales = NoiseScales(2.0, 25.0, 2.0)
    with_share = [child(30, 30, 0, MONTH_30, 6, scales), child(40, 40, 0, MONTH_30, 2, scales)]
    assert combine_cells(with_share).high_risk_share == "10-25%"  # 8 / 70
    assert combine_cells([*with_share, child(10, 10, 0)]).high_risk_share is None


# --- utility: the noise is what anonymity.md section 6 planned --------------------------------


@pytest.fixture(scope="module")
def team_of_eight_months():
    """2,000 monthly releases of a fully participating team of 8, scores ~ Normal(60, 18)."""
    rng = random.Random(8)
    months = []
    for _ in range(2_000):
        scores = [min(100, max(0, round(rng.gauss(60, 18)))) for _ in range(8)]
        release = release_cell({f"p{i}": [s] for i, s in enumerate(scores)}, 8, MONTH_8)
        months.append((sum(scores) / 8, release.figures))
    return months


def test_monthly_error_for_a_roster_of_eight_is_within_the_planned_band(team_of_eight_months):
    # Section 6: RMSE 5.0, 90% within 8.2; 5.7 asks RMSE <= 6.0. The discrete mechanism gives
    # about 4.5 with an SE near 0.1 over ~1,830 released months, so the band [3.5, 6.0] fails
    # by chance less than once in 10^6 and catches both over- and under-noising.
    errors = [f.burnout_risk - true for true, f in team_of_eight_months if f.status == "released"]
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert 3.5 <= rmse <= 6.0
    assert sum(abs(e) <= 8.2 for e in errors) / len(errors) >= 0.88


def test_margin_covers_about_90_percent_of_released_months(team_of_eight_months):
    # Expected coverage ~0.945 (the margin is conservative near full participation); SE 0.005,
    # so [0.90, 0.98] is beyond 7 SE on either side.
    released = [(true, f) for true, f in team_of_eight_months if f.status == "released"]
    covered = sum(abs(f.burnout_risk - true) <= f.burnout_risk_margin for true, f in released)
    assert 0.90 <= covered / len(released) <= 0.98


def test_full_team_of_eight_is_suppressed_at_the_discrete_laplace_rate(team_of_eight_months):
    # P(8 + X < 5) = P(X <= -4) = t^4 / (1 + t) with t = e^-0.5: 0.0842. SE over 2,000 is 0.0062;
    # tolerance 0.03 (4.8 SE): false-failure rate about 1.4e-6.
    suppressed = sum(f.status == "suppressed" for _, f in team_of_eight_months) / len(team_of_eight_months)
    assert abs(suppressed - 0.0842) < 0.03
