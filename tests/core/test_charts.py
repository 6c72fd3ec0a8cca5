"""Tests for the mood and team-trend charts: real PNG/SVG, Chinese glyphs, deterministic bytes, ETags."""

import io
import logging
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pylopdf_fonts_zh_cn
import pytest
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

from wellbeing.core.charts import chart_etag
from wellbeing.diary.charts import DayPoint, day_points, mood_chart
from wellbeing.trends.charts import TrendPoint, trend_chart

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DAYS = [
    DayPoint(date(2026, 3, 2), 4.5, 2),
    DayPoint(date(2026, 3, 3), -6.0, 3, tough_call=True),
    DayPoint(date(2026, 3, 4), None, 0),
    DayPoint(date(2026, 3, 5), 1.0, 1),
]
SERIES = [
    TrendPoint(date(2026, 1, 1), date(2026, 1, 31), "released", 42.0, 6.5),
    TrendPoint(date(2026, 2, 1), date(2026, 2, 28), "suppressed"),
    TrendPoint(date(2026, 3, 1), date(2026, 3, 31), "released", 47.0, 5.0),
    TrendPoint(date(2026, 4, 1), date(2026, 4, 30), "pooled"),
]


@dataclass
class Entry:
    occurred_at: datetime
    emotion: str
    intensity: int
    triggers: list[str]


def _noto_glyph_ids(text: str) -> set[str]:
    """The SVG ids matplotlib gives Noto Sans SC glyphs: postscript name and glyph index in hex."""
    font = FT2Font(str(pylopdf_fonts_zh_cn.sans_path()))
    indexes = {font.get_char_index(ord(char)) for char in text}
    assert 0 not in indexes  # every character has a real glyph in the font
    return {f"{font.postscript_name}-{index:x}" for index in indexes}


def _svg_ids(svg: bytes) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', svg.decode("utf-8")))


def test_mood_png_is_a_real_800_by_450_png():
    png = mood_chart(DAYS, "en", "png")
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (800, 450)  # 8 x 4.5 inches at 100 dpi


def test_mood_svg_is_well_formed_576_by_324_points():
    root = ET.fromstring(mood_chart(DAYS, "en", "svg"))
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 576 324"  # 8 x 4.5 inches at 72 points per inch


def test_svg_title_carries_the_localized_title_and_context():
    root = ET.fromstring(mood_chart(DAYS, "zh-CN", "svg", "2026-03-02 – 2026-03-05"))
    assert root.find(f"{SVG_NS}title").text == "我的情绪 · 2026-03-02 – 2026-03-05"


def test_chinese_text_is_drawn_with_noto_sans_sc_glyphs():
    svg = mood_chart(DAYS, "zh-CN", "svg")
    assert _noto_glyph_ids("我的情绪日期记录数") <= _svg_ids(svg)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_chinese_charts_render_without_missing_glyph_warnings(fmt, caplog):
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        mood_chart(DAYS, "zh-CN", fmt, "三月")
        trend_chart(SERIES, "zh-CN", fmt, "客服一组 · 职业倦怠风险", "burnout_risk")
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()] == []


