"""GET /instruments, GET /instruments/{id}."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.assessments.instruments.schemas import InstrumentSchema, InstrumentSummarySchema
from api.core.language import request_language
from wellbeing.assessments import catalog
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db

blp = Blueprint("instruments", __name__, url_prefix="/instruments", description="Questionnaires offered to agents")


@blp.route("")
class Instruments(MethodView):
    @login_required("agent")
    @blp.response(200, InstrumentSummarySchema(many=True))
    def get(self):
        """The questionnaires the organization offers, localized, with when each is next due"""
        return catalog.agent_catalog(db.session, current_user, request_language(), utcnow())


@blp.route("/<instrument_id>")
class InstrumentById(MethodView):
    @login_required("agent")
    @blp.response(200, InstrumentSchema)
    def get(self, instrument_id):
        """One offered questionnaire: items with localized text and response options"""
        return catalog.agent_instrument(db.session, current_user, instrument_id, request_language(), utcnow())
