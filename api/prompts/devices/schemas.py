"""Schemas of push targets: a signed webhook, a Web Push subscription, an FCM, APNs or JPush token (secrets go in, never out)."""
import marshmallow as ma
from marshmallow import fields, validate

from api.core.schemas import ClientId, RequestSchema, UTCDateTime, rule_violation
from wellbeing.models.prompts import DEVICE_CHANNELS

# What each channel's body carries besides `id` and `channel`
CHANNEL_FIELDS = {"webhook": {"url", "secret"}, "webpush": {"subscription"}, "fcm": {"token"},
                  "apns": {"token", "environment"}, "jpush": {"registration_id"}}
_TOKEN = validate.Length(min=8, max=4096)
_KEY = validate.Regexp(r"^[A-Za-z0-9_-]+=*$", error="base64url")


class WebPushKeysSchema(RequestSchema):
    p256dh = fields.String(required=True, validate=[validate.Length(min=80, max=100), _KEY],
                           metadata={"description": "the browser's P-256 public key, base64url (uncompressed point)"})
    auth = fields.String(required=True, validate=[validate.Length(min=16, max=32), _KEY],
                         metadata={"description": "the 16-byte authentication secret, base64url"})


class WebPushSubscriptionSchema(RequestSchema):
    """A PushSubscription as the browser's `subscription.toJSON()` gives it (`expirationTime` may be included)."""

    endpoint = fields.Url(required=True, schemes={"https", "http"}, require_tld=False,
                          validate=validate.Length(max=2000))
    keys = fields.Nested(WebPushKeysSchema, required=True)
    expirationTime = fields.Integer(allow_none=True, load_only=True)


class DeviceCreateSchema(RequestSchema):
    """A push target. `webhook`: `url`, `secret` (deliveries are POSTed there, HMAC-SHA256 signed with the
    secret). `webpush`: `subscription` (subscribe with GET /push/vapid-public-key). `fcm`: `token` (the FCM
    registration token). `apns`: `token` (the device token, hex) and `environment`. `jpush`: `registration_id`."""

    id = ClientId()
    channel = fields.String(required=True, validate=validate.OneOf(DEVICE_CHANNELS))
    url = fields.Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))
    secret = fields.String(load_only=True, validate=validate.Length(min=16, max=200))
    subscription = fields.Nested(WebPushSubscriptionSchema, load_only=True)
    token = fields.String(load_only=True, validate=[_TOKEN, validate.Regexp(r"^[A-Za-z0-9_:.\-]+$")])
    environment = fields.String(validate=validate.OneOf(["production", "sandbox"]))
    registration_id = fields.String(load_only=True, validate=[validate.Length(min=4, max=200),
                                                                validate.Regexp(r"^[A-Za-z0-9_\-]+$")])

    @ma.validates_schema
    def _fields_of_the_channel(self, data, **kwargs):
        wanted = CHANNEL_FIELDS.get(data.get("channel"), set())
        given = set(data) - {"id", "channel"}
        errors = {name: ["Missing data for required field."] for name in wanted - given}
        errors.update({name: [f"Not a field of the {data.get('channel')} channel."] for name in given - wanted})
        if errors:
            raise rule_violation("fields_of_the_channel", errors, None)


class DeviceSchema(ma.Schema):
    """A registered push target and how its deliveries go."""

    id = fields.String()
    channel = fields.String(metadata={"enum": list(DEVICE_CHANNELS)})
    url = fields.String(allow_none=True, metadata={"description": "the webhook URL; null for other channels"})
    token = fields.String(attribute="hint", allow_none=True,
                          metadata={"description": "the token or the Web Push endpoint, masked"})
    environment = fields.String(allow_none=True, metadata={"description": "APNs only: production or sandbox"})
    created_at = UTCDateTime()
    last_success_at = UTCDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    disabled = fields.Function(lambda device: device.disabled_at is not None, dump_only=True,
                               metadata={"type": "boolean"})
    disabled_at = UTCDateTime(allow_none=True, metadata={"description": "Set when the provider says the token is gone, "
                                                                        "or after repeated permanent failures"})
    disabled_reason = fields.String(allow_none=True)

    @ma.post_dump(pass_original=True)
    def _webhook_url_only(self, data, device, **kwargs):
        if device.channel != "webhook":
            data["url"] = None
        return data


class TestResultSchema(ma.Schema):
    """What the provider answered to a test notification."""

    ok = fields.Boolean()
    status_code = fields.Integer(attribute="status", allow_none=True)
    error = fields.String(allow_none=True)
