"""POST, GET /me/devices; DELETE /me/devices/{id}; POST /me/devices/{id}/test; GET /push/vapid-public-key."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.idempotency import created, fingerprint
from api.core.keyring import keyring
from api.core.pagination import CursorArgsSchema, decode_cursor, page_body, page_schema
from api.prompts.devices.schemas import DeviceCreateSchema, DeviceSchema, TestResultSchema
from api.prompts.push import push_channel
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.core.pagination import keyset_page
from wellbeing.models import Device
from wellbeing.prompts import devices
from wellbeing.prompts.probe import send_test_notification

blp = Blueprint("devices", __name__, url_prefix="/me/devices", description="The agent's push targets")


@blp.route("")
class Devices(MethodView):
    @login_required("agent")
    @blp.arguments(DeviceCreateSchema)
    @blp.response(201, DeviceSchema)
    @blp.alt_response(200, schema=DeviceSchema, description="Replay of a create with the same id and body")
    @blp.alt_response(429, description="The agent has 10 devices already")
    def post(self, data):
        """Register a push target: a signed webhook, a Web Push subscription, or an FCM, APNs or JPush token"""
        providers = push_channel().providers
        configured = frozenset(name for name in ("webpush", "fcm", "apns", "jpush") if getattr(providers, name))
        return created(*devices.add_device(db.session, current_user, data, fingerprint(data), keyring(), utcnow(),
                                           current_app.config["ALLOW_PRIVATE_WEBHOOKS"], configured))

    @login_required("agent")
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, page_schema(DeviceSchema))
    def get(self, args):
        """The caller's push targets, newest first, with how their deliveries go"""
        return page_body(keyset_page(db.session, devices.devices_query(current_user.id), Device.created_at,
                                     Device.id, args["limit"], decode_cursor(args["cursor"])))


@blp.route("/<device_id>")
class DeviceById(MethodView):
    @login_required("agent")
    @blp.response(204)
    def delete(self, device_id):
        """Remove one of the caller's push targets"""
        devices.remove_device(db.session, current_user.id, device_id)


@blp.route("/<device_id>/test")
class DeviceTest(MethodView):
    @login_required("agent")
    @blp.response(200, TestResultSchema)
    @blp.alt_response(409, description="The device is disabled")
    @blp.alt_response(429, description="Five test notifications to this device in the last hour already")
    def post(self, device_id):
        """Send a test notification to one of the caller's devices now"""
        return send_test_notification(db.session, current_user, device_id, push_channel(), utcnow())
