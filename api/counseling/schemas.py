"""Schemas of counseling cases and appointments, for HR and for the agent's own view."""
from datetime import timedelta

import marshmallow as ma
from marshmallow import fields, validate

from api.core.pagination import CursorArgsSchema
from api.core.schemas import ClientId, RequestSchema, UTCDateTime, rule_violation
from wellbeing.counseling.common import REASON_CATEGORIES
from wellbeing.models.counseling import MODES

Purpose = lambda: fields.String(  # noqa: E731
    load_default=None,
    validate=[validate.Length(min=1, max=200),
              validate.Regexp(r"^[^\x00-\x1f\x7f]+$", error="Control characters are not allowed.")],
    metadata={"description": "Why HR reads this; recorded in the agent's access log (default counseling_follow_up)"})
Id = lambda **kw: fields.String(validate=validate.Length(min=1, max=36), **kw)  # noqa: E731


class TimeWindowSchema(RequestSchema):
    """A window the agent could make, up to a week long."""

    starts_at = UTCDateTime(required=True)
    ends_at = UTCDateTime(required=True)

    @ma.validates_schema
    def _check(self, data, **kwargs):
        if not timedelta(0) < data["ends_at"] - data["starts_at"] <= timedelta(days=7):
            raise rule_violation("invalid_time_window", "Must end after it starts, at most 7 days later.", "ends_at")


PreferredTimes = lambda: fields.List(fields.Nested(TimeWindowSchema), validate=validate.Length(max=10))  # noqa: E731


class SelfReferralSchema(RequestSchema):
    """The agent asks for counseling."""

    id = ClientId()
    reason_category = fields.String(validate=validate.OneOf(REASON_CATEGORIES))
    reason = fields.String(validate=validate.Length(min=1, max=2000),
                           metadata={"description": "In the agent's words, for HR; encrypted at rest"})
    preferred_times = PreferredTimes()


class RescheduleRequestSchema(RequestSchema):
    """The agent asks for another time, optionally naming windows that suit them."""

    preferred_times = PreferredTimes()


class CaseCreateSchema(RequestSchema):
    """HR opens a case for an agent who consents to HR follow-up."""

    id = ClientId()
    user_id = Id(required=True)
    reason_category = fields.String(validate=validate.OneOf(REASON_CATEGORIES))


class CasePatchSchema(RequestSchema):
    """HR closes a case, sets the next follow-up date, or writes notes (never shown to the agent)."""

    status = fields.String(validate=validate.OneOf(["closed"]))
    next_follow_up_on = fields.Date(allow_none=True)
    hr_notes = fields.String(allow_none=True, validate=validate.Length(max=5000))

    @ma.validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise rule_violation("nothing_to_change", "Change at least one field.")


class AppointmentCreateSchema(RequestSchema):
    """HR proposes a session."""

    id = ClientId()
    starts_at = UTCDateTime(required=True)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=10, max=240))
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    location = fields.String(validate=validate.Length(min=1, max=200))
    counselor_id = Id(metadata={"description": "An HR member who holds the session (default: the caller)"})


class AppointmentPatchSchema(RequestSchema):
    """HR reschedules (a new time goes back to the agent as proposed), cancels or records the outcome."""

    starts_at = UTCDateTime()
    duration_minutes = fields.Integer(validate=validate.Range(min=10, max=240))
    mode = fields.String(validate=validate.OneOf(MODES))
    location = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    state = fields.String(validate=validate.OneOf(["cancelled", "completed", "no_show"]))
    next_follow_up_on = fields.Date(allow_none=True, metadata={"description": "Sets the case's next follow-up date"})

    @ma.validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise rule_violation("nothing_to_change", "Change at least one field.")


class PurposeArgsSchema(RequestSchema):
    """The purpose of an HR access."""

    purpose = Purpose()


class CaseListArgsSchema(CursorArgsSchema):
    """Filters of HR's case list."""

    status = fields.String(validate=validate.OneOf(["open", "closed"]))
    user_id = Id()
    purpose = Purpose()


class PersonSchema(ma.Schema):
    """A person named in a case."""

    id = fields.String()
    name = fields.String(allow_none=True)


class AgentSchema(PersonSchema):
    """The agent of a case, as HR sees them."""

    timezone = fields.String()


class WindowSchema(ma.Schema):
    """A stored time window (UTC)."""

    starts_at = fields.String()
    ends_at = fields.String()


class AppointmentSchema(ma.Schema):
    """An appointment, with its times also in the viewer's own time zone."""

    id = fields.String()
    case_id = fields.String()
    state = fields.String(metadata={"description": "proposed, accepted, declined, reschedule_requested, "
                                                   "cancelled, completed or no_show"})
    starts_at = UTCDateTime()
    ends_at = UTCDateTime()
    starts_at_local = fields.String(metadata={"description": "starts_at in the viewer's time zone"})
    ends_at_local = fields.String()
    timezone = fields.String(metadata={"description": "The viewer's time zone"})
    duration_minutes = fields.Integer()
    mode = fields.String()
    location = fields.String(allow_none=True)
    counselor = fields.Nested(PersonSchema)
    preferred_times = fields.List(fields.Nested(WindowSchema))
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class EventSchema(ma.Schema):
    """One step of a case's history."""

    id = fields.Integer()
    at = UTCDateTime()
    kind = fields.String()
    actor_role = fields.String()
    appointment_id = fields.String(allow_none=True)
    data = fields.Dict()


class CaseSchema(ma.Schema):
    """What both parties see of a case."""

    id = fields.String()
    status = fields.String()
    opened_by = fields.String(metadata={"description": "agent (self-referral), hr or alert"})
    opened_at = UTCDateTime()
    closed_at = UTCDateTime(allow_none=True)
    closed_reason = fields.String(allow_none=True)
    reason_category = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    preferred_times = fields.List(fields.Nested(WindowSchema))
    risk_level_at_opening = fields.String(allow_none=True)
    next_follow_up_on = fields.Date(allow_none=True)
    appointments = fields.List(fields.Nested(AppointmentSchema))
    history = fields.List(fields.Nested(EventSchema))


class AgentCaseSchema(CaseSchema):
    """The agent's own case (never HR's notes)."""

    visible_to_hr = fields.Boolean(metadata={"description": "Whether HR can see this case now"})


class HRCaseSchema(CaseSchema):
    """A case as HR sees it; the risk level only while the agent consents to HR follow-up."""

    user = fields.Nested(AgentSchema)
    hr_notes = fields.String(allow_none=True)


class HRCaseSummarySchema(ma.Schema):
    """One line of HR's case list."""

    id = fields.String()
    user = fields.Nested(PersonSchema)
    status = fields.String()
    opened_by = fields.String()
    opened_at = UTCDateTime()
    closed_at = UTCDateTime(allow_none=True)
    reason_category = fields.String(allow_none=True)
    next_follow_up_on = fields.Date(allow_none=True)


class NotificationSchema(ma.Schema):
    """A reminder delivered to the caller's in-app inbox."""

    id = fields.String()
    kind = fields.String(metadata={"description": "24h, 1h or follow_up"})
    case_id = fields.String()
    appointment_id = fields.String(allow_none=True)
    message = fields.String()
    due_at = UTCDateTime()
    sent_at = UTCDateTime()
