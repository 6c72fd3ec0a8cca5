"""GET, PATCH /org; GET, PUT /org/instruments."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user
from api.core.extensions import Blueprint

from api.core.auth import login_required
from api.core.language import request_language
from api.org.schemas import OrgInstrumentSchema, OrgInstrumentsPutSchema, OrgPatchSchema, OrgSchema
from wellbeing.assessments import catalog
from wellbeing.org import organizations
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import Organization

blp = Blueprint("org", __name__, url_prefix="/org", description="Organization settings")


@blp.route("")
class Org(MethodView):
    @login_required("admin", "hr")
    @blp.response(200, OrgSchema)
    def get(self):
        """The caller's organization settings (admin; HR reads them for help lines)"""
        return db.session.get(Organization, current_user.org_id)

    @login_required("admin")
    @blp.arguments(OrgPatchSchema)
    @blp.response(200, OrgSchema)
    def patch(self, changes):
        """Change organization settings"""
        org = db.session.get(Organization, current_user.org_id)
        return organizations.update_settings(db.session, org, changes)


@blp.route("/instruments")
class OrgInstruments(MethodView):
    @login_required("admin")
    @blp.response(200, OrgInstrumentSchema(many=True))
    def get(self):
        """Every available questionnaire, whether it is enabled, and its licence"""
        return catalog.organization_instruments(db.session, current_user.org_id, request_language())

    @login_required("admin")
    @blp.arguments(OrgInstrumentsPutSchema)
    @blp.response(200, OrgInstrumentSchema(many=True))
    def put(self, data):
        """Set the questionnaires the organization offers its agents and how often they are reminded"""
        return catalog.set_enabled(db.session, current_user, data["enabled"], utcnow(), request_language(),
                                   data.get("reminder_days"))
