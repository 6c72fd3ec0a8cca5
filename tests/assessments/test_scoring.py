"""Scoring of the shipped instruments against hand-computed vectors (research/instruments.md §10 plus our own)."""
from fractions import Fraction

import pytest

from wellbeing.assessments.instruments import load_catalog
from wellbeing.core.numbers import round_half_up
from wellbeing.assessments.scoring import AnswerError, score_answers


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def in_order(*values):
    """Answers by item id "1", "2", ...; None leaves the item out."""
    return {str(number): value for number, value in enumerate(values, start=1) if value is not None}


def score(catalog, instrument_id, *values):
    return score_answers(catalog[instrument_id], in_order(*values))


# PSS-10: items 4, 5, 7, 8 reversed (4 - answer), total = sum.

def test_pss10_all_never_scores_16_not_0(catalog):
    # 6 plain items at 0 + 4 reversed items at 4 - 0 = 16
    result = score(catalog, "pss10", *[0] * 10)
    assert result.scores == {"total": 16}
    assert result.bands == {"total": "moderate"}


def test_pss10_all_very_often_scores_24(catalog):
    # 6 plain items at 4 = 24 + 4 reversed items at 4 - 4 = 0
    result = score(catalog, "pss10", *[4] * 10)
    assert result.scores == {"total": 24}
    assert result.bands == {"total": "moderate"}


def test_pss10_golden_p2_is_30_high(catalog):
    # plain 6 x 3 = 18; reversed 4 x (4 - 1) = 12
    result = score(catalog, "pss10", 3, 3, 3, 1, 1, 3, 1, 1, 3, 3)
    assert result.scores == {"total": 30}
    assert result.bands == {"total": "high"}


def test_pss10_13_is_the_top_of_low(catalog):
    # plain 2+1+2+1+1+1 = 8; reversed 1+2+1+1 = 5
    result = score(catalog, "pss10", 2, 1, 2, 3, 2, 1, 3, 3, 1, 1)
    assert (result.scores, result.bands) == ({"total": 13}, {"total": "low"})


def test_pss10_14_is_the_bottom_of_moderate(catalog):
    # item 4 from 3 to 2: its reversed score goes 1 -> 2
    result = score(catalog, "pss10", 2, 1, 2, 2, 2, 1, 3, 3, 1, 1)
    assert (result.scores, result.bands) == ({"total": 14}, {"total": "moderate"})


def test_pss10_26_is_moderate_and_27_is_high(catalog):
    # plain 6 x 3 = 18; reversed 4 x (4 - 2) = 8 -> 26; item 8 at 1 adds one -> 27
    assert score(catalog, "pss10", 3, 3, 3, 2, 2, 3, 2, 2, 3, 3).bands == {"total": "moderate"}
    result = score(catalog, "pss10", 3, 3, 3, 2, 2, 3, 2, 1, 3, 3)
    assert (result.scores, result.bands) == ({"total": 27}, {"total": "high"})


@pytest.mark.parametrize(
    ("item", "total"),
    [(1, 22), (2, 22), (3, 22), (4, 18), (5, 18), (6, 22), (7, 18), (8, 18), (9, 22), (10, 22)],
)
def test_pss10_only_items_4_5_7_8_are_reversed(catalog, item, total):
    # all answers 2 -> 20; one item at 4 adds 2 if plain, removes 2 if reversed (4 - 4 = 0)
    values = [2] * 10
    values[item - 1] = 4
    assert score(catalog, "pss10", *values).scores == {"total": total}


def test_pss10_missing_answer_is_an_error_naming_the_item(catalog):
    with pytest.raises(AnswerError) as caught:
        score(catalog, "pss10", 0, 0, None, 0, 0, 0, 0, 0, 0, 0)
    assert caught.value.errors == {"3": ["an answer is required"]}


