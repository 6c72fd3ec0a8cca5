"""What the prompts feature announces to the features above it (see wellbeing/reactions.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wellbeing.models import User


@dataclass(frozen=True)
class ToughCallPromptPlanned:
    """A run of tough calls at the agent's threshold planned a breathing prompt due now."""

    user: User
    prompt_id: str
    now: datetime
