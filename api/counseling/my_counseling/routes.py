"""GET, POST /me/counseling; GET /me/counseling/{id}; POST /me/counseling/appointments/{id}/accept|decline|reschedule-request; GET /me/counseling/notifications."""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.counseling.schemas import (
    AgentCaseSchema, AppointmentSchema, NotificationSchema, RescheduleRequestSchema, SelfReferralSchema,
)
from api.core.extensions import Blueprint
from api.core.idempotency import created, fingerprint
from api.core.keyring import keyring
from api.core.pagination import CursorArgsSchema, decode_cursor, page_body, page_schema
from wellbeing.core.clock import utcnow
from wellbeing.counseling import appointments, cases, reminders
from wellbeing.core.db import db
from wellbeing.models import CounselingReminder
from wellbeing.core.pagination import keyset_page

blp = Blueprint("my_counseling", __name__, url_prefix="/me/counseling", description="The agent's own counseling")


@blp.route("")
class MyCases(MethodView):
    @login_required("agent")
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, page_schema(AgentCaseSchema))
    def get(self, args):
        """The caller's own cases with their appointments and history, newest first"""
        return page_body(cases.list_cases_for_agent(db.session, current_user, args["limit"],
                                                    decode_cursor(args["cursor"]), keyring()))

    @login_required("agent")
    @blp.arguments(SelfReferralSchema)
    @blp.response(201, AgentCaseSchema)
    @blp.alt_response(200, schema=AgentCaseSchema, description="Replay of a create with the same id and body")
    def post(self, data):
        """Ask for counseling (a self-referral: HR sees it whatever your consents)"""
        case_id = str(data["id"]) if data.get("id") else None
        return created(*cases.open_self_referral(db.session, current_user, data, case_id, fingerprint(data),
                                                 keyring(), utcnow()))


@blp.route("/notifications")
class Notifications(MethodView):
    @login_required("agent", "hr")
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, page_schema(NotificationSchema))
    def get(self, args):
        """Counseling reminders delivered to the caller, newest first"""
        stmt = reminders.inbox_query(current_user.id)
        return page_body(keyset_page(db.session, stmt, CounselingReminder.sent_at, CounselingReminder.id,
                                     args["limit"], decode_cursor(args["cursor"])))


@blp.route("/<case_id>")
class MyCase(MethodView):
    @login_required("agent")
    @blp.response(200, AgentCaseSchema)
    def get(self, case_id):
        """One of the caller's own cases"""
        return cases.read_case_for_agent(db.session, current_user, case_id, keyring())


def _answer(action: str, appointment_id: str, preferred_times=None):
    return appointments.answer_appointment(db.session, current_user, appointment_id, action, preferred_times, utcnow())


@blp.route("/appointments/<appointment_id>/accept")
class Accept(MethodView):
    @login_required("agent")
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="Not a proposed appointment, or its time has passed")
    def post(self, appointment_id):
        """Accept a proposed appointment"""
        return _answer("accept", appointment_id)


@blp.route("/appointments/<appointment_id>/decline")
class Decline(MethodView):
    @login_required("agent")
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="Not a proposed appointment, or its time has passed")
    def post(self, appointment_id):
        """Decline a proposed appointment"""
        return _answer("decline", appointment_id)


@blp.route("/appointments/<appointment_id>/reschedule-request")
class RescheduleRequest(MethodView):
    @login_required("agent")
    @blp.arguments(RescheduleRequestSchema)
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="Neither proposed nor accepted, or its time has passed")
    def post(self, data, appointment_id):
        """Ask HR for another time, optionally with windows that suit you"""
        return _answer("request_reschedule", appointment_id, data.get("preferred_times"))
