"""Schemas of the contact-centre integration: platform events, rule mappings, recovery settings and breaks."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import RequestSchema, UTCDateTime
from wellbeing.models.contact_centre import PLATFORMS, RECOVERY_CONNECTORS

EVENTBRIDGE_EVENT = {
    "type": "object",
    "description": "An EventBridge event as Amazon Connect emits it (delivered by an API destination): "
                   "`Amazon Connect Contact Event` (detail.eventType CONNECTED_TO_AGENT, DISCONNECTED) or "
                   "`Contact Lens Realtime Rules Matched` / `Contact Lens Post Call Rules Matched`. "
                   "Other events are accepted and ignored.",
    "required": ["id", "detail-type", "time", "detail"],
    "properties": {
        "version": {"type": "string"}, "id": {"type": "string"}, "detail-type": {"type": "string"},
        "source": {"type": "string"}, "account": {"type": "string"}, "time": {"type": "string"},
        "region": {"type": "string"}, "resources": {"type": "array", "items": {"type": "string"}},
        "detail": {"type": "object"},
    },
}


GENESYS_EVENT = {
    "type": "object",
    "description": "A Genesys Cloud notification with `topicName` and `eventBody` (v2.detail.events.conversation.{id}"
                   ".user.start, .user.end, .acw), either inside an EventBridge event's `detail` or posted as is by "
                   "a Process Automation webhook. Other topics are accepted and ignored.",
    "properties": {"detail-type": {"type": "string"}, "detail": {"type": "object"},
                   "topicName": {"type": "string"}, "eventBody": {"type": "object"}},
}


class EventOutcomeSchema(ma.Schema):
    """What became of the event."""

    status = fields.String(metadata={"description": "started, ended, rule, duplicate or ignored"})
    detail = fields.String(allow_none=True, metadata={
        "description": "why an event was ignored (unknown_agent, detail_type, event_type, after_end, "
                       "already_ended, unmapped_rule, no_agent, other_agent), or the kinds a rule marked"})


class KindsSchema(RequestSchema):
    """Rule names or categories (case-insensitive) that mark a call as a complaint or as abusive."""

    complaint = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                            validate=validate.Length(max=100))
    abusive = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                          validate=validate.Length(max=100))


class RulesSchema(RequestSchema):
    """The organization's mapping per platform; a platform left out maps nothing."""

    amazon_connect = fields.Nested(KindsSchema, load_default=dict)
    genesys = fields.Nested(KindsSchema, load_default=dict)


class RecoverySettingsSchema(RequestSchema):
    """Recovery breaks of the organization: on or off, minutes (1-5), and the connector with its settings.

    Connectors: `webhook` (config `url`; secret `{"secret"}` of at least 16 characters), `amazon_connect`
    (config `instance_id`, `recovery_status_id`, `available_status_id`, `region`; secret
    `{"access_key_id", "secret_access_key"}`). The secret is write-only; left out it keeps the stored one.
    """

    enabled = fields.Boolean(required=True)
    minutes = fields.Integer(load_default=2, validate=validate.Range(min=1, max=5))
    connector = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(RECOVERY_CONNECTORS))
    config = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                         values=fields.String(validate=validate.Length(max=2000)), load_default=dict,
                         validate=validate.Length(max=20))
    secret = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                         values=fields.String(validate=validate.Length(min=1, max=2000)), load_default=None,
                         allow_none=True, load_only=True, validate=validate.Length(max=10))
    secret_set = fields.Boolean(dump_only=True, metadata={"description": "whether a secret is stored"})


class OptInSchema(RequestSchema):
    """The agent's own choice to take recovery breaks."""

    opted_in = fields.Boolean(required=True)


class RecoveryBreakSchema(ma.Schema):
    """One of the agent's recovery breaks (only the agent sees it)."""

    id = fields.String()
    status = fields.String(metadata={"description": "requested, applied, restored, failed or declined"})
    minutes = fields.Integer()
    starts_at = UTCDateTime()
    ends_at = UTCDateTime()
    applied_at = UTCDateTime(allow_none=True)
    restored_at = UTCDateTime(allow_none=True)
    declined_at = UTCDateTime(allow_none=True)
    ended_early_at = UTCDateTime(allow_none=True)
    failure_reason = fields.String(allow_none=True, metadata={"description": "why the platform did not apply it"})


class RecoveryBreakListSchema(ma.Schema):
    """The agent's latest recovery breaks, newest first."""

    items = fields.List(fields.Nested(RecoveryBreakSchema))


PLATFORM_NAMES = PLATFORMS
