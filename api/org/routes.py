"""GET, PATCH /org."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user
from api.extensions import Blueprint

from api.auth import login_required
from api.org.schemas import OrgPatchSchema, OrgSchema
from wellbeing import organizations
from wellbeing.db import db
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
