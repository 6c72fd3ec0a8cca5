"""What the planner knows of one agent: zone, settings, work and quiet hours, and imported shifts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from wellbeing.models import User
from wellbeing.prompts.schedule import AgentSchedule, Shift, ShiftActivity
from wellbeing.shifts.imports import ShiftInputs, shift_inputs


def schedule_of(user: User, settings: dict[str, Any], shifts: ShiftInputs | None = None) -> AgentSchedule:
    """What the planner needs to know about the agent: imported shifts first, else the profile's work hours."""
    if shifts is None:
        return AgentSchedule(user.id, user.timezone, settings, user.work_hours, user.quiet_hours)
    planned = tuple(Shift(start, end, tuple(ShiftActivity(*activity) for activity in activities))
                    for start, end, activities in shifts.shifts)
    return AgentSchedule(user.id, user.timezone, settings, user.work_hours, user.quiet_hours, planned, shifts.covered)


def agent_schedule(session: Session, user: User, settings: dict[str, Any], start: datetime,
                   end: datetime) -> AgentSchedule:
    """The agent's schedule with their imported shifts around [start, end) loaded."""
    return schedule_of(user, settings, shift_inputs(session, [user.id], start, end).get(user.id))
