"""Mood and team-trend charts as PNG or SVG bytes, drawn with matplotlib's Figure API (never pyplot)."""

import hashlib
import io
import json
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

import matplotlib
import pylopdf_fonts_zh_cn
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from wellbeing.core.language import LANGUAGES, Language
from wellbeing.vocabulary import signed_intensity, tough_call_triggers

Format = Literal["png", "svg"]
CONTENT_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
# Bump whenever the drawing changes, so ETags computed from the inputs change with the bytes.
CHART_VERSION = "1"
GAP_STATUSES = ("suppressed", "pooled")

# The bundled Noto Sans SC makes Chinese render on any machine, with no system fonts and no download.
font_manager.fontManager.addfont(str(pylopdf_fonts_zh_cn.sans_path()))
_RC = {
    "font.family": ["DejaVu Sans", "Noto Sans SC"],  # Latin from DejaVu; CJK glyphs fall back to Noto
    "svg.fonttype": "path",  # glyphs as outlines: the SVG needs no font on the viewer's side
    "svg.hashsalt": "wellbeing-charts",  # fixed ids, so the same data gives the same SVG bytes
}
# matplotlib's global state (rcParams, font cache) is not thread-safe; charts render one at a time.
_LOCK = threading.Lock()
_BAND = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)%$")
_BELOW = re.compile(r"^<\s*(\d+(?:\.\d+)?)%$")
_ABOVE = re.compile(r"^(?:>|>=|≥)\s*(\d+(?:\.\d+)?)%$")

TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "mood_title": "My mood", "mood": "Mood (daily mean)", "entries": "Entries",
        "tough": "Day with complaint or abusive calls", "mood_axis": "Mood (−10 negative … +10 positive)",
        "day_axis": "Day", "no_entries": "No entries yet", "no_periods": "No published periods yet",
        "value": "Published value", "margin": "90% noise margin", "period_axis": "Period starting",
        "value_axis": "Value", "suppressed": "Not published: too few contributors",
        "pooled": "Pooled into the organization's figures",
        "metrics": {"burnout_risk": "Mean burnout risk (0–100)", "participation": "Participation",
                    "high_risk_share": "High-risk share (%)"},
    },
    "zh-CN": {
        "mood_title": "我的情绪", "mood": "情绪（每日平均）", "entries": "记录数",
        "tough": "有客户投诉或辱骂来电的日子", "mood_axis": "情绪（−10 负面 … +10 正面）",
        "day_axis": "日期", "no_entries": "还没有记录", "no_periods": "还没有已发布的周期",
        "value": "已发布数值", "margin": "90% 噪声误差范围", "period_axis": "周期开始日期",
        "value_axis": "数值", "suppressed": "未发布：参与人数不足", "pooled": "已并入机构汇总",
        "metrics": {"burnout_risk": "平均职业倦怠风险（0–100）", "participation": "参与率",
                    "high_risk_share": "高风险比例（%）"},
    },
}


@dataclass(frozen=True)
class DayPoint:
    """One local day of an agent's diary: mean signed intensity (None without entries), count, tough calls."""

    day: date
    mood: float | None
    entries: int
    tough_call: bool = False


@dataclass(frozen=True)
class TrendPoint:
    """One published period of a team series; `value` is a number or a band label such as "10-25%"."""

    period_start: date
    period_end: date
    status: str
    value: float | str | None = None
    margin: float | None = None


class DiaryEntryLike(Protocol):
    """What `day_points` reads from a diary entry (a model row fits)."""

    occurred_at: datetime
    emotion: str
    intensity: int
    triggers: Sequence[str]


def day_points(entries: Iterable[DiaryEntryLike], tz: ZoneInfo, first: date, last: date) -> list[DayPoint]:
    """One DayPoint per day of the user's zone from `first` to `last` inclusive, empty days included."""
    signed: dict[date, list[int]] = {}
    tough: set[date] = set()
    for entry in entries:
        day = entry.occurred_at.astimezone(tz).date()
        if first <= day <= last:
            signed.setdefault(day, []).append(signed_intensity(entry.emotion, entry.intensity))
            if tough_call_triggers().intersection(entry.triggers):
                tough.add(day)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [DayPoint(d, fmean(signed[d]) if d in signed else None, len(signed.get(d, ())), d in tough)
            for d in days]


def mood_chart(days: Sequence[DayPoint], lang: Language, fmt: Format, title_context: str | None = None) -> bytes:
    """The agent's mood over time (daily mean signed intensity, entry counts, tough-call days)."""
    text = _checked_text(lang, fmt)
    title = f"{text['mood_title']} · {title_context}" if title_context else text["mood_title"]
    with _figure() as fig:
        ax = fig.add_subplot()
        ax.set_title(title)
        if any(d.entries for d in days):
            _draw_mood(fig, ax, days, text)
        else:
            _draw_empty(ax, text["no_entries"])
        return _render(fig, fmt, title)


def trend_chart(series: Sequence[TrendPoint], lang: Language, fmt: Format, title: str,
                metric: str | None = None) -> bytes:
    """A team's published series with its margin band; suppressed and pooled periods are labelled gaps."""
    text = _checked_text(lang, fmt)
    # Fixed margins, not the constrained-layout solver (40% of a render): the tick labels are ISO dates and
    # the numbers 0..100, so the space they need does not vary; the legend sits in the bottom strip.
    with _figure(layout=None) as fig:
        fig.subplots_adjust(left=0.09, right=0.98, top=0.92, bottom=0.27)
        ax = fig.add_subplot()
        ax.set_title(title)
        if series:
            _draw_trend(fig, ax, series, text, metric)
        else:
            _draw_empty(ax, text["no_periods"])
        return _render(fig, fmt, title)


