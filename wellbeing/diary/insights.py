"""What an agent's own diary says: grouped in SQL, in the agent's time zone, for the agent alone.

Every figure comes from a grouped query (no entry is loaded into Python). Local hours, weekdays and
weeks use localtime's offset stretches, so the weeks around a DST change group as lived.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session

from wellbeing.diary.charts import DayPoint
from wellbeing.diary.localtime import (
    day_date,
    local_day,
    local_hour,
    local_seconds,
    offset_stretches,
)
from wellbeing.diary.signals import DIARY_DAYS, DiarySignals
from wellbeing.diary.vocabulary import tough_call_triggers
from wellbeing.models import DiaryEntry, DiaryTag

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


def insights(session: Session, user_id: str, tz_name: str, now: datetime, days: int) -> dict[str, Any]:
    """The caller's insights over the last `days` days (GET /diary/insights)."""
    tz = ZoneInfo(tz_name)
    start, end = window(now, days)
    mine = and_(DiaryEntry.user_id == user_id, DiaryEntry.occurred_at >= start, DiaryEntry.occurred_at <= end)
    seconds = local_seconds(DiaryEntry.occurred_at, offset_stretches(tz, start, end))
    # One grouped pass per family: emotions (their sums give the totals), tags of every kind, then local time.
    emotions = session.execute(
        select(DiaryEntry.emotion, func.count(), func.sum(cast(DiaryEntry.intensity, Float)), func.sum(_NEGATIVE),
               func.sum(cast(DiaryEntry.stress, Float)), func.count(DiaryEntry.stress))
        .where(mine).group_by(DiaryEntry.emotion)).all()
    entries = sum(row[1] for row in emotions)
    stressed = sum(row[5] for row in emotions)
    tags = _by_tag(session, mine)
    return {
        "days": days, "from": start, "to": end, "timezone": tz_name,
        "entries": entries,
        "mean_intensity": _mean(sum(row[2] for row in emotions) / entries) if entries else None,
        "negative_share": _ratio(sum(row[3] for row in emotions) / entries) if entries else None,
        "mean_stress": _mean(sum(row[4] or 0 for row in emotions) / stressed) if stressed else None,
        "by_emotion": {emotion: count for emotion, count, *_ in sorted(emotions, key=lambda r: (-r[1], r[0]))},
        "by_trigger": [{"trigger": key, "count": count, "mean_intensity": _mean(mean), "negative_share": _ratio(share)}
                       for key, count, mean, share, _ in tags.get("triggers", [])],
        "by_signal": [{"signal": key, "count": count, "mean_intensity": _mean(mean)}
                      for key, count, mean, _, _ in tags.get("signals", [])],
        "by_coping": [{"coping": key, "count": count, "mean_stress": _mean(stress)}
                      for key, count, _, _, stress in tags.get("coping", [])],
        "by_hour": _pattern(session, mine, local_hour(seconds), range(24), "hour"),
        **_weekday_and_weekly(_daily(session, mine, local_day(seconds)), start.astimezone(tz).date(),
                              end.astimezone(tz).date()),
    }


def _by_tag(session: Session, mine) -> dict[str, list[tuple]]:
    """Per kind: (key, count, mean intensity, negative share, mean stress), most frequent first."""
    rows = session.execute(
        select(DiaryTag.kind, DiaryTag.key, func.count(), func.avg(cast(DiaryEntry.intensity, Float)),
               func.avg(_NEGATIVE), func.avg(cast(DiaryEntry.stress, Float)))
        .join(DiaryEntry, DiaryEntry.id == DiaryTag.entry_id).where(mine)
        .group_by(DiaryTag.kind, DiaryTag.key).order_by(DiaryTag.kind, func.count().desc(), DiaryTag.key)).all()
    grouped: dict[str, list[tuple]] = {}
    for kind, *rest in rows:
        grouped.setdefault(kind, []).append(tuple(rest))
    return grouped


def _pattern(session: Session, mine, bucket, buckets: range, name: str) -> list[dict[str, Any]]:
    label = bucket.label(name)
    rows = {row[0]: row[1:] for row in session.execute(
        select(label, func.count(), func.avg(_NEGATIVE), func.avg(cast(DiaryEntry.intensity, Float)))
        .where(mine).group_by(label))}
    return [{name: b, "count": rows.get(b, (0,))[0], "negative_share": _ratio(rows[b][1]) if b in rows else None,
             "mean_intensity": _mean(rows[b][2]) if b in rows else None} for b in buckets]


def _daily(session: Session, mine, day) -> dict[date, tuple[int, float, float, float]]:
    """Per local day: (entries, negatives, intensity sum, signed intensity sum); a year is at most 366 rows."""
    label = day.label("day")
    return {day_date(row[0]): row[1:] for row in session.execute(
        select(label, func.count(), func.sum(_NEGATIVE), func.sum(cast(DiaryEntry.intensity, Float)),
               func.sum(cast(_SIGNED, Float)))
        .where(mine).group_by(label))}


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
