"""GET /me/risk."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.language import request_language
from api.risk.schemas import RiskSchema
from wellbeing.risk import snapshots
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db

blp = Blueprint("risk", __name__, url_prefix="/me/risk", description="The caller's burnout-risk indicator")


@blp.route("")
class Risk(MethodView):
    @login_required("agent")
    @blp.response(200, RiskSchema)
    def get(self):
        """The caller's latest burnout-risk result with its factors: a screening indicator, not a diagnosis"""
        return snapshots.risk_report(db.session, current_user.id, utcnow(), request_language())