def test_missing_glyph_check_does_catch_a_font_without_chinese():
    figure = Figure()
    figure.text(0.5, 0.5, "我的情绪", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    assert any("missing from font" in str(w.message) for w in caught)


@pytest.mark.parametrize("fmt", ["png", "svg"])
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_same_inputs_give_identical_bytes(fmt, lang):
    assert mood_chart(DAYS, lang, fmt, "March") == mood_chart(DAYS, lang, fmt, "March")
    assert trend_chart(SERIES, lang, fmt, "Team A") == trend_chart(SERIES, lang, fmt, "Team A")


def test_svg_has_no_date_stamp():
    assert b"<dc:date>" not in mood_chart(DAYS, "en", "svg")


def test_png_has_no_software_stamp():
    with Image.open(io.BytesIO(mood_chart(DAYS, "en", "png"))) as image:
        assert "Software" not in image.info


def test_empty_diary_renders_a_no_entries_yet_chart():
    svg = mood_chart([], "zh-CN", "svg")
    ET.fromstring(svg)
    assert _noto_glyph_ids("还没有记录") <= _svg_ids(svg)
    assert b'id="line2d_' not in svg  # no axes, ticks or data lines


def test_days_without_entries_render_like_an_empty_diary():
    silent_days = [DayPoint(date(2026, 3, 2), None, 0), DayPoint(date(2026, 3, 3), None, 0)]
    assert mood_chart(silent_days, "en", "png") == mood_chart([], "en", "png")


def test_empty_series_renders_a_no_periods_chart():
    svg = trend_chart([], "zh-CN", "svg", "客服一组")
    assert _noto_glyph_ids("还没有已发布的周期") <= _svg_ids(svg)


def test_suppressed_and_pooled_periods_are_labelled_gaps_in_chinese():
    svg = trend_chart(SERIES, "zh-CN", "svg", "客服一组")
    assert _noto_glyph_ids("未发布参与人数不足") <= _svg_ids(svg)
    assert _noto_glyph_ids("已并入机构汇总") <= _svg_ids(svg)


def test_gap_labels_appear_only_for_gaps():
    released_only = [point for point in SERIES if point.status == "released"]
    svg = trend_chart(released_only, "zh-CN", "svg", "客服一组")
    assert not _noto_glyph_ids("未并") & _svg_ids(svg)


def test_band_labels_render_as_ranges():
    bands = [TrendPoint(date(2026, 1, 1), date(2026, 1, 31), "released", "10-25%"),
             TrendPoint(date(2026, 2, 1), date(2026, 2, 28), "released", "<10%"),
             TrendPoint(date(2026, 3, 1), date(2026, 3, 31), "released", "≥50%")]
    assert trend_chart(bands, "en", "png", "Team A", "high_risk_share").startswith(PNG_SIGNATURE)


def test_unreadable_band_label_is_rejected():
    point = TrendPoint(date(2026, 1, 1), date(2026, 1, 31), "released", "many")
    with pytest.raises(ValueError, match="unreadable band label 'many'"):
        trend_chart([point], "en", "png", "Team A")


def test_unknown_period_status_is_rejected():
    point = TrendPoint(date(2026, 1, 1), date(2026, 1, 31), "live", 3.0)
    with pytest.raises(ValueError, match="unknown period status 'live'"):
        trend_chart([point], "en", "png", "Team A")


def test_unsupported_language_and_format_are_rejected():
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        mood_chart(DAYS, "fr", "png")
    with pytest.raises(ValueError, match="unsupported chart format 'jpeg'"):
        mood_chart(DAYS, "en", "jpeg")


def test_chart_etag_is_stable_for_the_same_inputs():
    first = chart_etag("mood", {"days": DAYS, "title": "March"}, "en", "png")
    assert first == chart_etag("mood", {"days": list(DAYS), "title": "March"}, "en", "png")
    assert re.fullmatch(r"[0-9a-f]{32}", first)


def test_chart_etag_changes_with_data_language_and_format():
    base = chart_etag("mood", DAYS, "en", "png")
    changed_day = [DayPoint(date(2026, 3, 2), 4.0, 2), *DAYS[1:]]
    assert len({base, chart_etag("mood", changed_day, "en", "png"), chart_etag("mood", DAYS, "zh-CN", "png"),
                chart_etag("mood", DAYS, "en", "svg"), chart_etag("trend", DAYS, "en", "png")}) == 5


def test_day_points_group_entries_by_the_users_local_day():
    shanghai = ZoneInfo("Asia/Shanghai")
    entries = [
        # 17:30 UTC on 1 March is 01:30 on 2 March in Shanghai (UTC+8).
        Entry(datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc), "calm", 6, []),
        Entry(datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc), "angry", 8, ["abusive_customer"]),
        Entry(datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc), "focused", 5, ["long_call"]),
        Entry(datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc), "sad", 9, []),  # outside the range
    ]
    points = day_points(entries, shanghai, date(2026, 3, 2), date(2026, 3, 4))
    assert points == [
        DayPoint(date(2026, 3, 2), -1.0, 2, True),  # (+6 - 8) / 2
        DayPoint(date(2026, 3, 3), 0.0, 1, False),  # neutral counts as 0
        DayPoint(date(2026, 3, 4), None, 0, False),
    ]


def test_a_series_with_nothing_released_says_why_instead_of_drawing_empty_axes(monkeypatch):
    said = []
    monkeypatch.setattr("wellbeing.trends.charts.draw_empty", lambda ax, message: said.append(message))
    jan, feb = (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28))
    pooled = [TrendPoint(*jan, "pooled"), TrendPoint(*feb, "pooled")]
    too_few = [TrendPoint(*jan, "pooled"), TrendPoint(*feb, "suppressed")]
    for series in (pooled, too_few, []):
        trend_chart(series, "en", "svg", "Team")
    trend_chart(pooled, "zh-CN", "png", "团队")
    assert said == ["Nothing to show yet: the team is pooled with other small teams",
                    "Nothing to show yet: too few contributed", "No published periods yet",
                    "暂无可显示的数据：该团队与其他小团队合并计算"]
    trend_chart([TrendPoint(*jan, "released", 40.0, 3.0), TrendPoint(*feb, "pooled")], "en", "svg", "Team")
    assert len(said) == 4  # a series with a released value is drawn
