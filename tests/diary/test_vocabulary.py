"""Tests for the diary vocabularies and the response-language choice."""

import pytest

from wellbeing.diary import vocabulary as vocab
from wellbeing.core import language

# Copied by hand from shared/GLOSSARY.md: the Chinese terms agents were trained with.
GLOSSARY_EMOTIONS = {
    "calm": ("平静", "positive"), "happy": ("开心", "positive"), "content": ("满足", "positive"),
    "grateful": ("感激", "positive"), "tired": ("疲惫", "negative"), "anxious": ("焦虑", "negative"),
    "stressed": ("紧张 / 有压力", "negative"), "frustrated": ("沮丧", "negative"),
    "irritated": ("烦躁", "negative"), "angry": ("愤怒", "negative"), "wronged": ("委屈", "negative"),
    "sad": ("难过", "negative"), "overwhelmed": ("不堪重负", "negative"), "agitated": ("情绪激动", "negative"),
}
GLOSSARY_TERMS = {
    "triggers": {
        "customer_complaint": "客户投诉", "abusive_customer": "辱骂或威胁型客户", "call_volume": "话务量大",
        "long_call": "通话时间长", "repetitive_work": "重复性工作", "kpi_pressure": "业绩压力",
        "system_issue": "系统故障", "policy_unclear": "政策理解不一致", "colleague": "同事关系",
        "supervisor": "与上级沟通", "personal": "个人或家庭", "health": "身体不适", "sleep": "睡眠问题",
    },
    "signals": {
        "headache": "头痛", "poor_sleep": "失眠 / 睡眠问题", "mood_swings": "情绪波动",
        "low_focus": "注意力下降 / 工作效率下降", "exhaustion": "情绪疲劳",
    },
    "coping": {
        "deep_breathing": "深呼吸", "meditation": "冥想 / 正念", "body_relaxation": "身体放松练习",
        "short_break": "短暂休息", "exercise": "运动", "talk_colleague": "与同事交流",
        "talk_supervisor": "与主管沟通", "counseling": "心理辅导", "hobby": "爱好",
    },
}


def _by_key(lang: str, kind: str) -> dict[str, dict[str, str]]:
    return {entry["key"]: entry for entry in vocab.vocabulary(lang)[kind]}


def _valid_data() -> dict:
    return {
        "emotions": [{"key": "calm", "valence": "positive", "label": {"en": "Calm", "zh-CN": "平静"}}],
        "triggers": [{"key": "long_call", "label": {"en": "Long call", "zh-CN": "通话时间长"}}],
        "signals": [{"key": "headache", "label": {"en": "Headache", "zh-CN": "头痛"}}],
        "coping": [{"key": "hobby", "label": {"en": "Hobby", "zh-CN": "爱好"}}],
    }


def test_every_glossary_emotion_has_its_chinese_term_and_valence():
    emotions = _by_key("zh-CN", "emotions")
    for key, (term, valence) in GLOSSARY_EMOTIONS.items():
        assert emotions[key]["label"] == term
        assert emotions[key]["valence"] == valence


@pytest.mark.parametrize("kind", ["triggers", "signals", "coping"])
def test_every_glossary_term_has_its_chinese_label(kind):
    terms = _by_key("zh-CN", kind)
    assert {key: terms[key]["label"] for key in GLOSSARY_TERMS[kind]} == GLOSSARY_TERMS[kind]


def test_neutral_emotions_are_neutral_and_focused():
    emotions = _by_key("zh-CN", "emotions")
    neutral = {key: entry["label"] for key, entry in emotions.items() if entry["valence"] == "neutral"}
    assert neutral == {"neutral": "一般", "focused": "专注"}


def test_english_labels_are_english():
    assert _by_key("en", "emotions")["wronged"]["label"] == "Wronged"
    assert _by_key("en", "triggers")["abusive_customer"]["label"] == "Abusive or threatening customer"
    assert _by_key("en", "signals")["poor_sleep"]["label"] == "Poor sleep"
    assert _by_key("en", "coping")["deep_breathing"]["label"] == "Deep breathing"


def test_both_languages_list_the_same_keys_in_the_same_order():
    english, chinese = vocab.vocabulary("en"), vocab.vocabulary("zh-CN")
    for kind in vocab.KINDS:
        assert [e["key"] for e in english[kind]] == [e["key"] for e in chinese[kind]]


def test_only_emotions_carry_a_valence():
    listing = vocab.vocabulary("en")
    assert set(listing["emotions"][0]) == {"key", "label", "valence"}
    for kind in ("triggers", "signals", "coping"):
        assert all(set(entry) == {"key", "label"} for entry in listing[kind])


