"""POST, GET /me/devices; DELETE /me/devices/{id}."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.prompts.devices.schemas import DeviceCreateSchema, DeviceSchema
from api.core.extensions import Blueprint
from api.core.idempotency import created, fingerprint
from api.core.keyring import keyring
from api.core.pagination import CursorArgsSchema, decode_cursor, page_body, page_schema
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import Device
from wellbeing.core.pagination import keyset_page
from wellbeing.prompts import devices

blp = Blueprint("devices", __name__, url_prefix="/me/devices", description="The agent's push targets")


@blp.route("")
class Devices(MethodView):
    @login_required("agent")
    @blp.arguments(DeviceCreateSchema)
    @blp.response(201, DeviceSchema)
    @blp.alt_response(200, schema=DeviceSchema, description="Replay of a create with the same id and body")
    def post(self, data):
        """Register a signed-webhook target (private and loopback addresses are refused)"""
        return created(*devices.add_device(db.session, current_user, data, fingerprint(data), keyring(), utcnow(),
                                           current_app.config["ALLOW_PRIVATE_WEBHOOKS"]))

    @login_required("agent")
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, page_schema(DeviceSchema))
    def get(self, args):
        """The caller's push targets, newest first"""
        return page_body(keyset_page(db.session, devices.devices_query(current_user.id), Device.created_at,
                                     Device.id, args["limit"], decode_cursor(args["cursor"])))


@blp.route("/<device_id>")
class DeviceById(MethodView):
    @login_required("agent")
    @blp.response(204)
    def delete(self, device_id):
        """Remove one of the caller's push targets"""
        devices.remove_device(db.session, current_user.id, device_id)
