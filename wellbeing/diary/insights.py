"""What an agent's own diary says: in the agent's time zone, for the agent alone.

Insights read the daily roll-up (rollup.py: sums per local day, hour, emotion and tag, kept on write), so a year
is ~15 small rows a day, not every entry with its tags. The chart and the risk signals group the raw entries in
SQL, with localtime's offset stretches, so the weeks around a DST change group as lived.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
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


def insights(session: Session, user_id: str, tz_name: str, now: datetime, days: int,
             revision: int | None = None) -> dict[str, Any]:
    """The caller's insights over the last `days` days (GET /diary/insights).

    Read from the daily roll-up (rollup.py): the window's whole local days as one grouped query over ~15 small
    rows a day (or, given the user's diary ``revision`` as read before this, its cached sums), its partial first
    and last days from the raw entries near its ends."""
    tz = ZoneInfo(tz_name)
    start, end = window(now, days)
    totals, daily = rollup.window_sums(session, user_id, tz, start, end, revision)
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
        **_weekday_and_weekly({day_date(day): (values[0], values[1], values[2], values[3])
                               for day, values in daily.items() if values[0] > 0},
                              start.astimezone(tz).date(), end.astimezone(tz).date()),
    }


def _tags_from(totals: dict[tuple[str, str], list[int]]) -> dict[str, list[tuple[str, list[int]]]]:
    """Per tag kind: (key, figures), most frequent first, then by key."""
    grouped: dict[str, list[tuple[str, list[int]]]] = {kind: [] for kind in TAG_KINDS}
    for (dimension, key), values in totals.items():
        if dimension in grouped and values[0] > 0:
            grouped[dimension].append((key, values))
    for items in grouped.values():
        items.sort(key=lambda item: (-item[1][0], item[0]))
    return grouped


def _bucket(name: str, bucket: int, values: list[int] | None) -> dict[str, Any]:
    if not values or values[0] <= 0:
        return {name: bucket, "count": 0, "negative_share": None, "mean_intensity": None}
    return {name: bucket, "count": values[0], "negative_share": _ratio(values[1] / values[0]),
            "mean_intensity": _mean(values[2] / values[0])}


def _weekday_and_weekly(days: dict[date, tuple], first: date, last: date) -> dict[str, list[dict[str, Any]]]:
    """The weekday pattern and the weekly trend, both summed from the daily sums (one query serves both)."""
    weekdays = {weekday: [0, 0.0, 0.0] for weekday in range(1, 8)}
    weeks: dict[date, list] = {}
    for day, (count, negatives, intensity, signed) in days.items():
        by_weekday = weekdays[day.isoweekday()]
        by_week = weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0.0, 0.0])
        for totals, value in ((by_weekday, intensity), (by_week, signed)):
            totals[0] += count
            totals[1] += negatives
            totals[2] += value
    pattern = [{"weekday": weekday, "count": count,
                "negative_share": _ratio(negatives / count) if count else None,
                "mean_intensity": _mean(intensity / count) if count else None}
               for weekday, (count, negatives, intensity) in weekdays.items()]
    trend = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        count, negatives, signed = weeks.get(monday, (0, 0.0, 0.0))
        trend.append({"week_start": monday, "entries": count, "negative_share": _ratio(negatives / count) if count else None,
                      "mean_mood": _mean(signed / count) if count else None})
        monday += timedelta(days=7)
    return {"by_weekday": pattern, "trend": trend}


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
