"""Genesys Cloud conversation events, read into the platform-neutral shape (wellbeing.contact_centre.platform).

Delivered by the Genesys Cloud EventBridge integration (an EventBridge rule whose target is an API destination
pointing at POST /integrations/genesys/events, with the organization's API key), or by a Process Automation
webhook that posts the notification itself. Either way the notification has ``topicName`` and ``eventBody``:
- ``v2.detail.events.conversation.{id}.user.start``: the agent (``eventBody.userId``) is connected;
- ``v2.detail.events.conversation.{id}.user.end``: the agent's part of the conversation ends;
- ``v2.detail.events.conversation.{id}.acw``: after-call work with the agent's ``wrapupCode``, which the
  organization's mapping may count as complaint or abusive (as Contact Lens rules are for Amazon Connect).
``eventBody.eventId`` makes every event idempotent; ``eventBody.eventDateTime`` is epoch milliseconds.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from wellbeing.contact_centre.platform import Malformed, PlatformEvent

_KINDS = {"user.start": "started", "user.end": "ended", "acw": "rule"}


def read_event(payload: Any) -> PlatformEvent:
    """The event as the service understands it; Malformed when it is not a Genesys Cloud notification."""
    if not isinstance(payload, Mapping):
        raise Malformed("The body must be a Genesys Cloud notification (a JSON object).", "json")
    notification = payload.get("detail") if isinstance(payload.get("detail"), Mapping) else payload
    topic = _text(notification, "topicName")
    body = notification.get("eventBody")
    if not isinstance(body, Mapping):
        raise Malformed("eventBody must be an object.", "eventBody")
    event_id = _text(body, "eventId", "eventBody.eventId")
    prefix = "v2.detail.events.conversation."
    suffix = topic[len(prefix):].split(".", 1)[1] if topic.startswith(prefix) and topic.count(".") >= 5 else None
    kind = _KINDS.get(suffix or "")
    if kind is None:
        return PlatformEvent(event_id, None, ignored="topic")
    conversation = _text(body, "conversationId", "eventBody.conversationId")
    at = _epoch_ms(body.get("eventDateTime"))
    if not body.get("userId"):
        return PlatformEvent(event_id, None, contact_id=conversation, ignored="no_agent")
    user = _text(body, "userId", "eventBody.userId")
    if kind == "rule":
        code = body.get("wrapupCode")
        codes = (_text(body, "wrapupCode", "eventBody.wrapupCode"),) if code is not None else ()
        return PlatformEvent(event_id, "rule", user, conversation, at, rules=codes)
    return PlatformEvent(event_id, kind, user, conversation, at)


def _text(data: Mapping, key: str, name: str | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > 200 or "\x00" in value:
        raise Malformed(f"{name or key} must be a non-empty string of at most 200 characters.", name or key)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Malformed(f"{name or key} must be valid text.", name or key) from None
    return value


def _epoch_ms(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 32_503_680_000_000:
        raise Malformed("eventBody.eventDateTime must be epoch milliseconds.", "eventBody.eventDateTime")
    return datetime.fromtimestamp(value / 1000, timezone.utc)
