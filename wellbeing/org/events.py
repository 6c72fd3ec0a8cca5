"""What the organization feature announces to the features above it (see wellbeing/reactions.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wellbeing.models import User


@dataclass(frozen=True)
class WorkingTimeChanged:
    """An agent's time zone, working hours or quiet hours changed."""

    user: User
    now: datetime


@dataclass(frozen=True)
class ConsentWithdrawn:
    """The agent withdrew a consent (``hr_followup`` or ``team_aggregates``)."""

    user_id: str
    consent: str
    now: datetime
