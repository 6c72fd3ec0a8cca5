"""POST /integrations/amazon-connect/events and /integrations/genesys/events (API key); GET, PUT /org/contact-centre/rules and /org/recovery
(admin); GET, PUT /me/recovery, GET /me/recovery-breaks, POST /me/recovery-breaks/{id}/stop (agent)."""
from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.contact_centre.schemas import (
    EVENTBRIDGE_EVENT,
    GENESYS_EVENT,
    EventOutcomeSchema,
    OptInSchema,
    RecoveryBreakListSchema,
    RecoveryBreakSchema,
    RecoverySettingsSchema,
    RulesSchema,
)
from api.core.auth import api_key_required, login_required
from api.core.extensions import Blueprint
from api.core.keyring import keyring
from wellbeing.contact_centre import amazon_connect, genesys, recovery, rules
from wellbeing.contact_centre.platform import Malformed, receive
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db

blp = Blueprint("contact_centre", __name__, url_prefix="",
                description="The contact-centre platform: its events, rule mappings and recovery breaks")


@blp.route("/integrations/amazon-connect/events")
class AmazonConnectEvents(MethodView):
    @api_key_required
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": EVENTBRIDGE_EVENT}}})
    @blp.response(202, EventOutcomeSchema)
    @blp.alt_response(400, description="Not an EventBridge event (the problem names the field)")
    def post(self):
        """An Amazon Connect event from an EventBridge API destination; idempotent on the event's id"""
        payload = request.get_json(silent=True)
        if payload is None:
            raise Malformed("The body must be JSON.", "json")
        event = amazon_connect.read_event(payload)
        status, detail = receive(db.session, g.api_key.org_id, "amazon_connect", event, utcnow())
        return {"status": status, "detail": detail}


@blp.route("/integrations/genesys/events")
class GenesysEvents(MethodView):
    @api_key_required
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": GENESYS_EVENT}}})
    @blp.response(202, EventOutcomeSchema)
    @blp.alt_response(400, description="Not a Genesys Cloud notification (the problem names the field)")
    def post(self):
        """A Genesys Cloud conversation event (EventBridge integration or Process Automation); idempotent on
        eventBody.eventId"""
        payload = request.get_json(silent=True)
        if payload is None:
            raise Malformed("The body must be JSON.", "json")
        event = genesys.read_event(payload)
        status, detail = receive(db.session, g.api_key.org_id, "genesys", event, utcnow())
        return {"status": status, "detail": detail}


@blp.route("/org/contact-centre/rules")
class Rules(MethodView):
    @login_required("admin")
    @blp.response(200, RulesSchema)
    def get(self):
        """Which platform rule names or categories mark a call as a complaint or abusive"""
        return rules.rules_of(db.session, current_user.org_id)

    @login_required("admin")
    @blp.arguments(RulesSchema)
    @blp.response(200, RulesSchema)
    def put(self, data):
        """Replace the mapping (names are compared case-insensitively)"""
        return rules.replace_rules(db.session, current_user.org_id, data)


@blp.route("/org/recovery")
class RecoverySettings(MethodView):
    @login_required("admin")
    @blp.response(200, RecoverySettingsSchema)
    def get(self):
        """The organization's recovery breaks: on or off, minutes, connector (the secret is never shown)"""
        return recovery.settings_of(db.session, current_user.org_id)

    @login_required("admin")
    @blp.arguments(RecoverySettingsSchema)
    @blp.response(200, RecoverySettingsSchema)
    def put(self, data):
        """Replace the recovery settings"""
        return recovery.replace_settings(db.session, current_user.org_id, data, keyring(), utcnow(),
                                         current_app.config["ALLOW_PRIVATE_WEBHOOKS"])


@blp.route("/me/recovery")
class MyRecovery(MethodView):
    @login_required("agent")
    @blp.response(200, OptInSchema)
    def get(self):
        """Whether the caller takes recovery breaks (off until they choose)"""
        return {"opted_in": recovery.opted_in(db.session, current_user.id)}

    @login_required("agent")
    @blp.arguments(OptInSchema)
    @blp.response(200, OptInSchema)
    def put(self, data):
        """Opt in or out; opting out declines or ends the caller's current break"""
        return {"opted_in": recovery.set_opt_in(db.session, current_user, data["opted_in"], utcnow())}


@blp.route("/me/recovery-breaks")
class MyRecoveryBreaks(MethodView):
    @login_required("agent")
    @blp.response(200, RecoveryBreakListSchema)
    def get(self):
        """The caller's latest recovery breaks, newest first"""
        return {"items": recovery.own_breaks(db.session, current_user.id)}


@blp.route("/me/recovery-breaks/<break_id>/stop")
class StopRecoveryBreak(MethodView):
    @login_required("agent")
    @blp.response(200, RecoveryBreakSchema)
    @blp.alt_response(409, description="The break is over already")
    def post(self, break_id):
        """Decline a break not yet started, or end a running one now (the platform puts the caller back)"""
        return recovery.stop_break(db.session, current_user.id, break_id, utcnow())
