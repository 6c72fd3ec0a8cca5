"""POST, GET /assessments; GET /assessments/{id}."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.assessments.schemas import (
    AssessmentCreatedSchema,
    AssessmentCreateSchema,
    AssessmentQueryArgsSchema,
    AssessmentSchema,
)
from api.core.auth import login_required
from api.core.extensions import Blueprint
from api.core.idempotency import created, fingerprint
from api.core.language import request_language
from api.core.pagination import decode_cursor, page_body, page_schema
from wellbeing.assessments import results
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import Assessment
from wellbeing.core.pagination import keyset_page

blp = Blueprint("assessments", __name__, url_prefix="/assessments", description="Completed questionnaires (own only)")


@blp.route("")
class Assessments(MethodView):
    @login_required("agent")
    @blp.arguments(AssessmentCreateSchema)
    @blp.response(201, AssessmentCreatedSchema)
    @blp.alt_response(200, schema=AssessmentCreatedSchema, description="Replay of a create with the same id and body")
    @blp.alt_response(409, description="The id was used with another body (code id_conflict), or the instrument was "
                                       "answered less than its min_interval_days before (code retake_too_soon, with "
                                       "available_from)")
    def post(self, data):
        """Submit a completed questionnaire; scored exactly, with a support block when a result calls for one"""
        recorded = results.record_assessment(db.session, current_user, data, fingerprint(data), utcnow(),
                                                 request_language())
        return created(recorded, recorded.created)

    @login_required("agent")
    @blp.arguments(AssessmentQueryArgsSchema, location="query")
    @blp.response(200, page_schema(AssessmentSchema))
    def get(self, args):
        """The caller's own results, newest first"""
        stmt = results.history_query(current_user.id, args.get("instrument"))
        page = keyset_page(db.session, stmt, Assessment.completed_at, Assessment.id, args["limit"],
                           decode_cursor(args["cursor"]))
        return page_body(page)


@blp.route("/<assessment_id>")
class AssessmentById(MethodView):
    @login_required("agent")
    @blp.response(200, AssessmentSchema)
    def get(self, assessment_id):
        """One of the caller's own results"""
        return results.get_own_assessment(db.session, current_user.id, assessment_id)
