"""The exercise catalog: protocol timings, both languages, glossary terms, validation at load."""

import copy
import json

import pytest

from wellbeing.core.errors import NotFound
from wellbeing.prompts.exercises import CATALOG_PATH, ExerciseDataError, get_exercise, list_exercises, validate_catalog

BREATHING = ["cyclic_sighing", "box_breathing", "breathing_478", "resonance"]
BREAKS = ["micro_break", "stretch", "eyes_off_screen", "focus_25_5"]


def raw_catalog():
    return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))


def phase_seconds(exercise_id):
    return [phase["seconds"] for phase in get_exercise(exercise_id)["phases"]]


def test_catalog_lists_breathing_then_break_exercises():
    exercises = list_exercises("en")
    assert [e["id"] for e in exercises] == BREATHING + BREAKS
    assert [e["kind"] for e in exercises] == ["breathing"] * 4 + ["break"] * 4


def test_box_breathing_is_four_equal_phases_for_five_minutes():
    box = get_exercise("box_breathing")
    assert phase_seconds("box_breathing") == [4, 4, 4, 4]
    assert (box["cycles"], box["duration_seconds"], box["breaths_per_minute"]) == (19, 304, 3.75)


def test_478_breathing_is_four_seven_eight_four_times():
    assert phase_seconds("breathing_478") == [4, 7, 8]
    assert get_exercise("breathing_478")["duration_seconds"] == 76


def test_cyclic_sighing_has_two_inhales_and_a_longer_exhale():
    sigh = get_exercise("cyclic_sighing")
    assert [phase["key"] for phase in sigh["phases"]] == ["inhale", "top_up", "exhale"]
    inhale, top_up, exhale = phase_seconds("cyclic_sighing")
    assert exhale > inhale + top_up
    assert sigh["duration_seconds"] == 90  # 1-2 minutes after a tough call


def test_resonance_breathing_is_six_breaths_a_minute_without_holds():
    resonance = get_exercise("resonance")
    assert phase_seconds("resonance") == [4, 6]
    assert resonance["breaths_per_minute"] == 6.0
    assert not any("hold" in phase["key"] for phase in resonance["phases"])


def test_break_exercises_have_the_published_timings():
    assert get_exercise("micro_break")["duration_seconds"] == 5 * 60
    assert phase_seconds("eyes_off_screen") == [20]
    assert phase_seconds("focus_25_5") == [25 * 60, 5 * 60]
    assert get_exercise("stretch")["duration_seconds"] == 300


def test_every_duration_is_its_phases_times_its_cycles():
    for exercise in list_exercises():
        assert exercise["cycle_seconds"] * exercise["cycles"] == exercise["duration_seconds"]
        assert sum(phase["seconds"] for phase in exercise["phases"]) == exercise["cycle_seconds"]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_text_is_present_in_both_languages(lang):
    for exercise in list_exercises(lang):
        texts = [exercise["title"], exercise["instructions"], exercise["safety_note"]]
        texts += [phase["label"] for phase in exercise["phases"]]
        assert all(text.strip() for text in texts)


def test_chinese_texts_are_chinese_and_english_texts_are_not():
    def has_cjk(text):
        return any("\u4e00" <= char <= "\u9fff" for char in text)

    for zh, en in zip(list_exercises("zh-CN"), list_exercises("en")):
        assert has_cjk(zh["instructions"]) and has_cjk(zh["phases"][0]["label"])
        assert not has_cjk(en["instructions"]) and not has_cjk(en["title"])


def test_chinese_titles_use_the_glossary_terms():
    titles = {e["id"]: e["title"] for e in list_exercises("zh-CN")}
    assert titles["cyclic_sighing"] == "循环叹息呼吸"
    assert titles["box_breathing"] == "箱式呼吸"
    assert titles["breathing_478"] == "4-7-8 呼吸法"
    assert titles["resonance"] == "共振呼吸"
    assert titles["micro_break"] == "微休息"
    assert titles["focus_25_5"] == "番茄工作法 (25 分钟专注 + 5 分钟休息)"


def test_breathing_exercises_carry_the_breathing_safety_note():
    assert get_exercise("box_breathing", "en")["safety_note"].startswith("Stop if you feel dizzy")
    assert "屏息环节可以省略" in get_exercise("breathing_478", "zh-CN")["safety_note"]
    assert get_exercise("stretch", "en")["safety_note"].startswith("Move gently")


def test_every_exercise_names_its_source():
    sources = {e["id"]: e["source"] for e in list_exercises()}
    assert "Balban" in sources["cyclic_sighing"]
    assert "Vierra" in sources["breathing_478"]
    assert "Lehrer" in sources["resonance"]
    assert "Albulescu" in sources["micro_break"]
    assert all(sources.values())


def test_unknown_language_falls_back_to_english():
    assert get_exercise("resonance", "fr") == get_exercise("resonance", "en")


def test_unknown_exercise_is_not_found():
    with pytest.raises(NotFound):
        get_exercise("hyperventilation")


def test_callers_cannot_change_the_catalog_through_a_result():
    get_exercise("box_breathing")["phases"][0]["seconds"] = 99
    assert phase_seconds("box_breathing") == [4, 4, 4, 4]


def test_shipped_catalog_is_valid():
    validate_catalog(raw_catalog())


def test_catalog_whose_phases_do_not_add_up_is_refused():
    data = raw_catalog()
    data["exercises"][1]["duration_seconds"] = 300
    with pytest.raises(ExerciseDataError, match="box_breathing"):
        validate_catalog(data)


def test_catalog_missing_a_chinese_text_is_refused():
    for drop in (["title"], ["phases", 0, "label"], ["instructions"]):
        data = raw_catalog()
        text = data["exercises"][0]
        for key in drop:
            text = text[key]
        del text["zh-CN"]
        with pytest.raises(ExerciseDataError):
            validate_catalog(data)


def test_catalog_missing_a_safety_note_language_is_refused():
    data = raw_catalog()
    del data["safety_notes"]["breathing"]["zh-CN"]
    with pytest.raises(ExerciseDataError):
        validate_catalog(data)


def test_catalog_with_a_duplicate_id_or_unknown_kind_is_refused():
    data = raw_catalog()
    data["exercises"].append(copy.deepcopy(data["exercises"][0]))
    with pytest.raises(ExerciseDataError, match="duplicate"):
        validate_catalog(data)
    data = raw_catalog()
    data["exercises"][0]["kind"] = "meditation"
    with pytest.raises(ExerciseDataError):
        validate_catalog(data)


def test_cyclic_sighing_takes_both_inhales_through_the_nose():
    for lang, nose in (("en", "through your nose"), ("zh-CN", "用鼻子")):
        sigh = get_exercise("cyclic_sighing", lang)
        inhale, top_up, _exhale = sigh["phases"]
        assert nose in inhale["label"] and nose in top_up["label"]
        assert sigh["instructions"].count(nose) >= 2


def test_every_safety_note_says_to_stop_if_attending_to_the_breath_raises_anxiety():
    for exercise in list_exercises("en"):
        assert "Stop if focusing on your breathing makes you more anxious." in exercise["safety_note"], exercise["id"]
    for exercise in list_exercises("zh-CN"):
        assert "如果专注于呼吸让您更加焦虑" in exercise["safety_note"], exercise["id"]
