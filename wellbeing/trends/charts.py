"""A team's published series as a PNG or SVG chart, keyed by a strong ETag and kept in a small cache."""
from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from wellbeing.core import charts
from wellbeing.core.charts import Format, checked_text, draw_empty, figure, render
from wellbeing.core.language import Language

GAP_STATUSES = ("suppressed", "pooled")
_BAND = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)%$")
_BELOW = re.compile(r"^<\s*(\d+(?:\.\d+)?)%$")
_ABOVE = re.compile(r"^(?:>|>=|≥)\s*(\d+(?:\.\d+)?)%$")

TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "no_periods": "No published periods yet",
        "nothing_pooled": "Nothing to show yet: the team is pooled with other small teams",
        "nothing_few": "Nothing to show yet: too few contributed",
        "value": "Published value", "margin": "90% noise margin", "period_axis": "Period starting",
        "value_axis": "Value", "suppressed": "Not published: too few contributors",
        "pooled": "Pooled into the organization's figures",
        "metrics": {"burnout_risk": "Mean burnout risk (0–100)", "participation": "Participation",
                    "high_risk_share": "High-risk share (%)"},
    },
    "zh-CN": {
        "no_periods": "还没有已发布的周期",
        "nothing_pooled": "暂无可显示的数据：该团队与其他小团队合并计算",
        "nothing_few": "暂无可显示的数据：参与人数不足",
        "value": "已发布数值", "margin": "90% 噪声误差范围", "period_axis": "周期开始日期",
        "value_axis": "数值", "suppressed": "未发布：参与人数不足", "pooled": "已并入机构汇总",
        "metrics": {"burnout_risk": "平均职业倦怠风险（0–100）", "participation": "参与率",
                    "high_risk_share": "高风险比例（%）"},
    },
}

_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


@dataclass(frozen=True)
class TrendPoint:
    """One published period of a team series; `value` is a number or a band label such as "10-25%"."""

    period_start: date
    period_end: date
    status: str
    value: float | str | None = None
    margin: float | None = None


def chart_title(team_name: str, metric: str, lang: str) -> str:
    return f"{team_name} · {TEXT[lang]['metrics'][metric]}"


def trend_points(points: list[dict]) -> list[TrendPoint]:
    return [TrendPoint(p["period_start"], p["period_end"], p["status"], p["value"], p["margin"])
            for p in points]


def chart_etag(points: list[dict], metric: str, title: str, lang: str, fmt: str) -> str:
    """The ETag of the chart these inputs draw (computed without drawing)."""
    return charts.chart_etag("team_trend", {"series": trend_points(points), "metric": metric, "title": title},
                             lang, fmt)


def team_chart(points: list[dict], metric: str, title: str, lang: str, fmt: str) -> tuple[str, bytes]:
    """(ETag, image bytes); published cells are frozen, so equal inputs always draw the same bytes."""
    etag = chart_etag(points, metric, title, lang, fmt)
    with _LOCK:
        if etag in _CACHE:
            _CACHE.move_to_end(etag)
            return etag, _CACHE[etag]
    image = trend_chart(trend_points(points), lang, fmt, title, metric)
    with _LOCK:
        _CACHE[etag] = image
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return etag, image


def trend_chart(series: Sequence[TrendPoint], lang: Language, fmt: Format, title: str,
                metric: str | None = None) -> bytes:
    """A team's published series with its margin band; suppressed and pooled periods are labelled gaps."""
    text = checked_text(TEXT, lang, fmt)
    unknown = [point.status for point in series if point.status not in ("released", *GAP_STATUSES)]
    if unknown:
        raise ValueError(f"unknown period status {unknown[0]!r}")
    # Fixed margins, not the constrained-layout solver (40% of a render): the tick labels are ISO dates and
    # the numbers 0..100, so the space they need does not vary; the legend sits in the bottom strip.
    with figure(layout=None) as fig:
        fig.subplots_adjust(left=0.09, right=0.98, top=0.92, bottom=0.27)
        ax = fig.add_subplot()
        ax.set_title(title)
        if any(point.status == "released" and point.value is not None for point in series):
            _draw_trend(fig, ax, series, text, metric)
        else:
            draw_empty(ax, _nothing_to_show(series, text))
        return render(fig, fmt, title)


def _nothing_to_show(series: Sequence[TrendPoint], text: dict[str, Any]) -> str:
    """Why a series has nothing to draw: no period yet, the team pooled throughout, or too few contributors."""
    if not series:
        return text["no_periods"]
    return text["nothing_pooled"] if all(point.status == "pooled" for point in series) else text["nothing_few"]


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
