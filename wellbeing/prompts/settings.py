"""An agent's prompt settings: read with defaults, replace with field-by-field validation."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from wellbeing.core.errors import Invalid
from wellbeing.models import PromptSettings, User
from wellbeing.planning import AgentSchedule, default_prompt_settings, validate_settings


def settings_of(session: Session, user_id: str) -> dict[str, Any]:
    """The agent's settings, or the defaults when they never saved any."""
    row = session.get(PromptSettings, user_id)
    return row.settings if row is not None else default_prompt_settings()


def settings_row(session: Session, user_id: str, now: datetime) -> PromptSettings:
    """The agent's settings row, created with the defaults on first use."""
    row = session.get(PromptSettings, user_id)
    if row is None:
        row = PromptSettings(user_id=user_id, settings=default_prompt_settings(), updated_at=now)
        session.add(row)
        session.flush()
    return row


def schedule_of(user: User, settings: dict[str, Any]) -> AgentSchedule:
    """What the planner needs to know about the agent."""
    return AgentSchedule(user.id, user.timezone, settings, user.work_hours, user.quiet_hours)


def replace_settings(session: Session, user: User, settings: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Store new settings (422 naming each bad field) and replan the agent's future prompts at once."""
    from wellbeing.prompts.planner import replan_agent

    errors = validate_settings(settings)
    if errors:
        named = "; ".join(f"{path}: {messages[0]}" for path, messages in sorted(errors.items()))
        raise Invalid(f"Invalid prompt settings: {named}.", errors={"json": errors}, code="invalid_prompt_settings")
    row = settings_row(session, user.id, now)
    row.settings = settings
    row.updated_at = now
    replan_agent(session, user, now)
    session.commit()
    return row.settings
