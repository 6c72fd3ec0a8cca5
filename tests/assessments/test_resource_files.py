"""National help lines as data (surveys/resources/): checked at load and at start-up; a country is a file."""
from __future__ import annotations

import copy
import functools
import json

import pytest

from api import create_app
from api.config import Config
from wellbeing.assessments import resources
from wellbeing.assessments.resources import RESOURCES_DIR, ResourceFileError, load_national_lines

CN = json.loads((RESOURCES_DIR / "CN.json").read_text(encoding="utf-8"))


def write(directory, name, doc):
    (directory / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_mainland_china_ships_12356_then_120_then_110():
    lines = load_national_lines()["CN"]
    assert [(line.id, line.phone) for line in lines] == [("cn_12356", "12356"), ("cn_120", "120"), ("cn_110", "110")]
    hotline = lines[0]
    assert hotline.hours == {"en": "At least 18 hours a day", "zh-CN": "每天至少18小时"}
    assert (hotline.confidential, hotline.emergency) == (True, False)
    assert all(line.emergency for line in lines[1:])
    assert all(line.source and line.name["en"] and line.name["zh-CN"] for line in lines)


def test_a_new_country_is_a_new_file(tmp_path):
    line = {"id": "hk_999", "name": {"en": "Emergency 999", "zh-CN": "紧急求助 999"}, "phone": "999",
            "hours": {"en": "24 hours a day", "zh-CN": "全天24小时"}, "confidential": False, "emergency": True,
            "source": "Test data."}
    hong_kong = {"country": "HK", "name": {"en": "Hong Kong", "zh-CN": "香港"}, "checked": "2026-12-07",
                 "resources": [line]}
    write(tmp_path, "CN.json", CN)
    write(tmp_path, "HK.json", hong_kong)
    assert sorted(load_national_lines(tmp_path)) == ["CN", "HK"]
    assert load_national_lines(tmp_path)["HK"][0].phone == "999"


def _broken(change):
    doc = copy.deepcopy(CN)
    change(doc)
    return doc


BROKEN = {
    "missing_chinese_name": (lambda d: d["resources"][0]["name"].pop("zh-CN"), r"\$\.resources\[0\]\.name"),
    "neither_phone_nor_url": (lambda d: d["resources"][1].pop("phone"), r"\$\.resources\[1\]"),
    "hours_not_localized": (lambda d: d["resources"][0].update(hours="18h"), r"\$\.resources\[0\]\.hours"),
    "no_source": (lambda d: d["resources"][2].pop("source"), r"\$\.resources\[2\]"),
    "plain_http_url": (lambda d: d["resources"][0].update(url="http://x.example"), r"\$\.resources\[0\]\.url"),
    "id_of_another_country": (lambda d: d["resources"][0].update(id="hk_12356"), r"\$\.resources\[0\]\.id: must start"),
    "duplicate_id": (lambda d: d["resources"][1].update(id="cn_12356"), r"\$\.resources\[1\]\.id: duplicate"),
    "unknown_field": (lambda d: d["resources"][0].update(open_24_7=True), r"\$\.resources\[0\]"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_refused_naming_the_file_and_the_json_path(tmp_path, case):
    change, where = BROKEN[case]
    write(tmp_path, "CN.json", _broken(change))
    with pytest.raises(ResourceFileError, match=rf"^CN\.json: {where}"):
        load_national_lines(tmp_path)


def test_the_file_name_is_the_country(tmp_path):
    write(tmp_path, "TW.json", CN)
    with pytest.raises(ResourceFileError, match=r"^TW\.json: \$\.country: 'CN' must equal the file name 'TW'"):
        load_national_lines(tmp_path)


def test_the_country_must_be_an_iso_code(tmp_path):
    write(tmp_path, "XX.json", _broken(lambda d: d.update(country="XX")))
    with pytest.raises(ResourceFileError, match=r"^XX\.json: \$\.country: 'XX' is not an ISO 3166-1"):
        load_national_lines(tmp_path)


def test_ids_start_with_the_country_so_they_are_unique_across_countries(tmp_path):
    write(tmp_path, "CN.json", CN)
    other = _broken(lambda d: d.update(country="MO"))
    write(tmp_path, "MO.json", other)
    with pytest.raises(ResourceFileError, match=r"^MO\.json: \$\.resources\[0\]\.id: must start with 'mo_'"):
        load_national_lines(tmp_path)


def test_invalid_json_is_refused(tmp_path):
    (tmp_path / "CN.json").write_text("{", encoding="utf-8")
    with pytest.raises(ResourceFileError, match=r"^CN\.json: \$: not valid JSON"):
        load_national_lines(tmp_path)


def test_a_broken_file_stops_the_boot(tmp_path, monkeypatch):
    write(tmp_path, "CN.json", _broken(lambda d: d["resources"][0].pop("hours")))
    monkeypatch.setattr(resources, "load_national_lines", functools.partial(load_national_lines, tmp_path))
    resources.national_catalog.cache_clear()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'boot.db'}", "INSTANCE_PATH": str(tmp_path / "instance"),
           "SECRET_KEY": "a-secret-key-long-enough-for-hmac-sha256-signing", "PASSWORD_HASH_COST": "low"}
    try:
        with pytest.raises(ResourceFileError, match=r"^CN\.json: \$\.resources\[0\]"):
            create_app(Config(env))
    finally:
        resources.national_catalog.cache_clear()
