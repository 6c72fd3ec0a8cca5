"""Counseling words as HR reads them: case and appointment states, modes, reasons and history steps, translated."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.console.i18n import N_, gettext

# Written to the agent's access log with every read or change the console makes for HR.
PURPOSE = "counseling_follow_up"
MODES = {"in_person": N_("In person"), "phone": N_("Phone"), "video": N_("Video")}
DURATIONS = (30, 45, 60, 90)
CASE_STATUSES = {"open": N_("Open"), "closed": N_("Closed")}
OPENED_BY = {"agent": N_("The agent asked for help"), "hr": N_("Opened by HR"),
             "alert": N_("Opened after a questionnaire alert")}
APPOINTMENT_STATES = {
    "proposed": N_("Proposed, waiting for the agent"), "accepted": N_("Accepted"), "declined": N_("Declined"),
    "reschedule_requested": N_("The agent asked for another time"), "cancelled": N_("Cancelled"),
    "completed": N_("Completed"), "no_show": N_("No-show"),
}
REASONS = {
    "work_stress": N_("Work stress"), "difficult_customers": N_("Difficult customers"), "workload": N_("Workload"),
    "relationships_at_work": N_("Relationships at work"), "personal_or_family": N_("Personal or family"),
    "health_or_sleep": N_("Health or sleep"), "questionnaire_alert": N_("Questionnaire alert"), "other": N_("Other"),
}
EVENTS = {
    "opened": N_("Case opened"), "appointment_proposed": N_("Appointment proposed"),
    "appointment_accepted": N_("The agent accepted the appointment"),
    "appointment_declined": N_("The agent declined the appointment"),
    "appointment_reschedule_requested": N_("The agent asked for another time"),
    "appointment_rescheduled": N_("Appointment moved to a new time"),
    "appointment_changed": N_("Place or mode changed"),
    "appointment_cancelled": N_("Appointment cancelled"), "appointment_completed": N_("Appointment completed"),
    "appointment_no_show": N_("The agent did not come"), "follow_up_set": N_("Next follow-up date set"),
    "follow_up_cleared": N_("Next follow-up date cleared"), "consent_withdrawn": N_("The agent withdrew consent"),
    "closed": N_("Case closed"),
}
ACTORS = {"agent": N_("Agent"), "hr": N_("HR"), "system": N_("System")}


def label(table: dict[str, str], key: str | None) -> str:
    """The translated label of ``key``, or the key itself when the API has grown a new value."""
    return gettext(table[key]) if key in table else (key or "—")


def utc_from_local(value: str, zone: str) -> str | None:
    """A datetime-local field ("2026-12-04T09:30") read in ``zone``, as the API's UTC time; None if unreadable."""
    try:
        naive = datetime.fromisoformat(value)
        tz = ZoneInfo(zone)
    except (TypeError, ValueError, ZoneInfoNotFoundError):
        return None
    if naive.tzinfo is not None:
        return None
    return naive.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


def local_input(value: str | None, zone: str) -> str:
    """An API time as a datetime-local field value in ``zone`` (to prefill a reschedule form)."""
    try:
        return datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if value else ""
    except (TypeError, ValueError, ZoneInfoNotFoundError):
        return ""