def test_explicit_null_answer_counts_as_missing(catalog):
    answers = in_order(*[1] * 10) | {"10": None}
    with pytest.raises(AnswerError) as caught:
        score_answers(catalog["pss10"], answers)
    assert caught.value.errors == {"10": ["an answer is required"]}


# CBI: means per scale, item 13 reversed (100 - answer), PUMA missing-data minimums.

def test_cbi_golden_c1_client_on_the_50_line_is_high(catalog):
    result = score(catalog, "cbi", *[75] * 6, *[75] * 7, *[50] * 6)
    # work (6 x 75 + (100 - 75)) / 7 = 475/7
    assert result.unrounded == {"personal": 75.0, "work": 475 / 7, "client": 50.0}
    assert result.scores == {"personal": 75.0, "work": 67.9, "client": 50.0}
    assert result.bands == {"personal": "high", "work": "high", "client": "high"}


def test_cbi_golden_c2_is_low_everywhere(catalog):
    result = score(catalog, "cbi", 0, 25, 25, 0, 25, 0, 25, 0, 25, 25, 0, 0, 100, 25, 25, 0, 50, 0, 0)
    # personal 75/6; work (75 + (100 - 100)) / 7; client 100/6
    assert result.unrounded == {"personal": 12.5, "work": 75 / 7, "client": 100 / 6}
    assert result.scores == {"personal": 12.5, "work": 10.7, "client": 16.7}
    assert result.bands == {"personal": "low", "work": "low", "client": "low"}


def test_cbi_golden_c3_is_high_everywhere(catalog):
    result = score(catalog, "cbi", 100, 100, 75, 100, 75, 75, 100, 100, 75, 100, 75, 75, 0, 100, 100, 100, 100, 75, 75)
    # personal 525/6; work (525 + (100 - 0)) / 7 = 625/7; client 550/6
    assert result.unrounded == {"personal": 87.5, "work": 625 / 7, "client": 550 / 6}
    assert result.scores == {"personal": 87.5, "work": 89.3, "client": 91.7}
    assert result.bands == {"personal": "high", "work": "high", "client": "high"}


def test_cbi_golden_c4_scores_only_personal(catalog):
    # personal 3 answered -> 275/3; work 2 answered (< 4) and client 0 answered are left out
    result = score(catalog, "cbi", 100, 100, 75, None, None, None, 75, None, None, 100)
    assert result.unrounded == {"personal": 275 / 3}
    assert result.scores == {"personal": 91.7}
    assert result.bands == {"personal": "high"}


def test_cbi_golden_c5_leaves_out_personal_with_two_answers(catalog):
    # personal 2 answered (< 3) left out; work 4 answered -> 200/4 = 50 (on the line: high); client 3 -> 25
    result = score(catalog, "cbi", 50, 50, None, None, None, None, 50, 50, 50, 50, None, None, None, 25, 25, 25)
    assert result.scores == {"work": 50.0, "client": 25.0}
    assert result.bands == {"work": "high", "client": "low"}


def test_cbi_all_minimum_answers(catalog):
    # every answer 0; only item 13 is reversed: work = (6 x 0 + 100) / 7 = 100/7
    result = score(catalog, "cbi", *[0] * 19)
    assert result.scores == {"personal": 0.0, "work": 14.3, "client": 0.0}
    assert result.bands == {"personal": "low", "work": "low", "client": "low"}


def test_cbi_all_maximum_answers(catalog):
    # every answer 100: work = (6 x 100 + 0) / 7 = 600/7
    result = score(catalog, "cbi", *[100] * 19)
    assert result.unrounded["work"] == 600 / 7
    assert result.scores == {"personal": 100.0, "work": 85.7, "client": 100.0}


def test_reverse_item_13_is_reversed(catalog):
    # items 7-12 at 50 = 300; item 13 at 100 scores 0 -> 300/7, at 0 scores 100 -> 400/7
    high_energy = score(catalog, "cbi", *[None] * 6, 50, 50, 50, 50, 50, 50, 100)
    low_energy = score(catalog, "cbi", *[None] * 6, 50, 50, 50, 50, 50, 50, 0)
    assert (high_energy.unrounded, high_energy.bands) == ({"work": 300 / 7}, {"work": "low"})
    assert (low_energy.unrounded, low_energy.bands) == ({"work": 400 / 7}, {"work": "high"})


