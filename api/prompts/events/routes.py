"""POST /events/call-started, /events/call-ended (organization API key)."""
from __future__ import annotations

from flask import g
from flask.views import MethodView

from api.core.auth import api_key_required
from api.prompts.events.schemas import AcceptedSchema, CallEndedSchema, CallStartedSchema
from api.core.extensions import Blueprint
from api.core.idempotency import fingerprint
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.prompts.calls import record_call_event

blp = Blueprint("events", __name__, url_prefix="/events", description="Call events (organization API key)")


def _accepted(kind: str, data: dict):
    event, _ = record_call_event(db.session, g.api_key.org_id, kind, data, fingerprint(data), utcnow())
    return {"id": event.id, "status": "accepted"}


@blp.route("/call-started")
class CallStarted(MethodView):
    @api_key_required
    @blp.arguments(CallStartedSchema)
    @blp.response(202, AcceptedSchema)
    def post(self, data):
        """An agent's call started: prompts wait until it ends (within their validity)"""
        return _accepted("started", data)


@blp.route("/call-ended")
class CallEnded(MethodView):
    @api_key_required
    @blp.arguments(CallEndedSchema)
    @blp.response(202, AcceptedSchema)
    def post(self, data):
        """An agent's call ended; a run of tough calls at their threshold schedules a breathing prompt now"""
        return _accepted("ended", data)
