"""GET, PATCH /me; PUT /me/password."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user
from marshmallow import fields, validate

from api.core.auth import login_required, token_claims
from api.core.extensions import Blueprint
from api.core.schemas import RequestSchema
from api.org.auth.schemas import NewPassword
from api.org.users.schemas import ProfilePatchSchema, ProfileSchema
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.org import accounts, users

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


class OwnPasswordSchema(RequestSchema):
    """The current password and the new one."""

    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    new_password = NewPassword()


@blp.route("/password")
class MyPassword(MethodView):
    @login_required()
    @blp.arguments(OwnPasswordSchema)
    @blp.response(204)
    @blp.alt_response(422, description="The current password is wrong (code wrong_password) or the new one breaks a rule")
    def put(self, data):
        """Change your password: every other session (other devices, the console) ends"""
        accounts.check_current_password(current_user, data["password"])
        accounts.change_password(db.session, current_user, data["new_password"], token_claims()["sid"], utcnow())
