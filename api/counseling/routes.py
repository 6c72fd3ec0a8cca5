"""HR: GET, POST /counseling/cases; GET, PATCH /counseling/cases/{id}; POST .../appointments; PATCH /counseling/appointments/{id}.

Every HR read of an agent's data is logged (with the ``purpose`` query parameter), so every
request here writes: it runs as a writer from its first statement.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.counseling.schemas import (
    AppointmentCreateSchema, AppointmentPatchSchema, AppointmentSchema, CaseCreateSchema, CaseListArgsSchema,
    CasePatchSchema, HRCaseSchema, HRCaseSummarySchema, PurposeArgsSchema,
)
from api.core.extensions import Blueprint
from api.core.idempotency import created, fingerprint
from api.core.keyring import keyring
from api.core.pagination import decode_cursor, page_body, page_schema
from wellbeing.core.clock import utcnow
from wellbeing.counseling import appointments, cases
from wellbeing.core.db import db, set_write_intent

blp = Blueprint("counseling", __name__, url_prefix="/counseling", description="Counseling follow-ups (HR)")


@blp.before_request
def _writer() -> None:
    set_write_intent(True)


def _client_id(data: dict) -> str | None:
    return str(data["id"]) if data.get("id") else None


@blp.route("/cases")
class Cases(MethodView):
    @login_required("hr")
    @blp.arguments(CaseListArgsSchema, location="query")
    @blp.response(200, page_schema(HRCaseSummarySchema))
    def get(self, args):
        """Cases of agents who referred themselves or consent to HR follow-up, newest first"""
        page = cases.list_cases_for_hr(db.session, current_user, args, args["limit"], decode_cursor(args["cursor"]),
                                       args["purpose"], utcnow())
        return page_body(page)

    @login_required("hr")
    @blp.arguments(CaseCreateSchema)
    @blp.arguments(PurposeArgsSchema, location="query")
    @blp.response(201, HRCaseSchema)
    @blp.alt_response(200, schema=HRCaseSchema, description="Replay of a create with the same id and body")
    def post(self, data, args):
        """Open a case for an agent who consents to HR follow-up (422 without consent)"""
        return created(*cases.open_case_by_hr(db.session, current_user, data, _client_id(data), fingerprint(data),
                                              args["purpose"], keyring(), utcnow()))


@blp.route("/cases/<case_id>")
class CaseById(MethodView):
    @login_required("hr")
    @blp.arguments(PurposeArgsSchema, location="query")
    @blp.response(200, HRCaseSchema)
    def get(self, args, case_id):
        """One case with its history and appointments (the read is logged for the agent)"""
        return cases.read_case_for_hr(db.session, current_user, case_id, args["purpose"], keyring(), utcnow())

    @login_required("hr")
    @blp.arguments(CasePatchSchema)
    @blp.arguments(PurposeArgsSchema, location="query")
    @blp.response(200, HRCaseSchema)
    def patch(self, changes, args, case_id):
        """Close a case, set its next follow-up date, or write HR's notes"""
        return cases.update_case(db.session, current_user, case_id, changes, args["purpose"], keyring(), utcnow())


@blp.route("/cases/<case_id>/appointments")
class CaseAppointments(MethodView):
    @login_required("hr")
    @blp.arguments(AppointmentCreateSchema)
    @blp.arguments(PurposeArgsSchema, location="query")
    @blp.response(201, AppointmentSchema)
    @blp.alt_response(200, schema=AppointmentSchema, description="Replay of a create with the same id and body")
    @blp.alt_response(409, description="The counselor has another appointment then, or the case is closed")
    def post(self, data, args, case_id):
        """Propose an appointment; both sides get reminders"""
        return created(*appointments.propose_appointment(db.session, current_user, case_id, data, _client_id(data),
                                                         fingerprint(data), args["purpose"], utcnow()))


@blp.route("/appointments/<appointment_id>")
class AppointmentById(MethodView):
    @login_required("hr")
    @blp.arguments(AppointmentPatchSchema)
    @blp.arguments(PurposeArgsSchema, location="query")
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="An impossible transition, or the counselor is busy at the new time")
    def patch(self, changes, args, appointment_id):
        """Reschedule, cancel, record completed / no_show, and set the next follow-up date"""
        return appointments.update_appointment(db.session, current_user, appointment_id, changes, args["purpose"],
                                               utcnow())
