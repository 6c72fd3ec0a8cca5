"""GET, PUT /me/consents; GET /me/consents/history."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.org.consents.schemas import ConsentChangeSchema, ConsentsPutSchema, ConsentsSchema
from api.core.extensions import Blueprint
from api.core.pagination import CursorArgsSchema, decode_cursor, page_body, page_schema
from wellbeing.org import consents
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import ConsentChange
from wellbeing.core.pagination import keyset_page

blp = Blueprint("consents", __name__, url_prefix="/me/consents", description="The caller's consents")


@blp.route("")
class Consents(MethodView):
    @login_required()
    @blp.response(200, ConsentsSchema)
    def get(self):
        """The caller's consents"""
        return {**consents.current_consents(db.session, current_user.id), "current_policy_version": consents.POLICY_VERSION}

    @login_required()
    @blp.arguments(ConsentsPutSchema)
    @blp.response(200, ConsentsSchema)
    def put(self, choices):
        """Set the caller's consents; each change is recorded (withdrawing hr_followup closes the cases it opened)"""
        current = consents.set_consents(db.session, current_user, choices, utcnow())
        return {**current, "current_policy_version": consents.POLICY_VERSION}


@blp.route("/history")
class ConsentHistory(MethodView):
    @login_required()
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, page_schema(ConsentChangeSchema))
    def get(self, args):
        """Every change of the caller's consents, newest first"""
        stmt = consents.history_query(current_user.id)
        return page_body(keyset_page(db.session, stmt, ConsentChange.changed_at, ConsentChange.id, args["limit"],
                                     decode_cursor(args["cursor"])))
