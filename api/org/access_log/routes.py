"""GET /me/access-log."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.org.access_log.schemas import AccessLogEntrySchema
from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.pagination import CursorArgsSchema, decode_cursor, page_body, page_schema
from wellbeing.org import access_log
from wellbeing.core.db import db

blp = Blueprint("access_log", __name__, url_prefix="/me/access-log", description="Who read the caller's data")


@blp.route("")
class AccessLog(MethodView):
    @login_required()
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, page_schema(AccessLogEntrySchema))
    def get(self, args):
        """Who read the caller's individual data, when and why, newest first"""
        return page_body(access_log.access_log_page(db.session, current_user, args["limit"],
                                                    decode_cursor(args["cursor"])))
