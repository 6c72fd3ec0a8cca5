"""Imported shifts: replace an agent's shifts between two instants (idempotent), read them back, and hand the
planner what it needs (the shifts and the stretches the imports speak for)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wellbeing.core import reactions
from wellbeing.core.db import new_id, write_intent
from wellbeing.core.errors import Invalid, NotFound
from wellbeing.models import Shift, ShiftCoverage, User
from wellbeing.models.shifts import ACTIVITY_KINDS, SHIFT_SOURCES
from wellbeing.shifts.events import ShiftsChanged

UTC = timezone.utc
# One import speaks for at most this long (a WFM schedule is published weeks ahead, not years)
MAX_RANGE = timedelta(days=62)
MAX_SHIFT = timedelta(hours=24)
MAX_SHIFTS = 500
MAX_ACTIVITIES = 20
# The planner looks this far around its horizon for shifts that start the day before
LOOKAROUND = timedelta(days=2)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class ShiftInputs:
    """What the planner needs of one agent: shifts as (start, end, ((kind, start, end), ...)) and the covered
    stretches, all aware UTC."""

    shifts: tuple[tuple[datetime, datetime, tuple[tuple[str, datetime, datetime], ...]], ...] = ()
    covered: tuple[Interval, ...] = ()


def replace_shifts(session: Session, org_id: str, user_id: str, start: datetime, end: datetime,
                   shifts: Sequence[Mapping[str, Any]], source: str, now: datetime) -> tuple[dict, bool]:
    """Make the agent's imported shifts starting in [start, end) exactly `shifts`; the range counts as covered.

    Returns the stored range as the API shows it and whether anything changed: the same body twice changes
    nothing (no write, no replan). A change replans the agent's coming prompts in the same transaction.
    """
    with write_intent():
        result = stage_shifts(session, org_id, user_id, start, end, shifts, source, now)
        session.commit()
    return result


def stage_shifts(session: Session, org_id: str, user_id: str, start: datetime, end: datetime,
                 shifts: Sequence[Mapping[str, Any]], source: str, now: datetime) -> tuple[dict, bool]:
    """replace_shifts without the commit, for an import of many agents that stands or falls as a whole."""
    assert source in SHIFT_SOURCES
    # The user's row is locked (PostgreSQL) so two imports for one agent apply one after the other, never mixed
    user = session.scalar(select(User).where(User.id == user_id).with_for_update()) \
        if user_id and len(user_id) <= 36 else None
    if user is None or user.org_id != org_id:
        raise NotFound("No such user in your organization.")
    start, end = _utc(start), _utc(end)
    wanted = _validated(start, end, shifts)
    stored = _stored(session, user.id, start, end)
    covered = session.scalar(select(ShiftCoverage.id).where(
        ShiftCoverage.user_id == user.id, ShiftCoverage.start_at <= start, ShiftCoverage.end_at >= end).limit(1))
    if stored == wanted and covered is not None:
        return _body(start, end, wanted), False
    session.execute(delete(Shift).where(Shift.user_id == user.id, Shift.start_at >= start, Shift.start_at < end))
    session.execute(delete(ShiftCoverage).where(
        ShiftCoverage.user_id == user.id, ShiftCoverage.start_at >= start, ShiftCoverage.end_at <= end))
    session.add_all(Shift(id=new_id(), org_id=org_id, user_id=user.id, start_at=s, end_at=e,
                          activities=[{"kind": k, "start": _iso(a), "end": _iso(b)} for k, a, b in acts],
                          source=source, created_at=now) for s, e, acts in wanted)
    session.add(ShiftCoverage(id=new_id(), user_id=user.id, start_at=start, end_at=end, source=source))
    session.flush()
    if user.role == "agent" and user.deactivated_at is None:
        reactions.announce(session, ShiftsChanged(user, now))
    return _body(start, end, wanted), True


def own_shifts(session: Session, user_id: str, start: datetime, end: datetime) -> dict:
    """The agent's imported shifts starting in [start, end), in the shape an import takes."""
    start, end = _utc(start), _utc(end)
    if end <= start or end - start > MAX_RANGE:
        raise Invalid("to must be after from, at most 62 days later.", fields={"to": ["must be after from, at most "
                                                                                     "62 days later"]},
                      code="range_too_long")
    return _body(start, end, _stored(session, user_id, start, end))


