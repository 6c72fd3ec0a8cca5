"""Demo prompt settings and two weeks of prompt history with realistic answer rates (strained agents answer less)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wellbeing.core.db import new_id
from wellbeing.models import Prompt, PromptSettings, User
from wellbeing.prompts.planner import schedule_of
from wellbeing.prompts.schedule import default_prompt_settings, plan_prompts

HISTORY_DAYS = 14
BATCH = 5_000


def _outcome(rng: random.Random, strain: float) -> str:
    """What became of a delivered prompt: about 60 % answered, 40 % completed, fewer for strained agents."""
    roll = rng.random()
    if roll < 0.04:
        return "expired"
    if roll < 0.16 + 0.15 * strain:
        return "dismissed"
    if roll < 0.35 + 0.15 * strain:
        return "sent"  # seen in the inbox, never answered
    return "completed" if rng.random() < 0.7 - 0.3 * strain else "acknowledged"


def seed_prompt_history(session: Session, strains: Sequence[tuple[str, float]], now: datetime, seed: int) -> int:
    """Settings for every demo agent (some prefer fewer prompts) and their prompts of the last two weeks."""
    rng = random.Random(f"{seed}:prompts")
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([i for i, _ in strains])))}
    rows: list[dict] = []
    total = 0
    for user_id, strain in strains:
        settings = default_prompt_settings()
        if rng.random() < 0.2:
            settings["breathing"]["every_minutes"] = 180
            settings["max_per_day"] = 6
        session.add(PromptSettings(user_id=user_id, settings=settings, updated_at=now - timedelta(days=HISTORY_DAYS)))
        for planned in plan_prompts(schedule_of(users[user_id], settings), now - timedelta(days=HISTORY_DAYS), now):
            status = _outcome(rng, strain)
            sent = None if status == "expired" else planned.due_at + timedelta(seconds=rng.randint(0, 5))
            answered = sent + timedelta(seconds=rng.randint(20, 600)) if sent else None
            rows.append({
                "id": new_id(), "user_id": user_id, "kind": planned.kind, "exercise_id": planned.exercise_id,
                "source": "schedule", "status": status, "due_at": planned.due_at, "valid_until": planned.valid_until,
                "next_attempt_at": planned.due_at, "attempts": 1, "created_at": planned.due_at - timedelta(days=1),
                "sent_at": sent, "expired_at": planned.valid_until if status == "expired" else None,
                "acknowledged_at": answered if status in ("acknowledged", "completed") else None,
                "completed_at": answered if status == "completed" else None,
                "dismissed_at": answered if status == "dismissed" else None,
            })
        if len(rows) >= BATCH:
            session.execute(insert(Prompt), rows)
            total += len(rows)
            rows = []
    if rows:
        session.execute(insert(Prompt), rows)
        total += len(rows)
    session.commit()
    return total
