"""Cross-feature reactions: a feature announces what happened, and the features above it react.

A lower feature must not import a higher one (saving a profile would import the prompt planner, withdrawing a
consent the counseling cases). It announces an event instead; the handlers for each event type are registered
in one place, ``wellbeing/reactions.py``, and run at once, in registration order, in the announcer's session and
transaction, so a reaction commits or rolls back with the change that caused it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

Event = TypeVar("Event")
Handler = Callable[[Session, Any], None]

_handlers: dict[type, list[Handler]] = {}


def on(event_type: type) -> Callable[[Handler], Handler]:
    """Register the decorated function as a reaction to events of `event_type`."""

    def register(handler: Handler) -> Handler:
        _handlers.setdefault(event_type, []).append(handler)
        return handler

    return register


def announce(session: Session, event: Any) -> None:
    """Run every reaction registered for the event's type.

    An event nobody reacts to is a wiring fault (wellbeing.reactions not imported, or a handler never
    registered): it raises rather than silently dropping the reaction.
    """
    handlers = _handlers.get(type(event))
    if not handlers:
        raise RuntimeError(f"no reaction registered for {type(event).__name__}: import wellbeing.reactions first")
    for handler in handlers:
        handler(session, event)
