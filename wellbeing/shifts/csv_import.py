"""An admin's CSV upload of shifts: one row per shift or activity, all agents of the file in one transaction.

Columns (a header row naming them is optional): ``agent e-mail, start, end, activity``. ``start`` and ``end`` are
RFC 3339 with an offset; ``activity`` is ``shift`` (or empty) for a shift, or ``break``, ``meal``, ``meeting``,
``training`` for an activity, which must lie inside one of the agent's shifts in the file. For every agent in the
file the shifts starting in [from, to) are replaced, exactly like ``PUT /users/{id}/shifts``; agents not in the
file are left alone. Any bad row refuses the whole file (422 naming each row), so nothing is half-imported.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core.db import write_intent
from wellbeing.core.errors import Invalid
from wellbeing.models import User
from wellbeing.models.shifts import ACTIVITY_KINDS
from wellbeing.shifts.imports import stage_shifts

MAX_ROWS = 20_000
_HEADER = ("agent e-mail", "agent email", "email", "e-mail")


def import_csv(session: Session, org_id: str, text: str, start: datetime, end: datetime,
               now: datetime) -> dict[str, int]:
    """Import the file; returns the agents named, the shifts stored and the agents whose shifts changed."""
    rows = list(csv.reader(io.StringIO(text)))
    first_line = 1
    if rows and rows[0] and rows[0][0].strip().lower() in _HEADER:
        rows, first_line = rows[1:], 2
    errors: dict[str, list[str]] = {}
    if len(rows) > MAX_ROWS:
        raise Invalid(f"At most {MAX_ROWS} rows.", fields={"csv": [f"at most {MAX_ROWS} rows"]})
    parsed = []
    for number, row in enumerate(rows, start=first_line):  # errors name the file's line numbers
        if not any(cell.strip() for cell in row):
            continue
        if len(row) not in (3, 4):
            errors[f"rows.{number}"] = ["needs agent e-mail, start, end and activity"]
            continue
        email, first, last = (cell.strip() for cell in row[:3])
        kind = (row[3].strip().lower() if len(row) == 4 else "") or "shift"
        try:
            first_at, last_at = _time(first), _time(last)
        except ValueError:
            errors[f"rows.{number}"] = ["start and end must be RFC 3339 times with an offset"]
            continue
        if kind not in ("shift", "work", *ACTIVITY_KINDS):
            errors[f"rows.{number}"] = ["activity must be shift, break, meal, meeting or training"]
            continue
        parsed.append((number, email.lower(), "shift" if kind == "work" else kind, first_at, last_at))
    emails = {row[1] for row in parsed}
    users = dict(session.execute(select(User.email, User.id).where(
        User.org_id == org_id, User.role == "agent", User.email.in_(emails))).all()) if emails else {}
    per_user: dict[str, list[dict]] = defaultdict(list)
    for number, email, kind, first_at, last_at in parsed:
        if email not in users:
            errors[f"rows.{number}"] = [f"no agent {email} in your organization"]
        elif kind == "shift":
            per_user[users[email]].append({"start": first_at, "end": last_at, "activities": [], "row": number})
    for number, email, kind, first_at, last_at in parsed:
        if kind == "shift" or email not in users:
            continue
        home = next((s for s in per_user[users[email]] if s["start"] <= first_at < last_at <= s["end"]), None)
        if home is None:
            errors[f"rows.{number}"] = ["the activity lies inside none of the agent's shifts in the file"]
        else:
            home["activities"].append({"kind": kind, "start": first_at, "end": last_at})
    if not parsed and not errors:
        errors["csv"] = ["the file has no rows"]
    counts = {"agents": len(per_user), "shifts": 0, "changed": 0}
    with write_intent():
        if not errors:
            for user_id, shifts in per_user.items():
                try:
                    _, changed = stage_shifts(session, org_id, user_id, start, end, shifts, "csv", now)
                except Invalid as error:
                    for path, messages in (error.fields or {}).items():
                        parts = path.split(".")
                        if parts[0] == "shifts" and len(parts) > 1:
                            errors[f"rows.{shifts[int(parts[1])]['row']}"] = messages
                        else:
                            errors[path] = messages
                    continue
                counts["shifts"] += len(shifts)
                counts["changed"] += changed
        if errors:
            session.rollback()
            named = "; ".join(f"{path}: {messages[0]}" for path, messages in sorted(errors.items())[:10])
            raise Invalid(f"The file was not imported: {named}.", fields=errors, code="invalid_shifts_csv")
        session.commit()
    return counts


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no offset")
    return moment
