"""What an agent's own diary says: in the agent's time zone, for the agent alone.

Insights read the daily roll-up (rollup.py: sums per local day, hour, emotion and tag, kept on write), so a year
is ~15 small rows a day, not every entry with its tags. The chart and the risk signals group the raw entries in
SQL, with localtime's offset stretches, so the weeks around a DST change group as lived.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session

from wellbeing.diary import rollup
from wellbeing.diary.charts import DayPoint
from wellbeing.diary.localtime import (
    day_date,
    local_day,
    local_seconds,
    offset_stretches,
)
from wellbeing.diary.signals import DIARY_DAYS, DiarySignals
from wellbeing.diary.vocabulary import tough_call_triggers
from wellbeing.models import DiaryEntry, DiaryTag
from wellbeing.models.diary import TAG_KINDS

DAYS_MIN, DAYS_MAX = 7, 365

_NEGATIVE = case((DiaryEntry.valence == "negative", 1.0), else_=0.0)
_SIGNED = case((DiaryEntry.valence == "positive", DiaryEntry.intensity),
               (DiaryEntry.valence == "negative", -DiaryEntry.intensity), else_=0)


def _ratio(value) -> float | None:
    return None if value is None else round(float(value), 3)


def _mean(value) -> float | None:
    return None if value is None else round(float(value), 2)


def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The insight window: the `days` days up to now."""
    return now - timedelta(days=days), now


class Summary(NamedTuple):
    """What insights sum from some local days: per (dimension, key) the roll-up figures; per ISO weekday (1..7) the
    entries, negatives and intensity; per week (its Monday, as a local day number) the entries, negatives and signed
    intensity."""

    totals: dict[tuple[str, str], tuple[int, ...]]
    weekdays: tuple[tuple[int, int, int], ...]
    weeks: dict[int, tuple[int, int, int]]

    @classmethod
    def of(cls, totals: dict, daily: dict[int, tuple[int, ...] | list[int]]) -> Summary:
        weekdays = [[0, 0, 0] for _ in range(7)]
        weeks: dict[int, list[int]] = {}
        for day, (count, negatives, intensity, signed, _, _) in daily.items():
            if count <= 0:
                continue
            weekday = (day + 3) % 7  # day 0, 1970-01-01, was a Thursday: Monday is 0
            by_weekday, by_week = weekdays[weekday], weeks.setdefault(day - weekday, [0, 0, 0])
            by_weekday[0] += count
            by_weekday[1] += negatives
            by_weekday[2] += intensity
            by_week[0] += count
            by_week[1] += negatives
            by_week[2] += signed
        return cls({key: tuple(values) for key, values in totals.items()}, tuple(tuple(w) for w in weekdays),
                   {monday: tuple(values) for monday, values in weeks.items()})

    def plus(self, other: Summary) -> Summary:
        def added(mine: dict, theirs: dict) -> dict:
            merged = dict(mine)
            for key, values in theirs.items():
                old = merged.get(key)
                merged[key] = values if old is None else tuple(a + b for a, b in zip(old, values))
            return merged

        return Summary(added(self.totals, other.totals),
                       tuple(tuple(a + b for a, b in zip(mine, theirs)) for mine, theirs in zip(self.weekdays,
                                                                                            other.weekdays)),
                       added(self.weeks, other.weeks))

    def size(self) -> int:
        return len(self.totals) + len(self.weeks) + 1