def chart_etag(kind: str, data: Any, lang: Language, fmt: Format) -> str:
    """A strong ETag from a chart's inputs (pass everything drawn, titles included); unquoted, for set_etag."""
    inputs = {"version": CHART_VERSION, "matplotlib": matplotlib.__version__,
              "font": pylopdf_fonts_zh_cn.__version__, "kind": kind, "lang": lang, "fmt": fmt, "data": data}
    canonical = json.dumps(inputs, default=_jsonable, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot fingerprint {type(value).__name__} for an ETag")


def _checked_text(lang: str, fmt: str) -> dict[str, Any]:
    """The chart strings in `lang`, after checking that the language and format are supported."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unsupported chart format {fmt!r}")
    return TEXT[lang]


@contextmanager
def _figure(layout: str | None = "constrained") -> Iterator[Figure]:
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(8, 4.5), dpi=100, layout=layout)
        FigureCanvasAgg(fig)
        try:
            yield fig
        finally:
            fig.clear()  # drop every artist now rather than leaving the figure to the garbage collector


def _render(fig: Figure, fmt: Format, title: str) -> bytes:
    # No date and no version stamp in the file: identical inputs give identical bytes (ETag-safe).
    metadata = {"Title": title, "Date": None} if fmt == "svg" else {"Software": None}
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def _draw_empty(ax: Axes, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=14, color="#555555")


def _draw_mood(fig: Figure, ax: Axes, days: Sequence[DayPoint], text: dict[str, Any]) -> None:
    x = [d.day for d in days]
    counts = ax.twinx()
    counts.bar(x, [d.entries for d in days], width=0.8, color="#cfdbe6", label=text["entries"])
    counts.set_ylim(0, 2 * max(d.entries for d in days))  # bars keep to the lower half, under the line
    counts.set_ylabel(text["entries"])
    counts.yaxis.get_major_locator().set_params(integer=True)
    ax.set_zorder(counts.get_zorder() + 1)  # the mood line is drawn over the count bars
    ax.patch.set_visible(False)
    ax.plot(x, [math.nan if d.mood is None else d.mood for d in days], marker="o", color="#1f5f8b",
            label=text["mood"])
    tough = [d for d in days if d.tough_call and d.mood is not None]
    if tough:
        ax.scatter([d.day for d in tough], [d.mood for d in tough], marker="v", s=110, color="#c0392b",
                   zorder=3, label=text["tough"])
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_ylim(-10.5, 10.5)
    ax.set_ylabel(text["mood_axis"])
    ax.set_xlabel(text["day_axis"])
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    handles, labels = ax.get_legend_handles_labels()
    bar_handles, bar_labels = counts.get_legend_handles_labels()
    fig.legend(handles + bar_handles, labels + bar_labels, loc="outside lower center", ncols=3)


def _draw_trend(fig: Figure, ax: Axes, series: Sequence[TrendPoint], text: dict[str, Any],
                metric: str | None) -> None:
    spans = [_value_span(point) for point in series]
    ax.plot(range(len(series)), [s[0] if s else math.nan for s in spans], marker="o", color="#1f5f8b",
            label=text["value"])
    drawn = [i for i, s in enumerate(spans) if s]
    ax.bar(drawn, [spans[i][2] - spans[i][1] for i in drawn], bottom=[spans[i][1] for i in drawn],
           width=0.6, color="#1f5f8b", alpha=0.25, label=text["margin"])
    for i, point in enumerate(series):
        if point.status in GAP_STATUSES:
            ax.axvspan(i - 0.5, i + 0.5, color="#eeeeee", zorder=0)
            ax.text(i, 0.5, text[point.status], transform=ax.get_xaxis_transform(), rotation=90,
                    ha="center", va="center", color="#555555")
    ax.set_xticks(range(len(series)), [p.period_start.isoformat() for p in series], rotation=30, ha="right")
    ax.set_xlim(-0.5, len(series) - 0.5)
    ax.set_xlabel(text["period_axis"])
    ax.set_ylabel(text["metrics"].get(metric, text["value_axis"]))
    fig.legend(loc="lower center", ncols=2, frameon=False)


def _value_span(point: TrendPoint) -> tuple[float, float, float] | None:
    """(centre, low, high) of a period's value with its margin or band; None when nothing is drawn."""
    if point.status not in ("released", *GAP_STATUSES):
        raise ValueError(f"unknown period status {point.status!r}")
    if point.status != "released" or point.value is None:
        return None
    if isinstance(point.value, str):
        low, high = _band(point.value)
        return (low + high) / 2, low, high
    margin = point.margin or 0.0
    return point.value, point.value - margin, point.value + margin


def _band(label: str) -> tuple[float, float]:
    """The percentage range of a band label: "10-25%", "<10%", ">50%" or "≥50%"."""
    label = label.strip()
    if match := _BAND.match(label):
        return float(match[1]), float(match[2])
    if match := _BELOW.match(label):
        return 0.0, float(match[1])
    if match := _ABOVE.match(label):
        return float(match[1]), 100.0
    raise ValueError(f"unreadable band label {label!r}")
