"""An agent's prompt settings: read with defaults, replace with field-by-field validation."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from wellbeing.core.errors import Invalid
from wellbeing.models import PromptSettings, User
from wellbeing.prompts.planner import replan_agent, settings_row
from wellbeing.prompts.schedule import default_prompt_settings, validate_settings


def settings_of(session: Session, user_id: str) -> dict[str, Any]:
    """The agent's settings, or the defaults when they never saved any."""
    row = session.get(PromptSettings, user_id)
    return row.settings if row is not None else default_prompt_settings()


def replace_settings(session: Session, user: User, settings: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Store new settings (422 naming each bad field) and replan the agent's future prompts at once."""
    errors = validate_settings(settings)
    if errors:
        named = "; ".join(f"{path}: {messages[0]}" for path, messages in sorted(errors.items()))
        raise Invalid(f"Invalid prompt settings: {named}.", fields=errors, code="invalid_prompt_settings")
    row = settings_row(session, user.id, now)
    row.settings = settings
    row.updated_at = now
    replan_agent(session, user, now)
    session.commit()
    return row.settings