def test_cbi_mean_just_under_50_is_low(catalog):
    # client 5 x 50 + 25 = 275 -> 275/6 = 45.83, the closest a full client scale gets under 50
    result = score(catalog, "cbi", *[None] * 13, 50, 50, 50, 50, 50, 25)
    assert (result.scores, result.bands) == ({"client": 45.8}, {"client": "low"})


def test_cbi_work_needs_four_answers(catalog):
    result = score(catalog, "cbi", 50, 50, 50, None, None, None, 50, 50, 50)
    assert result.scores == {"personal": 50.0}


def test_cbi_client_needs_three_answers(catalog):
    three = score(catalog, "cbi", *[None] * 13, 75, None, 25, None, 50)
    two = score(catalog, "cbi", 0, 0, 0, *[None] * 10, 75, None, 25)
    assert three.scores == {"client": 50.0}
    assert "client" not in two.scores


def test_cbi_with_no_scorable_scale_is_an_error(catalog):
    with pytest.raises(AnswerError) as caught:
        score(catalog, "cbi", 50, 50)
    assert caught.value.errors == {"answers": ["too few answers to score any scale"]}


def test_cbi_value_not_an_option_is_an_error_naming_the_item(catalog):
    with pytest.raises(AnswerError) as caught:
        score_answers(catalog["cbi"], in_order(*[50] * 19) | {"7": 60})
    assert caught.value.errors == {"7": ["must be one of 0, 25, 50, 75, 100"]}


def test_cbi_has_no_total_score(catalog):
    assert set(score(catalog, "cbi", *[50] * 19).scores) == {"personal", "work", "client"}


def test_unknown_item_is_an_error(catalog):
    with pytest.raises(AnswerError) as caught:
        score_answers(catalog["cbi"], in_order(*[50] * 19) | {"20": 50})
    assert caught.value.errors == {"20": ["unknown item"]}


# WHO-5: raw = sum (0-25), percent = raw x 4; bands on the percentage.

def test_who5_all_maximum_is_100_percent(catalog):
    result = score(catalog, "who5", 5, 5, 5, 5, 5)
    assert (result.scores, result.bands, result.alerts) == ({"raw": 25, "percent": 100}, {"percent": "ok"}, ())


def test_who5_all_minimum_is_0_percent_very_low(catalog):
    result = score(catalog, "who5", 0, 0, 0, 0, 0)
    assert (result.scores, result.bands) == ({"raw": 0, "percent": 0}, {"percent": "very_low"})


def test_who5_percent_is_raw_times_4(catalog):
    # raw 13 -> 52 (the wrong (raw - 5) x 4 would give 32)
    result = score(catalog, "who5", 3, 3, 2, 2, 3)
    assert (result.scores, result.bands) == ({"raw": 13, "percent": 52}, {"percent": "ok"})


def test_who5_48_percent_is_low(catalog):
    result = score(catalog, "who5", 3, 2, 2, 2, 3)
    assert (result.scores, result.bands) == ({"raw": 12, "percent": 48}, {"percent": "low"})


def test_who5_28_percent_is_very_low_and_signposts(catalog):
    result = score(catalog, "who5", 2, 1, 2, 1, 1)
    assert (result.scores, result.bands) == ({"raw": 7, "percent": 28}, {"percent": "very_low"})
    assert [(alert.rule_id, alert.kind, alert.value) for alert in result.alerts] == [
        ("very_low_wellbeing", "signpost", 28.0)
    ]


def test_who5_32_percent_is_low_without_alert(catalog):
    result = score(catalog, "who5", 2, 2, 2, 1, 1)
    assert (result.scores, result.bands, result.alerts) == ({"raw": 8, "percent": 32}, {"percent": "low"}, ())


