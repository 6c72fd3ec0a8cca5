"""POST, GET /users; GET, PATCH /users/{id}."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user
from api.core.extensions import Blueprint

from api.core.auth import login_required
from api.core.idempotency import created, fingerprint
from api.core.pagination import decode_cursor, page_body, page_schema
from api.org.auth.schemas import MailAcceptedSchema
from api.org.mail import link_base
from api.org.users.schemas import (
    AdminResetSchema,
    UserCreateSchema,
    UserPatchSchema,
    UserQueryArgsSchema,
    UserSchema,
)
from wellbeing.org import accounts, users
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import User
from wellbeing.core.pagination import keyset_page

blp = Blueprint("users", __name__, url_prefix="/users", description="Users of the organization")


@blp.route("")
class Users(MethodView):
    @login_required("admin")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(200, schema=UserSchema, description="Replay of a create with the same id and body")
    @blp.alt_response(409, description="The e-mail is taken, or the id was used with another body")
    def post(self, data):
        """Create a user: with a temporary password, or invited by e-mail when there is none"""
        user_id = str(data["id"]) if data["id"] else None
        return created(*users.create_user(db.session, current_user.org_id, data, user_id, fingerprint(data), utcnow(),
                                          link_base()))

    @login_required("admin")
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, page_schema(UserSchema))
    def get(self, args):
        """List the organization's users, newest first"""
        stmt = users.users_query(current_user.org_id, args.get("role"), args.get("team_id"))
        page = keyset_page(db.session, stmt, User.created_at, User.id, args["limit"], decode_cursor(args["cursor"]))
        return page_body(page)


@blp.route("/<user_id>")
class UserById(MethodView):
    @login_required("admin")
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user"""
        return users.get_user(db.session, current_user.org_id, user_id)

    @login_required("admin")
    @blp.arguments(UserPatchSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(409, description="code external_id_taken: another user of the organization has that platform id")
    def patch(self, changes, user_id):
        """Change a user's name, role, team or contact-centre platform ids (a team change closes one membership
        and opens another)"""
        return users.update_user(db.session, current_user.org_id, user_id, changes, utcnow())


@blp.route("/<user_id>/password-reset")
class UserPasswordReset(MethodView):
    @login_required("admin")
    @blp.response(202, AdminResetSchema)
    def post(self, user_id):
        """Reset a user's password: a reset e-mail, or a temporary password shown once when mail is disabled"""
        user = users.get_user(db.session, current_user.org_id, user_id)
        base = link_base()
        if base is None:
            return {"status": "temporary_password",
                    "temporary_password": accounts.admin_temporary_password(db.session, current_user, user, utcnow())}
        accounts.admin_reset(db.session, current_user, user, base, utcnow())
        return {"status": "mail_sent"}


@blp.route("/<user_id>/invitation")
class UserInvitation(MethodView):
    @login_required("admin")
    @blp.response(202, MailAcceptedSchema)
    @blp.alt_response(400, description="code not_invited: the user has a password already or is deactivated; "
                                      "code mail_disabled: no e-mail in this organization")
    def post(self, user_id):
        """Send a new invitation e-mail (the previous link stops working)"""
        user = users.get_user(db.session, current_user.org_id, user_id)
        accounts.resend_invitation(db.session, user, link_base(), utcnow())
        return {"status": "accepted"}


@blp.route("/<user_id>/deactivate")
class UserDeactivate(MethodView):
    @login_required("admin")
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Deactivate a user: their sessions end at once; their data is kept"""
        user = users.get_user(db.session, current_user.org_id, user_id)
        return accounts.set_active(db.session, user, False, utcnow())


@blp.route("/<user_id>/reactivate")
class UserReactivate(MethodView):
    @login_required("admin")
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Reactivate a user"""
        user = users.get_user(db.session, current_user.org_id, user_id)
        return accounts.set_active(db.session, user, True, utcnow())
