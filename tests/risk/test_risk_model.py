"""The burnout-risk model heuristic-blend-v1 against hand-computed values (docs/risk-model.md).

Nominal weights: CBI occupational 0.50, PSS-10 0.15, WHO-5 0.15, burnout1 0.05, BRS 0.05,
diary negative share 0.05, diary negative intensity 0.03, diary tough calls 0.02; a missing input's
weight is shared out in proportion, so score = sum(weight x points) / sum(weights present).
"""
from datetime import datetime, timedelta, timezone

import pytest

from wellbeing.risk.model import (
    MODEL_VERSION,
    SCREENING_NOTICE,
    DiaryPoint,
    DiarySignals,
    Phq4Screen,
    RiskInputs,
    TimedScore,
    compute_risk,
    summarize_diary,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def ago(days, seconds=0):
    return NOW - timedelta(days=days, seconds=seconds)


def timed(value, days=1, seconds=0):
    return TimedScore(value, ago(days, seconds))


def risk(**inputs):
    return compute_risk(RiskInputs(**inputs), NOW)


def test_no_data_is_insufficient_data_not_low():
    result = risk()
    assert (result.level, result.score, result.factors, result.confidence) == ("insufficient_data", None, (), 0.0)


def test_scores_without_cbi_are_insufficient_data():
    result = risk(pss10=timed(30), who5_percent=timed(40), diary=DiarySignals(10, 0.5, 6, 2))
    assert (result.level, result.score) == ("insufficient_data", None)
    # 0.15 + 0.15 + 0.05 + 0.03 + 0.02 of the nominal weight had data
    assert result.confidence == 0.4


def test_cbi_older_than_35_days_is_insufficient_data():
    assert risk(cbi_work=timed(80, days=35, seconds=1)).level == "insufficient_data"


def test_cbi_exactly_35_days_old_still_counts():
    result = risk(cbi_work=timed(80, days=35))
    assert (result.level, result.score) == ("high", 80.0)


def test_cbi_alone_scores_the_higher_of_work_and_client():
    result = risk(cbi_work=timed(60), cbi_client=timed(40))
    assert (result.level, result.score, result.confidence) == ("moderate", 60.0, 0.5)
    assert [(f.name, f.value, f.weight, f.input_value) for f in result.factors] == [
        ("cbi_occupational", 60.0, 1.0, 60.0)]


def test_a_stale_work_scale_leaves_the_fresh_client_scale():
    assert risk(cbi_work=timed(90, days=40), cbi_client=timed(40)).score == 40.0


@pytest.mark.parametrize(
    ("cbi", "level"),
    [(49.99, "low"), (50, "moderate"), (74.99, "moderate"), (75, "high"), (89.99, "high"), (90, "very_high")],
)
def test_level_edges(cbi, level):
    # CBI alone: score = CBI
    assert risk(cbi_client=timed(cbi)).level == level


def test_missing_inputs_share_their_weight_in_proportion():
    # points: CBI 60; PSS 20 x 2.5 = 50; WHO-5 100 - 60 = 40. Weights present 0.5 + 0.15 + 0.15 = 0.8
    # (0.5 x 60 + 0.15 x 50 + 0.15 x 40) / 0.8 = 43.5 / 0.8 = 54.375
    result = risk(cbi_work=timed(60), pss10=timed(20), who5_percent=timed(60))
    assert (result.level, result.score, result.unrounded_score, result.confidence) == ("moderate", 54.4, 54.375, 0.8)
    assert [(f.name, f.value, f.weight) for f in result.factors] == [
        ("cbi_occupational", 60.0, 0.625), ("pss10", 50.0, 0.1875), ("who5", 40.0, 0.1875)]


def test_every_input_together():
    # points: CBI 80; PSS 30 x 2.5 = 75; WHO-5 100 - 40 = 60; burnout1 (3 - 1) x 25 = 50; BRS (5 - 2.5) x 25 = 62.5;
    # diary share 60; intensity (7 - 1) x 100/9 = 66.67; tough calls 4/10 -> 40
    # 40 + 11.25 + 9 + 2.5 + 3.125 + 3 + 2 + 0.8 = 71.675
    result = risk(
        cbi_work=timed(80), cbi_client=timed(60), pss10=timed(30), who5_percent=timed(40), burnout1=timed(3),
        brs_mean=timed(2.5), diary=DiarySignals(10, 0.6, 7, 4),
    )
    assert (result.level, result.score, result.unrounded_score, result.confidence) == ("moderate", 71.7, 71.675, 1.0)
    assert [(f.name, f.value, f.weight) for f in result.factors] == [
        ("cbi_occupational", 80.0, 0.5), ("pss10", 75.0, 0.15), ("who5", 60.0, 0.15), ("burnout1", 50.0, 0.05),
        ("brs", 62.5, 0.05), ("diary_negative_share", 60.0, 0.05), ("diary_negative_intensity", 66.7, 0.03),
        ("diary_tough_calls", 40.0, 0.02)]


def test_a_blend_of_exactly_50_is_moderate():
    # CBI 50, PSS 20 -> 50, WHO-5 50 -> 50: (25 + 7.5 + 7.5) / 0.8 = 50 exactly
    assert risk(cbi_work=timed(50), pss10=timed(20), who5_percent=timed(50)).level == "moderate"


def test_a_blend_just_under_50_is_low_when_no_cbi_scale_is_in_its_high_band():
    # CBI 49 -> 24.5, PSS 20 -> 7.5, WHO-5 52 -> 7.2: 39.2 / 0.8 = 49.0
    result = risk(cbi_work=timed(49), pss10=timed(20), who5_percent=timed(52))
    assert (result.level, result.score) == ("low", 49.0)


def test_a_fresh_cbi_in_its_high_band_is_at_least_moderate_whatever_the_blend():
    # The reviewed case: CBI work 55 with benign other inputs (PSS 0, WHO-5 100, BRS 5, burnout1 1 and a calm diary,
    # all 0 points): every weight is present, so the score is 0.5 x 55 = 27.5: "low" under v1, "moderate" under v2.
    result = risk(cbi_work=timed(55), pss10=timed(0), who5_percent=timed(100), brs_mean=timed(5), burnout1=timed(1),
                  diary=DiarySignals(10, 0.0, None, 0))
    assert (result.score, result.level, result.model_version) == (27.5, "moderate", "heuristic-blend-v2")
    assert risk(cbi_client=timed(50), who5_percent=timed(100)).level == "moderate"  # the client scale counts too
    assert risk(cbi_work=timed(50, days=40), cbi_client=timed(20), who5_percent=timed(100)).level == "low"  # stale


def test_cbi_75_with_burnout1_4_is_very_high():
    # score (0.5 x 75 + 0.05 x 75) / 0.55 = 75 would be high; the combination lifts it
    result = risk(cbi_client=timed(75), burnout1=timed(4))
    assert (result.level, result.score) == ("very_high", 75.0)


def test_cbi_75_with_burnout1_3_is_not_lifted():
    # (37.5 + 0.05 x 50) / 0.55 = 72.727
    result = risk(cbi_client=timed(75), burnout1=timed(3))
    assert (result.level, result.score) == ("moderate", 72.7)


def test_cbi_just_under_75_with_burnout1_5_is_not_lifted():
    # (0.5 x 74.99 + 0.05 x 100) / 0.55 = 42.495 / 0.55 = 77.26
    result = risk(cbi_client=timed(74.99), burnout1=timed(5))
    assert (result.level, result.score) == ("high", 77.3)


def test_a_stale_burnout1_does_not_lift_the_level():
    assert risk(cbi_client=timed(80), burnout1=timed(5, days=21, seconds=1)).level == "high"


def test_phq4_never_changes_the_score():
    base = {"cbi_work": timed(60), "pss10": timed(20), "who5_percent": timed(60)}
    without = risk(**base)
    with_phq4 = risk(**base, phq4=Phq4Screen(6, 6, ago(1)))
    assert (with_phq4.level, with_phq4.score, with_phq4.factors, with_phq4.confidence) == (
        without.level, without.score, without.factors, without.confidence)
    assert with_phq4.flags == ("phq4_anxiety_positive", "phq4_depression_positive")
    assert without.flags == ()


@pytest.mark.parametrize(
    ("anxiety", "depression", "flags"),
    [(3, 2, ("phq4_anxiety_positive",)), (2, 3, ("phq4_depression_positive",)), (2, 2, ())],
)
def test_phq4_flags_from_a_subscale_of_3(anxiety, depression, flags):
    assert risk(cbi_work=timed(30), phq4=Phq4Screen(anxiety, depression, ago(1))).flags == flags


def test_phq4_older_than_21_days_raises_no_flag():
    assert risk(cbi_work=timed(30), phq4=Phq4Screen(6, 6, ago(21, seconds=1))).flags == ()


def test_phq4_flags_show_even_with_insufficient_data():
    result = risk(phq4=Phq4Screen(4, 0, ago(2)))
    assert (result.level, result.flags) == ("insufficient_data", ("phq4_anxiety_positive",))


@pytest.mark.parametrize(
    ("inputs", "fresh_score"),
    [
        # PSS 40 -> 100 points: (30 + 15) / 0.65 = 69.23
        ({"pss10": (40, 35)}, 69.2),
        # WHO-5 0 % -> 100 points: (30 + 15) / 0.65
        ({"who5_percent": (0, 21)}, 69.2),
        # burnout1 5 -> 100 points: (30 + 5) / 0.55 = 63.64
        ({"burnout1": (5, 21)}, 63.6),
        # BRS 1 -> 100 points: (30 + 5) / 0.55
        ({"brs_mean": (1, 120)}, 63.6),
    ],
    ids=["pss10_35_days", "who5_21_days", "burnout1_21_days", "brs_120_days"],
)
def test_recency_window_counts_its_last_day_and_drops_after(inputs, fresh_score):
    (field, (value, days)), = inputs.items()
    on_edge = risk(cbi_work=timed(60), **{field: timed(value, days=days)})
    past_edge = risk(cbi_work=timed(60), **{field: timed(value, days=days, seconds=1)})
    assert (on_edge.score, past_edge.score) == (fresh_score, 60.0)


def test_diary_with_fewer_than_3_entries_is_ignored():
    assert risk(cbi_work=timed(60), diary=DiarySignals(2, 1.0, 10, 2)).score == 60.0


def test_diary_with_3_entries_counts():
    # all three diary terms at 100 points, weight 0.1: (30 + 10) / 0.6 = 66.67
    assert risk(cbi_work=timed(60), diary=DiarySignals(3, 1.0, 10, 3)).score == 66.7


def test_diary_without_negative_entries_adds_zero_points():
    # (30 + 0) / 0.6 = 50
    result = risk(cbi_work=timed(60), diary=DiarySignals(5, 0.0, None, 0))
    assert (result.level, result.score) == ("moderate", 50.0)


def test_tough_call_points_stop_at_100():
    # 6 tough-call triggers over 4 entries -> 100 points: (30 + 0.02 x 100) / 0.6 = 53.33
    assert risk(cbi_work=timed(60), diary=DiarySignals(4, 0.0, None, 6)).score == 53.3


@pytest.mark.parametrize(
    "inputs",
    [
        {"cbi_work": TimedScore(101, ago(1))},
        {"pss10": TimedScore(41, ago(1))},
        {"burnout1": TimedScore(0, ago(1))},
        {"cbi_work": TimedScore(50, datetime(2026, 3, 1))},
        {"diary": DiarySignals(-1, 0.0, None, 0)},
        {"diary": DiarySignals(5, 1.5, 5, 0)},
        {"phq4": Phq4Screen(7, 0, ago(1))},
    ],
    ids=["cbi_over_100", "pss10_over_40", "burnout1_under_1", "naive_datetime", "negative_count", "share_over_1",
         "phq4_over_6"],
)
def test_invalid_inputs_are_refused(inputs):
    with pytest.raises(ValueError):
        risk(**inputs)


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        compute_risk(RiskInputs(), datetime(2026, 3, 2, 9, 0))


def test_result_carries_model_version_and_time():
    result = risk(cbi_work=timed(30))
    assert MODEL_VERSION == "heuristic-blend-v2"
    assert (result.model_version, result.computed_at) == (MODEL_VERSION, NOW)


def test_notice_says_screening_indicator_not_a_diagnosis_and_the_agents_alone():
    assert "not a diagnosis" in SCREENING_NOTICE["en"] and "Only you can see it" in SCREENING_NOTICE["en"]
    assert "不是诊断" in SCREENING_NOTICE["zh-CN"] and "只有您本人" in SCREENING_NOTICE["zh-CN"]
    assert "staffing" not in SCREENING_NOTICE["en"] and "人员安排" not in SCREENING_NOTICE["zh-CN"]


def test_summarize_diary_counts_the_last_14_days_only():
    entries = [
        DiaryPoint(ago(15), True, 9, ("abusive_customer",)),  # too old
        DiaryPoint(ago(14), True, 9, ()),  # exactly 14 days: outside the window
        DiaryPoint(ago(13), True, 8, ("customer_complaint",)),
        DiaryPoint(ago(5), False, 3, ("call_volume",)),
        DiaryPoint(ago(1), True, 4, ("abusive_customer", "customer_complaint")),
        DiaryPoint(NOW + timedelta(hours=1), True, 10, ("abusive_customer",)),  # in the future
    ]
    # 3 entries, 2 negative (8 and 4 -> mean 6), 2 entries with a tough-call trigger
    assert summarize_diary(entries, NOW) == DiarySignals(3, 2 / 3, 6.0, 2)


def test_summarize_empty_diary():
    assert summarize_diary([], NOW) == DiarySignals(0, 0.0, None, 0)


def test_a_result_expires_when_the_first_input_it_used_leaves_its_recency_window():
    # CBI of 10 days ago (window 35), WHO-5 of 15 days ago (21), a stale PSS-10 (40 days, window 35) left out.
    result = risk(cbi_work=timed(60, days=10), who5_percent=timed(40, days=15), pss10=timed(30, days=40))
    assert result.expires_at == ago(15) + timedelta(days=21)  # the WHO-5 ages out first
    only_cbi = risk(cbi_work=timed(60, days=10), cbi_client=timed(20, days=30))
    assert only_cbi.expires_at == ago(30) + timedelta(days=35)  # either CBI scale ageing changes the result
    assert risk().expires_at is None  # nothing used, nothing to expire


def test_a_flag_without_a_score_expires_with_its_phq4():
    result = risk(phq4=Phq4Screen(4, 0, ago(5)))
    assert result.level == "insufficient_data" and result.flags == ("phq4_anxiety_positive",)
    assert result.expires_at == ago(5) + timedelta(days=21)