# PHQ-4: anxiety = 1 + 2, depression = 3 + 4, total; subscale >= 3 is a positive screen.

def test_phq4_all_not_at_all_is_normal(catalog):
    result = score(catalog, "phq4", 0, 0, 0, 0)
    assert result.scores == {"anxiety": 0, "depression": 0, "total": 0}
    assert result.bands == {"anxiety": "negative", "depression": "negative", "total": "normal"}
    assert result.alerts == ()


def test_phq4_golden_q2_is_mild_with_positive_anxiety(catalog):
    result = score(catalog, "phq4", 2, 1, 1, 1)
    assert result.scores == {"anxiety": 3, "depression": 2, "total": 5}
    assert result.bands == {"anxiety": "positive", "depression": "negative", "total": "mild"}
    assert [alert.rule_id for alert in result.alerts] == ["anxiety_positive"]


def test_phq4_golden_q3_is_severe_with_both_positive(catalog):
    result = score(catalog, "phq4", 3, 3, 2, 1)
    assert result.scores == {"anxiety": 6, "depression": 3, "total": 9}
    assert result.bands == {"anxiety": "positive", "depression": "positive", "total": "severe"}
    assert [alert.rule_id for alert in result.alerts] == ["anxiety_positive", "depression_positive"]


def test_phq4_all_maximum_is_12(catalog):
    result = score(catalog, "phq4", 3, 3, 3, 3)
    assert result.scores == {"anxiety": 6, "depression": 6, "total": 12}
    assert result.bands["total"] == "severe"


@pytest.mark.parametrize(
    ("answers", "band"),
    [((1, 1, 0, 0), "normal"), ((1, 1, 1, 0), "mild"), ((2, 2, 1, 0), "mild"), ((2, 2, 2, 0), "moderate"),
     ((2, 2, 2, 2), "moderate"), ((3, 2, 2, 2), "severe")],
)
def test_phq4_total_band_edges(catalog, answers, band):
    # totals 2 | 3, 5 | 6, 8 | 9 on either side of each edge
    assert score(catalog, "phq4", *answers).bands["total"] == band


def test_phq4_subscale_of_2_is_negative_and_3_positive(catalog):
    assert score(catalog, "phq4", 1, 1, 1, 1).bands == {
        "anxiety": "negative", "depression": "negative", "total": "mild"}
    assert score(catalog, "phq4", 0, 0, 2, 1).bands["depression"] == "positive"


def test_phq4_true_is_not_an_answer(catalog):
    with pytest.raises(AnswerError) as caught:
        score_answers(catalog["phq4"], {"1": True, "2": 0, "3": 0, "4": 0})
    assert caught.value.errors == {"1": ["must be one of 0, 1, 2, 3"]}


# BRS: mean of 6 items, items 2, 4, 6 reversed (6 - answer); low < 3 <= normal <= 4.30 < high.

@pytest.mark.parametrize(
    ("answers", "mean", "shown", "band"),
    [
        ((5, 1, 5, 1, 5, 1), 5.0, 5.0, "high"),  # scored 5 x 6 = 30
        ((4, 2, 4, 2, 3, 3), 22 / 6, 3.67, "normal"),  # scored 4,4,4,4,3,3 = 22
        ((2, 4, 2, 5, 2, 4), 11 / 6, 1.83, "low"),  # scored 2,2,2,1,2,2 = 11
        ((5, 2, 4, 1, 4, 2), 26 / 6, 4.33, "high"),  # scored 5,4,4,5,4,4 = 26, first mean above 4.30
        ((3, 3, 3, 3, 3, 3), 3.0, 3.0, "normal"),  # 18, bottom of normal
    ],
)
def test_brs_golden_vectors(catalog, answers, mean, shown, band):
    result = score(catalog, "brs", *answers)
    assert (result.unrounded, result.scores, result.bands) == ({"mean": mean}, {"mean": shown}, {"mean": band})


