"""Wording of the survey files (zh-CN reads naturally and in order, attributions complete) and each instrument's
minimum interval between answers; scoring is untouched (test_scoring.py)."""
from __future__ import annotations

import json

import pytest

from wellbeing.assessments.instruments import SURVEYS_DIR, InstrumentFileError, load_catalog


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def zh(instrument, item_id):
    return next(item.text["zh-CN"] for item in instrument.items if item.id == item_id)


def test_the_phq4_attribution_carries_pfizers_copyright(catalog):
    assert "© Pfizer Inc." in catalog["phq4"].license["attribution"]


def test_the_cbi_says_frustrated_one_way_and_worn_out_without_overstating(catalog):
    cbi = catalog["cbi"]
    assert "沮丧" in zh(cbi, "9") and "沮丧" in zh(cbi, "15") and "挫败" not in zh(cbi, "9")
    texts = [item.text["zh-CN"] for item in cbi.items]
    assert not any("心力交瘁" in text for text in texts)
    assert "身心疲惫" in zh(cbi, "5") and "身心疲惫" in zh(cbi, "10")
    assert not any("多经常" in text for text in texts)
    assert all(zh(cbi, str(n)).endswith("的频率如何？") for n in range(1, 7))


def test_the_brs_midpoint_reads_not_sure_rather_than_neutral(catalog):
    labels = [option.label["zh-CN"] for option in catalog["brs"].items[0].options]
    assert labels == ["非常不同意", "不同意", "不确定", "同意", "非常同意"]


def test_the_who5_options_read_from_most_to_least_in_chinese(catalog):
    labels = [option.label["zh-CN"] for option in catalog["who5"].items[0].options]
    assert [option.value for option in catalog["who5"].items[0].options] == [5, 4, 3, 2, 1, 0]
    assert labels == ["所有时间", "大部分时间", "一半以上的时间", "不到一半的时间", "偶尔", "从来没有"]


def test_changed_wording_has_a_new_instrument_version(catalog):
    assert {key: catalog[key].version for key in ("cbi", "who5", "brs")} == {
        "cbi": "1.1-puma-order", "who5": "1.1", "brs": "1.1"}


def test_each_instrument_has_its_minimum_interval_within_its_recall_period(catalog):
    assert {key: instrument.min_interval_days for key, instrument in catalog.items()} == {
        "phq4": 14, "who5": 14, "burnout1": 7, "cbi": 28, "pss10": 28, "brs": 28}
    assert all(instrument.min_interval_days <= instrument.recall_days for instrument in catalog.values())


def test_a_minimum_interval_longer_than_the_recall_period_is_refused(tmp_path):
    doc = json.loads((SURVEYS_DIR / "phq4.json").read_text(encoding="utf-8"))
    doc["min_interval_days"] = 15
    (tmp_path / "phq4.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InstrumentFileError, match=r"^phq4\.json: \$\.min_interval_days: exceeds recall_period\.days"):
        load_catalog(tmp_path)


def test_an_instrument_without_a_minimum_interval_is_refused(tmp_path):
    doc = json.loads((SURVEYS_DIR / "phq4.json").read_text(encoding="utf-8"))
    del doc["min_interval_days"]
    (tmp_path / "phq4.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InstrumentFileError, match=r"^phq4\.json: \$: 'min_interval_days' is a required property"):
        load_catalog(tmp_path)
