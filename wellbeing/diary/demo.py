"""Demo diary history that follows each demo agent's strain, with team- and weekday-shaped patterns.

Each agent writes on workdays (1 to 4 entries, more when strained), inside 09:00-18:00 of their own
time zone. Negative feelings are likelier with strain, on the team's hard weekday, and in the late
afternoon; every so often a run of tough calls (complaints, abusive customers) comes in a cluster of
entries within an hour. Everything derives from the seed and the indices, so the history is repeatable.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id
from wellbeing.diary.entries import note_aad
from wellbeing.diary.vocabulary import valence
from wellbeing.diary import rollup
from wellbeing.models import DiaryEntry, DiaryTag

BATCH = 5_000
POSITIVE = ("calm", "content", "happy", "grateful")
NEUTRAL = ("neutral", "focused")
NEGATIVE = ("tired", "stressed", "frustrated", "anxious", "irritated", "overwhelmed", "wronged", "angry", "sad")
TOUGH = ("customer_complaint", "abusive_customer")
EVERYDAY = ("call_volume", "long_call", "kpi_pressure", "system_issue", "policy_unclear", "repetitive_work", "colleague")
SIGNALS = ("headache", "poor_sleep", "mood_swings", "low_focus", "exhaustion")
COPING = ("deep_breathing", "short_break", "talk_colleague", "body_relaxation", "exercise", "hobby")
NOTES = ("Long queue all morning.", "Customer threatened to complain to the regulator.", "Good chat with a colleague.",
         "System froze twice during calls.", "客户一直骂人，很委屈。", "今天很顺利。")


@dataclass(frozen=True)
class DemoAgent:
    user_id: str
    strain: float  # demo.agent_strain, 0..1
    team_index: int
    timezone: str


def seed_diary_history(session: Session, agents: Sequence[DemoAgent], now: datetime, months: int, seed: int,
                       keyring: Keyring | None = None) -> int:
    """Bulk-insert `months` months of entries for each agent; notes (a few) only when a keyring is given."""
    entries: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    total = 0
    for agent in agents:
        rng = random.Random(f"{seed}:diary:{agent.user_id}")
        for row, row_tags in _history(agent, now, months, rng, keyring):
            entries.append(row)
            tags += row_tags
        if len(entries) >= BATCH:
            total += _flush(session, entries, tags)
    total += _flush(session, entries, tags)
    rollup.rebuild(session, [agent.user_id for agent in agents])
    session.commit()
    return total


def _history(agent: DemoAgent, now: datetime, months: int, rng: random.Random, keyring: Keyring | None):
    tz = ZoneInfo(agent.timezone)
    hard_weekday = agent.team_index % 5  # Monday for the first team, Tuesday for the second...
    today = now.astimezone(tz).date()
    day = today - timedelta(days=30 * months)
    while day <= today:
        if day.weekday() < 5:
            yield from _day(agent, tz, day, day.weekday() == hard_weekday, now, rng, keyring)
        day += timedelta(days=1)


def _day(agent: DemoAgent, tz: ZoneInfo, day: date, hard_day: bool, now: datetime, rng: random.Random,
         keyring: Keyring | None):
    count = rng.choices((0, 1, 2, 3, 4), weights=(2, 4, 3, 1 + 2 * agent.strain, 2 * agent.strain))[0]
    moments = sorted(rng.uniform(9, 18) for _ in range(count))
    if rng.random() < 0.04 + 0.12 * agent.strain:  # a run of tough calls: three entries within the hour
        start = rng.uniform(10, 17)
        moments += [start, start + rng.uniform(0.1, 0.4), start + rng.uniform(0.5, 0.9)]
        tough_run = set(moments[-3:])
    else:
        tough_run = set()
    for hour in moments:
        local = datetime.combine(day, time(0), tz) + timedelta(hours=hour)
        occurred = local.astimezone(ZoneInfo("UTC"))
        if occurred > now:
            continue
        yield _entry(agent, occurred, hour, hard_day, hour in tough_run, rng, keyring)


def _entry(agent: DemoAgent, occurred: datetime, hour: float, hard_day: bool, tough: bool, rng: random.Random,
           keyring: Keyring | None):
    pressure = agent.strain + (0.15 if hard_day else 0) + (0.1 if hour >= 16 else 0) + (0.35 if tough else 0)
    roll = rng.random()
    if roll < min(0.95, 0.15 + 0.7 * pressure):
        emotion = rng.choice(NEGATIVE)
        intensity = max(1, min(10, round(rng.gauss(3 + 6 * min(pressure, 1), 1.5))))
    elif roll < 0.97 - 0.1 * agent.strain:
        emotion = rng.choice(POSITIVE)
        intensity = max(1, min(10, round(rng.gauss(7 - 3 * agent.strain, 1.5))))
    else:
        emotion = rng.choice(NEUTRAL)
        intensity = rng.randint(2, 6)
    negative = valence(emotion) == "negative"
    triggers = [rng.choice(TOUGH)] if tough else []
    if negative and rng.random() < 0.7:
        triggers.append(rng.choice(EVERYDAY))
    signals = rng.sample(SIGNALS, k=1) if negative and rng.random() < 0.3 * (1 + agent.strain) else []
    coping = rng.sample(COPING, k=1) if rng.random() < 0.35 else []
    entry_id = new_id()
    note = rng.choice(NOTES) if keyring is not None and rng.random() < 0.05 else None
    row = {
        "id": entry_id, "user_id": agent.user_id, "occurred_at": occurred, "emotion": emotion,
        "valence": valence(emotion), "intensity": intensity,
        "stress": max(0, min(10, round(rng.gauss(2 + 7 * min(pressure, 1), 1.5)))) if rng.random() < 0.6 else None,
        "after_call": tough or rng.random() < 0.4,
        "note_ciphertext": keyring.encrypt(note, note_aad(entry_id)) if note else None,
        "client_updated_at": occurred, "revision": 1, "created_at": occurred, "updated_at": occurred,
        "request_fingerprint": None,
    }
    row_tags = [{"entry_id": entry_id, "kind": kind, "key": key, "position": position}
                for kind, keys in (("triggers", triggers), ("signals", signals), ("coping", coping))
                for position, key in enumerate(dict.fromkeys(keys))]
    return row, row_tags


def _flush(session: Session, entries: list[dict[str, Any]], tags: list[dict[str, Any]]) -> int:
    count = len(entries)
    if entries:
        session.execute(insert(DiaryEntry), entries)
    if tags:
        session.execute(insert(DiaryTag), tags)
    entries.clear()
    tags.clear()
    return count
