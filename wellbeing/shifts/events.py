"""What the shifts feature announces to the features above it (see wellbeing/reactions.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wellbeing.models import User


@dataclass(frozen=True)
class ShiftsChanged:
    """An import changed an agent's shifts (the prompts are replanned at once)."""

    user: User
    now: datetime
