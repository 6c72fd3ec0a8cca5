"""Amazon Connect's EventBridge events, read into the platform-neutral shape (wellbeing.contact_centre.platform).

Delivered by an EventBridge rule whose target is an API destination pointing at
POST /integrations/amazon-connect/events (the organization's API key in the connection's Authorization header):
- ``Amazon Connect Contact Event``: ``detail.eventType`` CONNECTED_TO_AGENT (the call starts for the agent in
  ``detail.agentInfo.agentArn``) and DISCONNECTED (it ends, at ``detail.disconnectTimestamp``);
- ``Contact Lens Realtime Rules Matched`` / ``Contact Lens Post Call Rules Matched``: ``detail.ruleName`` (and
  ``detail.actionName``) for ``detail.contactArn`` and ``detail.agentArn``, mapped by the organization's rules.
Anything else is accepted and ignored; the EventBridge ``id`` makes every event idempotent.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from wellbeing.contact_centre.platform import Malformed, PlatformEvent

CONTACT_EVENT = "Amazon Connect Contact Event"
RULE_EVENTS = ("Contact Lens Realtime Rules Matched", "Contact Lens Post Call Rules Matched")
_CALL_EVENT_TYPES = {"CONNECTED_TO_AGENT": "started", "DISCONNECTED": "ended"}


def read_event(payload: Any) -> PlatformEvent:
    """The event as the service understands it; Malformed when it is not an EventBridge event at all."""
    if not isinstance(payload, Mapping):
        raise Malformed("The body must be an EventBridge event (a JSON object).", "json")
    event_id = _text(payload, "id")
    detail_type = _text(payload, "detail-type")
    detail = payload.get("detail")
    if not isinstance(detail, Mapping):
        raise Malformed("detail must be an object.", "detail")
    at = _time(payload.get("time"), "time")
    if detail_type == CONTACT_EVENT:
        kind = _CALL_EVENT_TYPES.get(detail.get("eventType"))
        if kind is None:
            return PlatformEvent(event_id, None, ignored="event_type")
        contact_id = _text(detail, "contactId", "detail.contactId")
        agent = detail.get("agentInfo")
        if not isinstance(agent, Mapping) or not agent.get("agentArn"):
            return PlatformEvent(event_id, None, contact_id=contact_id, ignored="no_agent")
        if kind == "started":
            at = _time(agent.get("connectedToAgentTimestamp"), "detail.agentInfo.connectedToAgentTimestamp", at)
        else:
            at = _time(detail.get("disconnectTimestamp"), "detail.disconnectTimestamp", at)
        return PlatformEvent(event_id, kind, agent_id(_text(agent, "agentArn", "detail.agentInfo.agentArn")),
                             contact_id, at)
    if detail_type in RULE_EVENTS:
        rule = _text(detail, "ruleName", "detail.ruleName")
        contact_arn = _text(detail, "contactArn", "detail.contactArn")
        if not detail.get("agentArn"):
            return PlatformEvent(event_id, None, ignored="no_agent")
        agent_arn = _text(detail, "agentArn", "detail.agentArn")
        action = detail.get("actionName")
        names = (rule, _text(detail, "actionName", "detail.actionName")) if action is not None else (rule,)
        return PlatformEvent(event_id, "rule", agent_id(str(agent_arn)), contact_arn.rsplit("/", 1)[-1], at,
                             rules=names)
    return PlatformEvent(event_id, None, ignored="detail_type")


def agent_id(arn: str) -> str:
    """The agent's user id in Amazon Connect: the last part of arn:aws:connect:...:instance/<i>/agent/<user id>."""
    return arn.rsplit("/", 1)[-1]


def _text(data: Mapping, key: str, name: str | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > 200 or "\x00" in value:
        raise Malformed(f"{name or key} must be a non-empty string of at most 200 characters.", name or key)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Malformed(f"{name or key} must be valid text.", name or key) from None
    return value


def _time(value: Any, name: str, default: datetime | None = None) -> datetime:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise Malformed(f"{name} must be an RFC 3339 time.", name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"{name} must be an RFC 3339 time.", name) from None
    if moment.tzinfo is None:
        raise Malformed(f"{name} must carry an offset.", name)
    return moment.astimezone(timezone.utc)
