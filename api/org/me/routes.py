"""GET, PATCH /me."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user
from api.core.extensions import Blueprint

from api.core.auth import login_required
from api.org.users.schemas import ProfilePatchSchema, ProfileSchema
from wellbeing.org import users
from wellbeing.core.db import db

blp = Blueprint("me", __name__, url_prefix="/me", description="The caller's own data")


@blp.route("")
class Me(MethodView):
    @login_required()
    @blp.response(200, ProfileSchema)
    def get(self):
        """The caller's profile"""
        return current_user

    @login_required()
    @blp.arguments(ProfilePatchSchema)
    @blp.response(200, ProfileSchema)
    def patch(self, changes):
        """Change the caller's name, time zone, locale, working and quiet hours"""
        return users.update_profile(db.session, current_user, changes)