def test_vocabulary_rejects_unsupported_language():
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        vocab.vocabulary("fr")


def test_is_known_accepts_keys_of_the_right_kind_only():
    assert vocab.is_known("emotions", "wronged")
    assert vocab.is_known("triggers", "abusive_customer")
    assert vocab.is_known("signals", "low_focus")
    assert vocab.is_known("coping", "short_break")
    assert not vocab.is_known("emotions", "abusive_customer")
    assert not vocab.is_known("triggers", "Customer_Complaint")


def test_is_known_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown vocabulary kind 'emotion'"):
        vocab.is_known("emotion", "calm")


def test_valence_of_known_and_unknown_emotions():
    assert vocab.valence("grateful") == "positive"
    assert vocab.valence("focused") == "neutral"
    assert vocab.valence("overwhelmed") == "negative"
    with pytest.raises(KeyError):
        vocab.valence("elated")


def test_negative_emotions_are_the_glossarys_negative_ones():
    expected = {key for key, (_, valence) in GLOSSARY_EMOTIONS.items() if valence == "negative"}
    assert vocab.negative_emotions() == frozenset(expected)


def test_tough_call_triggers_are_complaints_and_abuse():
    assert vocab.tough_call_triggers() == frozenset({"customer_complaint", "abusive_customer"})


def test_signed_intensity_follows_valence():
    assert vocab.signed_intensity("happy", 7) == 7
    assert vocab.signed_intensity("angry", 7) == -7
    assert vocab.signed_intensity("neutral", 7) == 0


@pytest.mark.parametrize("change, message", [
    (lambda d: d["emotions"].append(dict(d["emotions"][0])), "duplicate key 'calm'"),
    (lambda d: d["triggers"][0]["label"].pop("zh-CN"), "label needs exactly the languages"),
    (lambda d: d["signals"][0]["label"].update({"en": " "}), "empty en label"),
    (lambda d: d["emotions"][0].update({"valence": "mixed"}), "valence must be one of"),
    (lambda d: d["coping"][0].update({"valence": "positive"}), "only emotions have a valence"),
    (lambda d: d["triggers"][0].update({"key": "Long Call"}), "invalid key 'Long Call'"),
    (lambda d: d.pop("coping"), "expected exactly the kinds"),
])
def test_parse_vocabulary_rejects_invalid_data(change, message):
    data = _valid_data()
    change(data)
    with pytest.raises(ValueError, match=message):
        vocab.parse_vocabulary(data)


def test_parse_vocabulary_accepts_valid_data():
    terms = vocab.parse_vocabulary(_valid_data())
    assert terms["emotions"][0].key == "calm"
    assert terms["emotions"][0].labels == {"en": "Calm", "zh-CN": "平静"}


@pytest.mark.parametrize("header", ["zh", "zh-CN", "zh-cn", "zh-Hans", "zh-SG", "zh-Hans-CN"])
def test_simplified_chinese_tags_pick_chinese(header):
    assert language.pick_language(header, "en") == "zh-CN"


@pytest.mark.parametrize("header", ["en", "en-US", "en-GB"])
def test_english_tags_pick_english(header):
    assert language.pick_language(header, "zh-CN") == "en"


def test_highest_q_value_wins_over_header_order():
    assert language.pick_language("en;q=0.5, zh-CN;q=0.9", None) == "zh-CN"


def test_equal_q_values_keep_header_order():
    assert language.pick_language("en-US, zh-CN", None) == "en"


def test_unsupported_languages_are_skipped_for_the_next_supported_one():
    assert language.pick_language("fr-FR, de;q=0.9, zh;q=0.8, en;q=0.7", None) == "zh-CN"


def test_q_zero_means_not_acceptable():
    assert language.pick_language("zh-CN;q=0, en;q=0.1", "zh-CN") == "en"


def test_malformed_q_values_are_ignored():
    assert language.pick_language("zh-CN;q=high, en;q=0.2", None) == "en"
    assert language.pick_language("zh-CN;q=1.5, en;q=0.2", None) == "en"


def test_traditional_chinese_is_not_served_simplified():
    assert language.pick_language("zh-TW", None) == "en"
    assert language.pick_language("zh-Hant, zh;q=0.8", None) == "zh-CN"


@pytest.mark.parametrize("header", [None, "", "fr, de", "*"])
def test_falls_back_to_the_users_locale(header):
    assert language.pick_language(header, "zh-CN") == "zh-CN"


def test_falls_back_to_english_without_a_usable_locale():
    assert language.pick_language(None, None) == "en"
    assert language.pick_language("fr", "pt-BR") == "en"