def shift_inputs(session: Session, user_ids: Iterable[str], start: datetime, end: datetime) -> dict[str, ShiftInputs]:
    """The planner's inputs for these agents around [start, end): one query for shifts, one for coverage."""
    ids = list(user_ids)
    if not ids:
        return {}
    low, high = _utc(start) - LOOKAROUND, _utc(end) + LOOKAROUND
    shifts: dict[str, list] = defaultdict(list)
    for row in session.scalars(select(Shift).where(Shift.user_id.in_(ids), Shift.start_at >= low,
                                                   Shift.start_at < high).order_by(Shift.start_at)):
        shifts[row.user_id].append((row.start_at, row.end_at, _activities(row.activities)))
    covered: dict[str, list] = defaultdict(list)
    for row in session.scalars(select(ShiftCoverage).where(ShiftCoverage.user_id.in_(ids), ShiftCoverage.end_at > low,
                                                           ShiftCoverage.start_at < high)):
        covered[row.user_id].append((row.start_at, row.end_at))
    return {user_id: ShiftInputs(tuple(shifts[user_id]), tuple(sorted(covered[user_id])))
            for user_id in ids if user_id in shifts or user_id in covered}


def _stored(session: Session, user_id: str, start: datetime, end: datetime) -> list:
    rows = session.scalars(select(Shift).where(Shift.user_id == user_id, Shift.start_at >= start, Shift.start_at < end)
                           .order_by(Shift.start_at))
    return [(row.start_at, row.end_at, _activities(row.activities)) for row in rows]


def _activities(stored: list[dict]) -> tuple[tuple[str, datetime, datetime], ...]:
    return tuple((a["kind"], datetime.fromisoformat(a["start"]), datetime.fromisoformat(a["end"])) for a in stored)


def _validated(start: datetime, end: datetime, shifts: Sequence[Mapping[str, Any]]) -> list:
    errors: dict[str, list[str]] = {}
    if end <= start or end - start > MAX_RANGE:
        errors["to"] = ["must be after from, at most 62 days later"]
    if len(shifts) > MAX_SHIFTS:
        errors["shifts"] = [f"at most {MAX_SHIFTS} shifts"]
    wanted = []
    for i, shift in enumerate(shifts):
        s, e = _utc(shift["start"]), _utc(shift["end"])
        if not start <= s < end:
            errors[f"shifts.{i}.start"] = ["must lie in [from, to)"]
        if not s < e <= s + MAX_SHIFT:
            errors[f"shifts.{i}.end"] = ["must be after the start, at most 24 hours later"]
        activities = shift.get("activities") or []
        if len(activities) > MAX_ACTIVITIES:
            errors[f"shifts.{i}.activities"] = [f"at most {MAX_ACTIVITIES} activities"]
        acts = []
        for j, activity in enumerate(activities):
            a, b = _utc(activity["start"]), _utc(activity["end"])
            if activity["kind"] not in ACTIVITY_KINDS:
                errors[f"shifts.{i}.activities.{j}.kind"] = ["must be one of " + ", ".join(ACTIVITY_KINDS)]
            if not s <= a < b <= e:
                errors[f"shifts.{i}.activities.{j}.end"] = ["must be after the start, inside the shift"]
            acts.append((activity["kind"], a, b))
        wanted.append((s, e, tuple(sorted(acts, key=lambda act: (act[1], act[2], act[0])))))
    wanted.sort(key=lambda shift: (shift[0], shift[1]))
    for i, (previous, following) in enumerate(zip(wanted, wanted[1:])):
        if following[0] < previous[1]:
            errors.setdefault("shifts", []).append("shifts must not overlap")
            break
    if errors:
        named = "; ".join(f"{path}: {messages[0]}" for path, messages in sorted(errors.items()))
        raise Invalid(f"Invalid shifts: {named}.", fields=errors, code="invalid_shifts")
    return wanted


def _body(start: datetime, end: datetime, shifts: list) -> dict:
    return {"from": start, "to": end, "shifts": [
        {"start": s, "end": e, "activities": [{"kind": k, "start": a, "end": b} for k, a, b in acts]}
        for s, e, acts in shifts]}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise Invalid("Times need a UTC offset.", fields={"from": ["needs a UTC offset"]}, code="offset_missing")
    return moment.astimezone(UTC)