class SettledDays:
    """Per process: the ``Summary`` of the whole settled days of recent insight windows (rollup.py, settled days).

    Keyed by (user, zone, first day, last day), each held with the user's diary revision it was read under; a
    lookup under another revision misses (and the next read replaces it). Bounded by the figures held (least
    recently used first out); thread-safe. Summaries are tuples and are never changed once stored."""

    def __init__(self, max_rows: int = 50_000):
        self.max_rows = max_rows
        self.rows = 0
        self._held: OrderedDict[tuple, tuple[int, Summary, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, revision: int) -> Summary | None:
        with self._lock:
            held = self._held.get(key)
            if held is None or held[0] != revision:
                return None
            self._held.move_to_end(key)
            return held[1]

    def put(self, key: tuple, revision: int, summary: Summary) -> None:
        size = summary.size()
        if size > self.max_rows:
            return
        with self._lock:
            old = self._held.pop(key, None)
            if old is not None:
                self.rows -= old[2]
            self._held[key] = (revision, summary, size)
            self.rows += size
            while self.rows > self.max_rows:
                _, evicted = self._held.popitem(last=False)
                self.rows -= evicted[2]

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self.rows = 0


SETTLED_DAYS = SettledDays()


def _whole_days(session: Session, user_id: str, tz: ZoneInfo, first: int, last: int, revision: int | None
                ) -> Summary:
    """The summary of the local days first..last from the roll-up; with the user's diary ``revision`` (read before
    this), from ``SETTLED_DAYS`` when it holds them under that revision."""
    key = (user_id, tz.key, first, last)
    if revision is not None:
        held = SETTLED_DAYS.get(key, revision)
        if held is not None:
            return held
    summary = Summary.of(*rollup.day_range_sums(session, user_id, first, last))
    if revision is not None:
        # Read after the revision, so at least as new as it: a change committed meanwhile raised the revision,
        # and the next request misses and reads again.
        SETTLED_DAYS.put(key, revision, summary)
    return summary


def insights(session: Session, user_id: str, tz_name: str, now: datetime, days: int,
             revision: int | None = None) -> dict[str, Any]:
    """The caller's insights over the last `days` days (GET /diary/insights).

    Read from the daily roll-up (rollup.py): the window's whole local days as one grouped query over ~15 small
    rows a day (or, given the user's diary ``revision`` as read before this, their cached summary), its partial
    first and last days from the raw entries near its ends."""
    tz = ZoneInfo(tz_name)
    start, end = window(now, days)
    first, last = rollup.local_day(start, tz), rollup.local_day(end, tz)
    summary = _whole_days(session, user_id, tz, first + 1, last - 1, revision).plus(
        Summary.of(*rollup.partial_day_sums(session, user_id, tz, start, end)))
    totals = summary.totals
    emotions = sorted(((key, values) for (dimension, key), values in totals.items()
                       if dimension == "emotion" and values[0] > 0), key=lambda item: (-item[1][0], item[0]))
    entries = sum(values[0] for _, values in emotions)
    stressed = sum(values[5] for _, values in emotions)
    tags = _tags_from(totals)
    return {
        "days": days, "from": start, "to": end, "timezone": tz_name,
        "entries": entries,
        "mean_intensity": _mean(sum(values[2] for _, values in emotions) / entries) if entries else None,
        "negative_share": _ratio(sum(values[1] for _, values in emotions) / entries) if entries else None,
        "mean_stress": _mean(sum(values[4] for _, values in emotions) / stressed) if stressed else None,
        "by_emotion": {key: values[0] for key, values in emotions},
        "by_trigger": [{"trigger": key, "count": n, "mean_intensity": _mean(intensity / n),
                        "negative_share": _ratio(negatives / n)}
                       for key, (n, negatives, intensity, _, _, _) in tags["triggers"]],
        "by_signal": [{"signal": key, "count": n, "mean_intensity": _mean(intensity / n)}
                      for key, (n, _, intensity, _, _, _) in tags["signals"]],
        "by_coping": [{"coping": key, "count": n, "mean_stress": _mean(stress / stressed) if stressed else None}
                      for key, (n, _, _, _, stress, stressed) in tags["coping"]],
        "by_hour": [_bucket("hour", hour, totals.get(("hour", str(hour)))) for hour in range(24)],
        "by_weekday": [{"weekday": weekday + 1, "count": count,
                        "negative_share": _ratio(negatives / count) if count else None,
                        "mean_intensity": _mean(intensity / count) if count else None}
                       for weekday, (count, negatives, intensity) in enumerate(summary.weekdays)],
        "trend": _trend(summary.weeks, first, last),
    }


def _tags_from(totals: dict[tuple[str, str], tuple[int, ...]]) -> dict[str, list[tuple[str, tuple[int, ...]]]]:
    """Per tag kind: (key, figures), most frequent first, then by key."""
    grouped: dict[str, list[tuple[str, tuple[int, ...]]]] = {kind: [] for kind in TAG_KINDS}
    for (dimension, key), values in totals.items():
        if dimension in grouped and values[0] > 0:
            grouped[dimension].append((key, values))
    for items in grouped.values():
        items.sort(key=lambda item: (-item[1][0], item[0]))
    return grouped


def _bucket(name: str, bucket: int, values: tuple[int, ...] | None) -> dict[str, Any]:
    if not values or values[0] <= 0:
        return {name: bucket, "count": 0, "negative_share": None, "mean_intensity": None}
    return {name: bucket, "count": values[0], "negative_share": _ratio(values[1] / values[0]),
            "mean_intensity": _mean(values[2] / values[0])}


def _trend(weeks: dict[int, tuple[int, int, int]], first: int, last: int) -> list[dict[str, Any]]:
    """The weekly trend: every local week (from its Monday) the window touches, empty weeks included."""
    trend = []
    monday = first - (first + 3) % 7
    while monday <= last:
        count, negatives, signed = weeks.get(monday, (0, 0, 0))
        trend.append({"week_start": rollup.day_date(monday), "entries": count,
                      "negative_share": _ratio(negatives / count) if count else None,
                      "mean_mood": _mean(signed / count) if count else None})
        monday += 7
    return trend


def chart_days(session: Session, user_id: str, tz_name: str, now: datetime, days: int) -> list[DayPoint]:
    """One point per local day of the window for the mood chart: mean signed intensity, count, tough-call day."""
    tz = ZoneInfo(tz_name)
    start, end = window(now, days)
    day = local_day(local_seconds(DiaryEntry.occurred_at, offset_stretches(tz, start, end))).label("day")
    tough = (select(DiaryTag.entry_id).where(DiaryTag.kind == "triggers", DiaryTag.key.in_(sorted(tough_call_triggers())))
             .scalar_subquery())
    rows = {day_date(row[0]): row[1:] for row in session.execute(
        select(day, func.avg(cast(_SIGNED, Float)), func.count(), func.max(case((DiaryEntry.id.in_(tough), 1), else_=0)))
        .where(DiaryEntry.user_id == user_id, DiaryEntry.occurred_at >= start, DiaryEntry.occurred_at <= end)
        .group_by(day))}
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    points = []
    for offset in range((last - first).days + 1):
        current = first + timedelta(days=offset)
        mood, count, tough_day = rows.get(current, (None, 0, 0))
        points.append(DayPoint(current, None if mood is None else round(float(mood), 3), count, bool(tough_day)))
    return points


def risk_signals(session: Session, user_id: str, now: datetime) -> DiarySignals | None:
    """The diary inputs of the burnout-risk model: the DIARY_DAYS days before now (None without an entry)."""
    recent = and_(DiaryEntry.user_id == user_id, DiaryEntry.occurred_at > now - timedelta(days=DIARY_DAYS),
                  DiaryEntry.occurred_at <= now)
    negative = DiaryEntry.valence == "negative"
    count, share, negative_intensity = session.execute(
        select(func.count(), func.avg(_NEGATIVE),
               func.avg(case((negative, cast(DiaryEntry.intensity, Float)), else_=None))).where(recent)).one()
    if not count:
        return None
    tough = session.scalar(
        select(func.count(func.distinct(DiaryTag.entry_id))).join(DiaryEntry, DiaryEntry.id == DiaryTag.entry_id)
        .where(recent, DiaryTag.kind == "triggers", DiaryTag.key.in_(sorted(tough_call_triggers()))))
    return DiarySignals(
        entry_count=count, negative_share=float(share or 0.0),
        mean_negative_intensity=None if negative_intensity is None else float(negative_intensity),
        tough_call_triggers=tough or 0,
    )
