"""The agent's mood chart: daily mean signed intensity, entry counts and tough-call days."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from wellbeing.core.charts import Format, checked_text, draw_empty, figure, render
from wellbeing.core.language import Language
from wellbeing.diary.vocabulary import signed_intensity, tough_call_triggers

TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "mood_title": "My mood", "mood": "Mood (daily mean)", "entries": "Entries",
        "tough": "Day with complaint or abusive calls", "mood_axis": "Mood (−10 negative … +10 positive)",
        "day_axis": "Day", "no_entries": "No entries yet",
    },
    "zh-CN": {
        "mood_title": "我的情绪", "mood": "情绪（每日平均）", "entries": "记录数",
        "tough": "有客户投诉或辱骂来电的日子", "mood_axis": "情绪（−10 负面 … +10 正面）",
        "day_axis": "日期", "no_entries": "还没有记录",
    },
}


@dataclass(frozen=True)
class DayPoint:
    """One local day of an agent's diary: mean signed intensity (None without entries), count, tough calls."""

    day: date
    mood: float | None
    entries: int
    tough_call: bool = False


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
    text = checked_text(TEXT, lang, fmt)
    title = f"{text['mood_title']} · {title_context}" if title_context else text["mood_title"]
    with figure() as fig:
        ax = fig.add_subplot()
        ax.set_title(title)
        if any(d.entries for d in days):
            _draw_mood(fig, ax, days, text)
        else:
            draw_empty(ax, text["no_entries"])
        return render(fig, fmt, title)


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
