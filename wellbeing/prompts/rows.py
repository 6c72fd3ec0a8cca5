"""Insert-or-skip of prompt and reminder rows: the unique (user, kind, due time) key makes planning idempotent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wellbeing.core.db import new_id, upsert_insert
from wellbeing.models import Prompt
from wellbeing.prompts.schedule import PlannedPrompt, ReminderSlot


def prompt_row(user_id: str, planned: PlannedPrompt, now: datetime) -> dict:
    """The column values of a new scheduled prompt."""
    return {"id": new_id(), "user_id": user_id, "kind": planned.kind, "exercise_id": planned.exercise_id,
            "source": planned.trigger, "status": "scheduled", "due_at": planned.due_at,
            "valid_until": planned.valid_until, "next_attempt_at": planned.due_at, "attempts": 0,
            "created_at": now, "instrument_id": None}


def reminder_row(user_id: str, instrument_id: str, slot: ReminderSlot, now: datetime) -> dict:
    """The column values of a new questionnaire reminder."""
    return {"id": new_id(), "user_id": user_id, "kind": "questionnaire", "exercise_id": None, "source": "schedule",
            "status": "scheduled", "due_at": slot.due_at, "valid_until": slot.valid_until,
            "next_attempt_at": slot.due_at, "attempts": 0, "created_at": now, "instrument_id": instrument_id}


# PostgreSQL takes the rows as one array per column: one statement, one round trip, one plan for any
# number of rows (a pipelined executemany sent a statement per row: 2.9 s of 7.2 s planning 2,000 agents).
# Binary parameters (%(...)b): psycopg's text dump escapes every array element with a regular expression.
_COLUMNS = (("id", "varchar"), ("user_id", "varchar"), ("kind", "varchar"), ("exercise_id", "varchar"),
            ("source", "varchar"), ("status", "varchar"), ("due_at", "timestamptz"), ("valid_until", "timestamptz"),
            ("next_attempt_at", "timestamptz"), ("attempts", "integer"), ("created_at", "timestamptz"),
            ("instrument_id", "varchar"))
_UNNEST_INSERT = (
    f"INSERT INTO prompts ({', '.join(name for name, _ in _COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%({name})b::{kind}[]' for name, kind in _COLUMNS)}) "
    "ON CONFLICT (user_id, kind, due_at) DO NOTHING")


def insert_prompts(session: Session, rows: list[dict]) -> None:
    """Insert the rows, skipping any whose (user, kind, due time) exists already."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_UNNEST_INSERT, {name: [row[name] for row in rows] for name, _ in _COLUMNS})
        return
    stmt = upsert_insert(connection, Prompt).on_conflict_do_nothing(index_elements=["user_id", "kind", "due_at"])
    connection.execute(stmt, rows)
