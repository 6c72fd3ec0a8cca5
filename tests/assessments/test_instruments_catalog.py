"""The instrument files: schema, semantic checks, localization, re-administration hints, new instruments as data."""
import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator

from wellbeing.assessments.instruments import SCHEMA_PATH, InstrumentFileError, load_catalog, localize, next_due
from wellbeing.assessments.scoring import score_answers

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def text(en, zh):
    return {"en": en, "zh-CN": zh}


# A small instrument that is not shipped: 3 items valued 0..3, item 3 reversed, a mean that tolerates
# one missing answer, and a scaled sum that needs all three.
TINY = {
    "id": "tiny",
    "version": "1",
    "name": text("Tiny check", "小测验"),
    "instructions": text("Answer each item.", "请回答每一题。"),
    "recall_period": {"text": text("The last week", "过去一周"), "days": 7, "published": True},
    "min_interval_days": 7,
    "reminder_days": 7,
    "required": "per_scale_minimum",
    "option_sets": {
        "agree": [
            {"value": 0, "label": text("No", "否")},
            {"value": 1, "label": text("A little", "有点")},
            {"value": 2, "label": text("Quite", "比较")},
            {"value": 3, "label": text("Very", "非常")},
        ]
    },
    "default_option_set": "agree",
    "items": [
        {"id": "1", "text": text("First", "第一")},
        {"id": "2", "text": text("Second", "第二")},
        {"id": "3", "text": text("Third", "第三")},
    ],
    "scales": {
        "mean": {
            "items": ["1", "2", "3"],
            "reverse_items": ["3"],
            "formula": {"type": "mean"},
            "missing": {"rule": "min_answered", "min": 2, "source": "test"},
            "display_decimals": 0,
            "bands": {
                "source": "test",
                "informal": True,
                "ranges": [
                    {"key": "low", "interval": "[0, 2)", "label": text("Low", "低")},
                    {"key": "high", "interval": "[2, 3]", "label": text("High", "高")},
                ],
            },
        },
        "scaled": {
            "items": ["1", "2", "3"],
            "reverse_items": [],
            "formula": {"type": "scaled", "of": "sum", "multiplier": 10, "offset": -5},
            "missing": {"rule": "all_required"},
            "display_decimals": 0,
        },
    },
    "alerts": [
        {"id": "first_item_top", "on": "item", "target": "1", "op": ">=", "value": 3, "kind": "crisis"},
        {"id": "mean_high", "on": "scale", "target": "mean", "op": ">=", "value": 2.5, "kind": "signpost"},
    ],
    "license": {"text": "Test only.", "commercial_use_needs_permission": False},
    "citation": "None.",
    "translation": {"zh-CN": {"status": "own_translation", "note": "test"}},
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def write(directory, doc, name="tiny.json"):
    (directory / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_catalog_has_the_six_api_instruments_with_their_item_counts(catalog):
    assert {key: len(instrument.items) for key, instrument in catalog.items()} == {
        "cbi": 19, "phq4": 4, "burnout1": 1, "pss10": 10, "who5": 5, "brs": 6}


def test_scale_names_are_the_api_names(catalog):
    assert {key: list(instrument.scales) for key, instrument in catalog.items()} == {
        "cbi": ["personal", "work", "client"], "phq4": ["anxiety", "depression", "total"], "burnout1": ["score"],
        "pss10": ["total"], "who5": ["raw", "percent"], "brs": ["mean"]}


def test_option_values_are_the_published_ones(catalog):
    values = {key: {tuple(sorted(item.values)) for item in instrument.items} for key, instrument in catalog.items()}
    assert values == {
        "cbi": {(0, 25, 50, 75, 100)}, "phq4": {(0, 1, 2, 3)}, "burnout1": {(1, 2, 3, 4, 5)},
        "pss10": {(0, 1, 2, 3, 4)}, "who5": {(0, 1, 2, 3, 4, 5)}, "brs": {(1, 2, 3, 4, 5)}}


def test_reverse_items_are_the_published_ones(catalog):
    reversed_items = {
        key: {name: sorted(scale.reverse_items, key=int) for name, scale in i.scales.items() if scale.reverse_items}
        for key, i in catalog.items()
    }
    assert reversed_items == {
        "cbi": {"work": ["13"]}, "phq4": {}, "burnout1": {}, "pss10": {"total": ["4", "5", "7", "8"]}, "who5": {},
        "brs": {"mean": ["2", "4", "6"]}}


def test_cbi_missing_data_minimums_are_3_4_3(catalog):
    assert {name: scale.min_answered for name, scale in catalog["cbi"].scales.items()} == {
        "personal": 3, "work": 4, "client": 3}


def test_cbi_client_items_say_customers(catalog):
    client = [item for item in catalog["cbi"].items if item.id in catalog["cbi"].scales["client"].items]
    assert all("customers" in item.text["en"] and "客户" in item.text["zh-CN"] for item in client)
    assert not any("client" in item.text["en"] for item in catalog["cbi"].items)


def test_cbi_degree_items_use_the_degree_options(catalog):
    degree = [item.id for item in catalog["cbi"].items if item.options[0].label["en"] == "To a very high degree"]
    assert degree == ["7", "8", "9", "14", "15", "16", "17"]


def test_commercial_permission_flags_follow_the_licences(catalog):
    assert {key: i.license["commercial_use_needs_permission"] for key, i in catalog.items()} == {
        "cbi": False, "phq4": False, "burnout1": False, "pss10": True, "who5": True, "brs": True}


def test_every_zh_cn_text_is_declared_our_own_translation(catalog):
    assert {i.translation["zh-CN"]["status"] for i in catalog.values()} == {"own_translation"}


def test_localize_in_english(catalog):
    view = localize(catalog["cbi"], "en")
    assert (view["language"], view["name"], view["items_count"]) == ("en", "Copenhagen Burnout Inventory", 19)
    assert view["items"][13]["text"] == "Do you find it hard to work with customers?"
    assert view["items"][6]["options"][0] == {"value": 100, "label": "To a very high degree"}
    assert view["translation"] is None


def test_localize_in_chinese(catalog):
    view = localize(catalog["phq4"], "zh-CN")
    assert view["name"] == "患者健康问卷-4（PHQ-4）"
    assert view["items"][0]["text"] == "感觉紧张、焦虑或急切"
    assert [option["label"] for option in view["items"][0]["options"]] == ["完全不会", "好几天", "一半以上的天数", "几乎每天"]
    assert view["recall_period"] == {"text": "过去两个星期", "days": 14}
    assert view["translation"] == {"status": "own_translation", "disclaimer": None}


def test_localize_who5_in_chinese_carries_the_who_translation_disclaimer(catalog):
    disclaimer = localize(catalog["who5"], "zh-CN")["translation"]["disclaimer"]
    assert disclaimer.startswith("本译文并非由世界卫生组织")


@pytest.mark.parametrize(("tag", "language"), [("fr", "en"), (None, "en"), ("zh-cn", "zh-CN"), ("EN", "en")])
def test_localize_matches_case_insensitively_and_falls_back_to_english(catalog, tag, language):
    assert localize(catalog["brs"], tag)["language"] == language


def test_localize_lists_band_labels_per_scale(catalog):
    scales = localize(catalog["pss10"], "zh-CN")["scales"]
    assert scales == [{"name": "total", "informal_bands": True, "bands": [
        {"key": "low", "label": "自评压力感较低"}, {"key": "moderate", "label": "自评压力感中等"}, {"key": "high", "label": "自评压力感较高"}]}]


def test_next_due_is_now_for_an_instrument_never_taken(catalog):
    assert next_due(catalog["who5"], None, NOW) == NOW


def test_next_due_is_one_recall_period_after_the_last_completion(catalog):
    last = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    assert next_due(catalog["who5"], last, NOW) == datetime(2026, 3, 15, 8, 0, tzinfo=timezone.utc)
    assert next_due(catalog["pss10"], last, NOW) == datetime(2026, 3, 31, 8, 0, tzinfo=timezone.utc)


def test_next_due_is_now_when_overdue(catalog):
    assert next_due(catalog["brs"], NOW - timedelta(days=200), NOW) == NOW


def test_next_due_refuses_naive_datetimes(catalog):
    with pytest.raises(ValueError):
        next_due(catalog["who5"], datetime(2026, 3, 1), NOW)


def test_a_new_instrument_is_just_a_new_file(tmp_path):
    write(tmp_path, TINY)
    catalog = load_catalog(tmp_path)
    assert list(catalog) == ["tiny"]
    # mean: scored 2, 2, 3 - 2 = 1 -> 5/3 shows as 2 but is below the edge of 2: low
    # scaled (item 3 not reversed there): (2 + 2 + 2) x 10 - 5 = 55
    result = score_answers(catalog["tiny"], {"1": 2, "2": 2, "3": 2})
    assert (result.scores, result.bands, result.alerts) == ({"mean": 2, "scaled": 55}, {"mean": "low"}, ())


def test_a_new_instrument_applies_its_missing_data_rule_and_alerts(tmp_path):
    write(tmp_path, TINY)
    # item 3 unanswered: mean of 3, 3 = 3 (high); the scaled sum needs all items and is left out
    result = score_answers(load_catalog(tmp_path)["tiny"], {"1": 3, "2": 3})
    assert (result.scores, result.bands) == ({"mean": 3}, {"mean": "high"})
    assert [(alert.rule_id, alert.kind) for alert in result.alerts] == [
        ("first_item_top", "crisis"), ("mean_high", "signpost")]


DELETE = object()


def _set(path, value):
    def mutate(doc):
        *parents, last = path
        target = doc
        for key in parents:
            target = target[key]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return mutate


def _leave_item_2_unscored(doc):
    for scale in doc["scales"].values():
        scale["items"] = ["1", "3"]


BROKEN = [
    ("missing_name", _set(["name"], DELETE), "$", "'name' is a required property"),
    ("option_value_not_integer", _set(["option_sets", "agree", 0, "value"], "zero"), "$.option_sets.agree[0].value",
     "'zero' is not of type 'integer'"),
    ("missing_chinese_text", _set(["items", 0, "text"], {"en": "First"}), "$.items[0].text",
     "'zh-CN' is a required property"),
    ("unknown_formula", _set(["scales", "mean", "formula"], {"type": "median"}), "$.scales.mean.formula.type",
     "'median' is not one of"),
    ("bad_interval_text", _set(["scales", "mean", "bands", "ranges", 0, "interval"], "0-2"),
     "$.scales.mean.bands.ranges[0].interval", "does not match"),
    ("bad_translation_status", _set(["translation", "zh-CN", "status"], "machine"), "$.translation['zh-CN'].status",
     "'machine' is not one of"),
    ("missing_commercial_flag", _set(["license", "commercial_use_needs_permission"], DELETE), "$.license",
     "'commercial_use_needs_permission' is a required property"),
    ("item_ids_out_of_order", _set(["items", 0, "id"], "2"), "$.items[0].id", "expected '1'"),
    ("unknown_option_set", _set(["items", 1, "option_set"], "degree"), "$.items[1].option_set",
     "unknown option set 'degree'"),
    ("duplicate_option_value", _set(["option_sets", "agree", 1, "value"], 0), "$.option_sets.agree",
     "option values must be unique"),
    ("scale_item_unknown", _set(["scales", "mean", "items"], ["1", "2", "3", "4"]), "$.scales.mean.items[3]",
     "unknown item '4'"),
    ("reverse_item_outside_scale", _set(["scales", "mean", "reverse_items"], ["3", "9"]),
     "$.scales.mean.reverse_items[1]", "reverse item '9' is not in the scale's items"),
    ("minimum_above_item_count", _set(["scales", "mean", "missing", "min"], 4), "$.scales.mean.missing.min",
     "4 exceeds the scale's 3 items"),
    ("partial_sum", _set(["scales", "scaled", "missing"], {"rule": "min_answered", "min": 2, "source": "x"}),
     "$.scales.scaled.missing", "a sum cannot be scored from some of its items"),
    ("bands_short_of_maximum", _set(["scales", "mean", "bands", "ranges", 1, "interval"], "[2, 2.5]"),
     "$.scales.mean.bands.ranges[1].interval", "last band must end at the scale maximum, closed: ..., 3]"),
    ("bands_from_above_minimum", _set(["scales", "mean", "bands", "ranges", 0, "interval"], "(0, 2)"),
     "$.scales.mean.bands.ranges[0].interval", "first band must start at the scale minimum"),
    ("bands_with_a_gap", _set(["scales", "mean", "bands", "ranges", 0, "interval"], "[0, 1)"),
     "$.scales.mean.bands.ranges[1].interval", "must start where the previous band ends"),
    ("bands_sharing_a_closed_edge", _set(["scales", "mean", "bands", "ranges", 0, "interval"], "[0, 2]"),
     "$.scales.mean.bands.ranges[1].interval", "exactly one of them including the edge"),
    ("band_edges_reversed", _set(["scales", "mean", "bands", "ranges", 0, "interval"], "[2, 0)"),
     "$.scales.mean.bands.ranges[0].interval", "empty interval"),
    ("alert_on_unknown_scale", _set(["alerts", 1, "target"], "total"), "$.alerts[1].target", "unknown scale 'total'"),
    ("all_required_with_a_minimum_rule", _set(["required"], "all"), "$.required", "'all' contradicts"),
    ("unscored_item", _leave_item_2_unscored, "$.items[1]", "belongs to no scale"),
    ("reminder_sooner_than_a_retake_is_allowed", _set(["reminder_days"], 6), "$.reminder_days",
     "shorter than min_interval_days"),
    ("reminder_beyond_ninety_days", _set(["reminder_days"], 91), "$.reminder_days", "91 is greater than"),
]


@pytest.mark.parametrize(("mutate", "json_path", "message"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_malformed_file_is_rejected_naming_the_file_and_the_json_path(tmp_path, mutate, json_path, message):
    doc = copy.deepcopy(TINY)
    mutate(doc)
    write(tmp_path, doc)
    with pytest.raises(InstrumentFileError) as caught:
        load_catalog(tmp_path)
    assert str(caught.value).startswith(f"tiny.json: {json_path}: ")
    assert message in str(caught.value)


def test_bands_must_cover_exactly_the_reachable_range_of_a_mean(tmp_path):
    # item 3 answers 0..6; with at least 2 of 3 answered the highest mean is (3 + 6) / 2 = 4.5
    doc = copy.deepcopy(TINY)
    doc["option_sets"]["wide"] = [{"value": value, "label": text(str(value), str(value))} for value in range(7)]
    doc["items"][2]["option_set"] = "wide"
    doc["scales"]["mean"]["bands"]["ranges"][1]["interval"] = "[2, 6]"
    write(tmp_path, doc)
    with pytest.raises(InstrumentFileError, match=r"scale maximum, closed: \.\.\., 4\.5\]"):
        load_catalog(tmp_path)
    doc["scales"]["mean"]["bands"]["ranges"][1]["interval"] = "[2, 4.5]"
    write(tmp_path, doc)
    assert list(load_catalog(tmp_path)) == ["tiny"]


def test_file_that_is_not_json_is_rejected_naming_the_file(tmp_path):
    (tmp_path / "tiny.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InstrumentFileError, match=r"^tiny\.json: \$: not valid JSON"):
        load_catalog(tmp_path)


def test_file_name_must_match_the_instrument_id(tmp_path):
    write(tmp_path, TINY, name="other.json")
    with pytest.raises(InstrumentFileError, match=r"^other\.json: \$\.id: 'tiny' must equal the file name 'other'"):
        load_catalog(tmp_path)


def test_each_instrument_declares_its_reminder_rhythm():
    rhythm = {key: instrument.reminder_days for key, instrument in load_catalog().items()}
    assert rhythm == {"brs": 90, "burnout1": 7, "cbi": 30, "phq4": 14, "pss10": 30, "who5": 14}
    assert all(instrument.min_interval_days <= instrument.reminder_days <= 90 for instrument in load_catalog().values())
