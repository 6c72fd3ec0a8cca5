"""POST, GET /teams; GET /teams/{id}; POST, GET, DELETE /teams/{id}/supervisors."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user
from api.core.extensions import Blueprint

from api.core.auth import login_required
from api.core.idempotency import created, fingerprint
from api.org.teams.schemas import SupervisorAssignSchema, SupervisorListSchema, TeamCreateSchema, TeamListSchema, TeamSchema
from wellbeing.org import organizations
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.core.errors import NotFound

blp = Blueprint("teams", __name__, url_prefix="/teams", description="Teams and their supervisors")


@blp.route("")
class Teams(MethodView):
    @login_required("admin")
    @blp.arguments(TeamCreateSchema)
    @blp.response(201, TeamSchema)
    @blp.alt_response(200, schema=TeamSchema, description="Replay of a create with the same id and body")
    @blp.alt_response(409, description="The id was used with another body, or the name is taken")
    def post(self, data):
        """Create a team"""
        team_id = str(data["id"]) if data["id"] else None
        return created(*organizations.create_team(
            db.session, current_user.org_id, data["name"], team_id, fingerprint(data), utcnow()))

    @login_required("admin", "hr", "supervisor")
    @blp.response(200, TeamListSchema)
    def get(self):
        """Teams: all of them for admin and HR, the teams they lead for a supervisor"""
        return {"items": organizations.teams_visible_to(db.session, current_user), "next_cursor": None}


@blp.route("/<team_id>")
class TeamById(MethodView):
    @login_required("admin", "hr", "supervisor")
    @blp.response(200, TeamSchema)
    def get(self, team_id):
        """One team (a supervisor sees only the teams they lead)"""
        team = organizations.get_team(db.session, current_user.org_id, team_id)
        if current_user.role == "supervisor" and team_id not in organizations.led_team_ids(db.session, current_user.id):
            raise NotFound("No such team.")
        return team


@blp.route("/<team_id>/supervisors")
class TeamSupervisors(MethodView):
    @login_required("admin")
    @blp.arguments(SupervisorAssignSchema)
    @blp.response(204)
    def post(self, data, team_id):
        """Make a supervisor lead this team"""
        organizations.assign_supervisor(db.session, current_user.org_id, team_id, data["user_id"], utcnow())

    @login_required("admin")
    @blp.response(200, SupervisorListSchema)
    def get(self, team_id):
        """The supervisors who lead this team"""
        organizations.get_team(db.session, current_user.org_id, team_id)
        return {"user_ids": organizations.supervisor_ids(db.session, team_id)}


@blp.route("/<team_id>/supervisors/<user_id>")
class TeamSupervisorById(MethodView):
    @login_required("admin")
    @blp.response(204)
    def delete(self, team_id, user_id):
        """Stop a supervisor leading this team"""
        organizations.remove_supervisor(db.session, current_user.org_id, team_id, user_id)