def test_brs_all_minimum_and_all_maximum_both_mean_3(catalog):
    # all 1: scored 1,5,1,5,1,5 = 18; all 5: scored 5,1,5,1,5,1 = 18
    assert score(catalog, "brs", *[1] * 6).scores == {"mean": 3.0}
    assert score(catalog, "brs", *[5] * 6).scores == {"mean": 3.0}


@pytest.mark.parametrize(("item", "shown", "band"), [(1, 3.33, "normal"), (2, 2.67, "low"), (3, 3.33, "normal"),
                                                      (4, 2.67, "low"), (5, 3.33, "normal"), (6, 2.67, "low")])
def test_brs_only_items_2_4_6_are_reversed(catalog, item, shown, band):
    # all 3 = 18; one item at 5 gives 20/6 if plain, 16/6 if reversed (6 - 5 = 1)
    values = [3] * 6
    values[item - 1] = 5
    result = score(catalog, "brs", *values)
    assert (result.scores, result.bands) == ({"mean": shown}, {"mean": band})


def test_brs_sum_17_is_low_and_25_is_normal(catalog):
    # 3,3,3,3,3,4 scores 3 x 5 + (6 - 4) = 17 -> 2.83; 4,2,4,2,4,1 scores 4 x 5 + 5 = 25 -> 4.17
    low = score(catalog, "brs", 3, 3, 3, 3, 3, 4)
    normal = score(catalog, "brs", 4, 2, 4, 2, 4, 1)
    assert (low.scores, low.bands) == ({"mean": 2.83}, {"mean": "low"})
    assert (normal.scores, normal.bands) == ({"mean": 4.17}, {"mean": "normal"})


def test_brs_band_edges_hold_on_exact_values(catalog):
    scale = catalog["brs"].scales["mean"]
    assert [scale.band_for(Fraction(value)) for value in ("2.99", "3", "4.30", "4.301", "5")] == [
        "low", "normal", "normal", "high", "high"]


# Single-item burnout: 1-5, 3 or more = burnout; 5 signposts counselling.

@pytest.mark.parametrize(("answer", "band"), [(1, "no_burnout"), (2, "no_burnout"), (3, "burnout"), (5, "burnout")])
def test_burnout1_bands(catalog, answer, band):
    assert score(catalog, "burnout1", answer).bands == {"score": band}


def test_burnout1_top_answer_signposts_and_4_does_not(catalog):
    assert [alert.rule_id for alert in score(catalog, "burnout1", 5).alerts] == ["completely_burned_out"]
    assert score(catalog, "burnout1", 4).alerts == ()


@pytest.mark.parametrize("answer", [0, 6])
def test_burnout1_rejects_values_outside_1_to_5(catalog, answer):
    with pytest.raises(AnswerError) as caught:
        score(catalog, "burnout1", answer)
    assert caught.value.errors == {"1": ["must be one of 1, 2, 3, 4, 5"]}


@pytest.mark.parametrize(
    ("instrument_id", "items"), [("pss10", 10), ("who5", 5), ("phq4", 4), ("brs", 6), ("burnout1", 1)]
)
def test_instruments_requiring_every_item_reject_a_missing_last_item(catalog, instrument_id, items):
    lowest = min(catalog[instrument_id].items[0].values)
    with pytest.raises(AnswerError) as caught:
        score(catalog, instrument_id, *[lowest] * (items - 1))
    assert caught.value.errors == {str(items): ["an answer is required"]}


# Display rounding.

def test_round_half_up_rounds_halves_away_from_zero():
    assert round_half_up(Fraction("12.25"), 1) == 12.3
    assert round_half_up(Fraction("-12.25"), 1) == -12.3
    assert round_half_up(Fraction(5, 2), 0) == 3


def test_round_half_up_gives_an_int_for_zero_decimals():
    assert isinstance(round_half_up(Fraction(16), 0), int)
