"""Insert-or-skip of prompt rows: the unique (user, kind, due time) key makes planning idempotent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wellbeing.db import new_id
from wellbeing.models import Prompt
from wellbeing.planning import PlannedPrompt


def prompt_row(user_id: str, planned: PlannedPrompt, now: datetime) -> dict:
    """The column values of a new scheduled prompt."""
    return {"id": new_id(), "user_id": user_id, "kind": planned.kind, "exercise_id": planned.exercise_id,
            "source": planned.trigger, "status": "scheduled", "due_at": planned.due_at,
            "valid_until": planned.valid_until, "next_attempt_at": planned.due_at, "attempts": 0,
            "created_at": now}


def insert_prompts(session: Session, rows: list[dict]) -> None:
    """Insert the rows, skipping any whose (user, kind, due time) exists already."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Prompt).on_conflict_do_nothing(index_elements=["user_id", "kind", "due_at"])
    # Core executemany, not the ORM, and no RETURNING: psycopg pipelines it instead of parsing one huge statement
    session.connection().execute(stmt, rows)
