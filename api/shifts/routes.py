"""PUT /users/{id}/shifts (organization API key or admin); GET /me/shifts (the agent's own)."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import api_key_or_login_required, caller_org_id, login_required
from api.core.extensions import Blueprint
from api.shifts.schemas import ShiftRangeArgsSchema, ShiftRangeSchema
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.shifts.imports import own_shifts, replace_shifts

blp = Blueprint("shifts", __name__, url_prefix="", description="Shifts imported from workforce management")


def _out(body: dict) -> dict:
    return {"from_": body["from"], "to": body["to"], "shifts": body["shifts"]}


@blp.route("/users/<user_id>/shifts")
class UserShifts(MethodView):
    @api_key_or_login_required("admin")
    @blp.arguments(ShiftRangeSchema)
    @blp.response(200, ShiftRangeSchema)
    @blp.alt_response(404, description="No such user in the caller's organization")
    def put(self, data, user_id):
        """Replace the user's imported shifts starting in [from, to); the same body twice changes nothing"""
        body, _ = replace_shifts(db.session, caller_org_id(), user_id, data["from_"], data["to"], data["shifts"],
                                 "api", utcnow())
        return _out(body)


@blp.route("/me/shifts")
class MyShifts(MethodView):
    @login_required("agent")
    @blp.arguments(ShiftRangeArgsSchema, location="query")
    @blp.response(200, ShiftRangeSchema)
    def get(self, args):
        """The caller's imported shifts starting in [from, to) (at most 62 days)"""
        return _out(own_shifts(db.session, current_user.id, args["from_"], args["to"]))
