"""GET /support."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.assessments.support.schemas import SupportPageSchema
from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.language import request_language
from wellbeing.assessments import support
from wellbeing.core.db import db

blp = Blueprint("support", __name__, url_prefix="/support",
                description="Help resources for everyone: the organization's lines, then the national ones")


@blp.route("")
class Support(MethodView):
    @login_required()
    @blp.response(200, SupportPageSchema)
    def get(self):
        """Help lines in the caller's language; reading them is recorded nowhere"""
        return support.support_page(db.session, current_user, request_language())
