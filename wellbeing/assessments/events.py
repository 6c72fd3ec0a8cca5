"""What the questionnaire feature announces to the features above it (see wellbeing/reactions.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wellbeing.models import Assessment, User


@dataclass(frozen=True)
class AssessmentRecorded:
    """A new questionnaire result was stored (a replay announces nothing)."""

    user: User
    assessment: Assessment
    now: datetime
